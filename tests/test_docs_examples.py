"""Every Python example in docs/*.md and README.md runs against the package.

The examples are written with the real settings; here ``LWGANEstimator``'s cost
parameters default to the tiny ones, so that each page runs in seconds. The blocks
of a page share one namespace, in page order, as a reader would run them.
"""

import re
from pathlib import Path

import pytest

from latentspec import LWGANEstimator

from ._tiny import TINY_PARAMS, is_cost_parameter

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# Blocks that need what a test machine lacks: several GPUs (dask-cuda), a running scheduler.
NEEDS_ELSEWHERE = ("dask_cuda", "tcp://")


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("page", [page for page in PAGES if _python_blocks(page)], ids=lambda page: page.name)
def test_page_examples_run(page, monkeypatch, tmp_path):
    """Guards the docs against API drift: each page's code runs top to bottom without error."""
    if any("dask.distributed" in block for block in _python_blocks(page)):
        pytest.importorskip("dask.distributed")
    defaults = LWGANEstimator.__init__.__kwdefaults__
    for name, value in TINY_PARAMS.items():
        if is_cost_parameter(name):
            monkeypatch.setitem(defaults, name, value)
    monkeypatch.chdir(tmp_path)  # examples may write files (a pickle)
    namespace = {"__name__": f"docs_example_{page.stem}"}
    for index, block in enumerate(_python_blocks(page)):
        if any(marker in block for marker in NEEDS_ELSEWHERE):
            continue
        exec(compile(block, f"{page.name}, python block {index}", "exec"), namespace)
        if "def main()" in block:  # a script's body sits behind `if __name__ == "__main__"`
            namespace["main"]()
