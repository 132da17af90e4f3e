"""The package's layout: subpackages that show the parts, no import cycle, imports that only run downhill."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "latentspec"
# The parts, each a subpackage that re-exports its public names.
SUBPACKAGES = ("app", "datasets", "denoising", "lsd", "lwgan", "lwgan.core")
MAX_TOP_LEVEL_MODULES = 12


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, at the top or inside a function."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    # "from . import x" and "import latentspec" name the package itself, which every module
    # reaches through __init__; the edges that matter are those between the modules.
    return {module_name(p): imports_of(p, modules) - {"latentspec"} for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle reachable in ``graph``, each as the list of modules along it."""
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_the_modules():
    graph = import_graph()
    assert "latentspec.lwgan" in graph and graph["latentspec.lwgan"], "the scan found no imports"
    assert cycles(graph) == []


def importers_of(graph: dict[str, set[str]], prefix: str) -> dict[str, set[str]]:
    """For each module, the modules it imports that start with ``prefix``."""
    return {m: {i for i in imported if i == prefix or i.startswith(prefix + ".")} for m, imported in graph.items()}


def test_persistence_and_exceptions_import_no_part():
    graph = import_graph()
    for module in ("latentspec.persistence", "latentspec.exceptions", "latentspec._validation"):
        assert not {m for m in graph[module] if m.split(".")[1] in {"app", "denoising", "lsd", "lwgan"}}, module


def test_the_torch_core_imports_nothing_above_it():
    """lwgan.core knows no estimator: only its own modules, validation and the exceptions."""
    allowed = {"latentspec._validation", "latentspec.exceptions"}
    for module, imported in import_graph().items():
        if module.startswith("latentspec.lwgan.core"):
            outside = {m for m in imported if not m.startswith("latentspec.lwgan.core")} - allowed
            assert outside == set(), f"{module} imports {outside}"


def test_the_parts_import_downhill():
    """app uses the parts; denoising may use lsd; lsd and lwgan use neither each other nor app."""
    forbidden = {
        "latentspec.lwgan": ("latentspec.lsd", "latentspec.denoising", "latentspec.app"),
        "latentspec.lsd": ("latentspec.lwgan", "latentspec.denoising", "latentspec.app"),
        "latentspec.denoising": ("latentspec.lwgan", "latentspec.app"),
        "latentspec.datasets": ("latentspec.lwgan", "latentspec.lsd", "latentspec.denoising", "latentspec.app"),
    }
    for module, imported in import_graph().items():
        for part, banned in forbidden.items():
            if module == part or module.startswith(part + "."):
                wrong = {m for m in imported if m.startswith(banned)}
                assert wrong == set(), f"{module} imports {wrong}"


def test_the_parts_are_subpackages_and_the_top_level_is_short():
    for sub in SUBPACKAGES:
        assert (PACKAGE / sub.replace(".", "/") / "__init__.py").is_file(), sub
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert (PACKAGE / "exceptions.py").is_file()


def test_private_modules_are_named_so_and_the_subpackages_re_export_their_public_names():
    import importlib

    import latentspec

    for sub in ("app", "denoising", "lsd", "lwgan"):
        package = importlib.import_module(f"latentspec.{sub}")
        modules = [p.stem for p in (PACKAGE / sub).glob("*.py") if p.stem != "__init__"]
        assert all(name.startswith("_") for name in modules), (sub, modules)
        for name in package.__all__:
            assert getattr(latentspec, name) is getattr(package, name), f"latentspec.{name}"


def test_no_public_name_shadows_a_subpackage():
    """``latentspec.denoise`` is a function: the denoising part is ``latentspec.denoising``, so
    ``import latentspec.denoising._recipe as recipe`` and ``latentspec.lsd`` reach the modules."""
    import importlib
    import types

    import latentspec

    for sub in SUBPACKAGES:
        module = importlib.import_module(f"latentspec.{sub}")
        head = sub.split(".")[0]
        assert isinstance(getattr(latentspec, head), types.ModuleType), f"latentspec.{head} is not the subpackage"
        assert module.__name__ == f"latentspec.{sub}"
