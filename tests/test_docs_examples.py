"""Every Python example in docs/*.md and README.md runs against the package.

The examples are written with the real settings; here ``LWGANEstimator``'s cost
parameters default to the tiny ones, so that each page runs in seconds. The blocks
of a page share one namespace, in page order, as a reader would run them.
"""

import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from latentspec import LWGANEstimator

from ._tiny import TINY_PARAMS, is_cost_parameter

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# Blocks that need what a test machine lacks: several GPUs (dask-cuda), a running scheduler.
NEEDS_ELSEWHERE = ("dask_cuda", "tcp://")


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


def _run_like_a_reader(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tiny LWGANEstimator cost defaults, and a scratch working folder (examples may write files)."""
    if any("dask.distributed" in block for block in _python_blocks(page)):
        pytest.importorskip("dask.distributed")
    defaults = LWGANEstimator.__init__.__kwdefaults__
    for name, value in TINY_PARAMS.items():
        if is_cost_parameter(name):
            monkeypatch.setitem(defaults, name, value)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("page", [page for page in PAGES if _python_blocks(page)], ids=lambda page: page.name)
def test_page_examples_run(page, monkeypatch, tmp_path):
    """Guards the docs against API drift: each page's code runs top to bottom without error."""
    _run_like_a_reader(page, monkeypatch, tmp_path)
    namespace = {"__name__": f"docs_example_{page.stem}"}
    for index, block in enumerate(_python_blocks(page)):
        if any(marker in block for marker in NEEDS_ELSEWHERE):
            continue
        exec(compile(block, f"{page.name}, python block {index}", "exec"), namespace)
        if "def main()" in block:  # a script's body sits behind `if __name__ == "__main__"`
            namespace["main"]()


# ------------------------------------------------------------ commented outputs
# A comment that starts with a Python literal after an expression (or an assignment) says
# what that line gives: ``est.intrinsic_dim_  # 2``. It is checked: against the value the
# line gives when run (for an assignment, the shape of what is assigned, when the literal
# is a tuple), or, for values that need the real training settings, against the results
# file of the benchmark that measured them (RECORDED), on the same data and seeds.
RESULTS = ROOT / "benchmarks" / "results"


def _recorded_s_curve_estimate() -> int:
    rows = json.loads((RESULTS / "intrinsic_dimension.json").read_text())["rows"]
    return next(row["lwgan"] for row in rows if row["dataset"] == "s_curve" and row["seed"] == 0)


def _recorded_grid_search_rank() -> dict:
    return {"rank": json.loads((RESULTS / "cross_validate_rank.json").read_text())["selected"]}


# (page, the code before the comment) -> the value the benchmark measured at the real settings.
RECORDED = {
    ("README.md", "est.intrinsic_dim_"): _recorded_s_curve_estimate,
    ("README.md", "Z = est.transform(X)"): lambda: (2000, _recorded_s_curve_estimate()),
    ("README.md", "search.best_params_"): _recorded_grid_search_rank,
    ("quickstart.md", "est.intrinsic_dim_"): _recorded_s_curve_estimate,
    ("pipelines.md", "search.best_params_"): _recorded_grid_search_rank,
}


def _claims(page: Path) -> list[tuple[int, int, str, object]]:
    """``(block, line, code, value)`` of every line whose comment starts with a literal."""
    found = []
    for index, block in enumerate(_python_blocks(page)):
        for number, line in enumerate(block.splitlines()):
            code, hash_, comment = line.partition("  #")
            if not hash_ or not code.strip() or code.startswith((" ", "\t")):
                continue
            value = _leading_literal(comment.strip())
            if value is not _NO_LITERAL:
                found.append((index, number, code.strip(), value))
    return found


_NO_LITERAL = object()


def _leading_literal(text: str) -> object:
    """The Python literal at the start of ``text`` (the longest that parses), or _NO_LITERAL."""
    for end in range(len(text), 0, -1):
        head = text[:end]
        if head[-1] not in ")]}'\"0123456789eE":
            continue
        try:
            return ast.literal_eval(head)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
    return _NO_LITERAL


def test_the_comment_parser_finds_literals_and_skips_prose():
    assert _leading_literal("2") == 2
    assert _leading_literal("{'rank': 2} at the default training (docs/pipelines.md)") == {"rank": 2}
    assert _leading_literal("(2000, 2) latent codes") == (2000, 2)
    assert _leading_literal("score of every rank, with standard errors") is _NO_LITERAL
    assert _leading_literal("e.g. {'warmup': 1840}") is _NO_LITERAL


def test_the_recorded_claims_are_made_on_the_data_of_their_benchmark():
    """The benchmark's S-curve (make_dataset, seed 0) is the one the README draws."""
    from latentspec.datasets import make_dataset, make_s_curve_3d

    np.testing.assert_array_equal(make_dataset("s_curve", n_samples=2000, random_state=0)[0],
                                  make_s_curve_3d(n_samples=2000, random_state=0))
    claims = {(page.name, code) for page in PAGES for _, _, code, _ in _claims(page)}
    assert set(RECORDED) <= claims, "RECORDED names a line no page has (any more)"


@pytest.mark.parametrize("page", [page for page in PAGES if _claims(page)], ids=lambda page: page.name)
def test_commented_outputs_are_what_the_code_gives(page, monkeypatch, tmp_path):
    """A value in a comment is the value the line gives, or the one its benchmark recorded."""
    _run_like_a_reader(page, monkeypatch, tmp_path)
    claims = {(index, number): (code, value) for index, number, code, value in _claims(page)}
    namespace = {"__name__": f"docs_example_{page.stem}"}
    checked = 0
    for index, block in enumerate(_python_blocks(page)):
        if any(marker in block for marker in NEEDS_ELSEWHERE):
            continue
        lines = block.splitlines()
        start = 0
        for number in sorted(n for (i, n) in claims if i == index):
            code, claimed = claims[index, number]
            exec(compile("\n".join(lines[start : number + 1]), f"{page.name}, block {index}", "exec"), namespace)
            start = number + 1
            recorded = RECORDED.get((page.name, code))
            if recorded is not None:
                actual = recorded()
            elif "=" in code and not code.startswith(("(", "[")) and "==" not in code:
                actual = np.shape(namespace[code.split("=")[0].strip()])
            else:
                actual = eval(code, namespace)
            where = f"{page.name}, block {index}: `{code}`"
            assert actual == claimed, f"{where} gives {actual!r}, the comment says {claimed!r}"
            checked += 1
        exec(compile("\n".join(lines[start:]), f"{page.name}, block {index}", "exec"), namespace)
    assert checked == len(claims)


def test_the_api_reference_documents_every_public_name():
    """docs/api.md names every name of latentspec.__all__, and the warnings as warnings, not as exceptions."""
    import latentspec

    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    directive = r"^\.\. auto(?:class|function|exception|module|data):: (?:latentspec\.)?(\w+)"
    documented = set(re.findall(directive, api, re.M))
    missing = set(latentspec.__all__) - documented - {"__version__", "exceptions"}
    assert missing == set(), f"docs/api.md does not document {sorted(missing)}"
    for warning in ("FitInterrupted", "RankRangeWarning", "UnreliableEstimateWarning"):
        assert f".. autoclass:: {warning}" in api and f".. autoexception:: {warning}" not in api
