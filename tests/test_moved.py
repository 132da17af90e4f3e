"""The module paths of latentspec 0.1 (latentspec/_moved.py): importing one, directly or through a pickle that names
it, raises a ModuleNotFoundError that says where the names went and what to do; the public path of LWGANEstimator,
the same as in 0.1, still loads.
"""

import importlib
import pickle
import pickletools
import sys

import numpy as np
import pytest

import latentspec
from latentspec import LWGANEstimator, QuasiEigenBasis
from latentspec._moved import OLD_MODULES, MovedModuleFinder, install

from .lsd._codes import clusters


def _assert_clear_error(error, old):
    message = str(error.value)
    assert error.value.name == old
    assert message.startswith(f"{old} was a module of latentspec 0.1; since 0.2 its public names are importable "
                              f"from {OLD_MODULES[old]} and from latentspec itself")
    assert "refit the model" in message and "latentspec.save and latentspec.load" in message


def test_import_statements_of_old_paths_say_where_the_names_went():
    with pytest.raises(ModuleNotFoundError) as error:
        import latentspec.quasi_eigen  # noqa: F401
    _assert_clear_error(error, "latentspec.quasi_eigen")
    with pytest.raises(ModuleNotFoundError) as error:
        from latentspec.plotting import plot_rank_scores  # noqa: F401
    _assert_clear_error(error, "latentspec.plotting")


@pytest.mark.parametrize("old", sorted(OLD_MODULES))
def test_every_old_path_is_refused_and_its_new_package_exists(old):
    with pytest.raises(ModuleNotFoundError) as error:
        importlib.import_module(old)
    _assert_clear_error(error, old)
    assert old not in sys.modules
    assert importlib.import_module(OLD_MODULES[old]).__all__  # the package named in the message is real


def test_other_missing_modules_get_python_s_own_error():
    with pytest.raises(ModuleNotFoundError, match="No module named 'latentspec.no_such_module'") as error:
        importlib.import_module("latentspec.no_such_module")
    assert "0.1" not in str(error.value)
    assert MovedModuleFinder().find_spec("latentspec.lsd") is None
    assert MovedModuleFinder().find_spec("quasi_eigen") is None


def test_a_pickle_that_names_an_old_path_gives_the_same_clear_error():
    """A fitted QuasiEigenBasis pickled as 0.1 would have: its class under latentspec.quasi_eigen."""
    Z, y = clusters()
    blob = pickle.dumps(QuasiEigenBasis(n_rounds=2, n_draws=100, random_state=0).fit(Z, y), protocol=2)
    current = b"clatentspec.lsd\nQuasiEigenBasis\n"  # protocol 2 names a class in plain text
    assert blob.count(current) == 1
    with pytest.raises(ModuleNotFoundError) as error:
        pickle.loads(blob.replace(current, b"clatentspec.quasi_eigen\nQuasiEigenBasis\n"))
    _assert_clear_error(error, "latentspec.quasi_eigen")


def test_a_protocol_0_pickle_of_an_old_function_gives_the_same_clear_error():
    with pytest.raises(ModuleNotFoundError) as error:
        pickle.loads(b"clatentspec.plotting\nplot_rank_scores\np0\n.")
    _assert_clear_error(error, "latentspec.plotting")


def test_lwgan_pickles_name_the_path_of_0_1_which_loads_and_transforms_alike(fitted_rank2, s_curve):
    """LWGANEstimator pickles as latentspec.lwgan.LWGANEstimator (where 0.1 defined it), not its private module."""
    assert type(fitted_rank2).__module__ == "latentspec.lwgan"
    blob = pickle.dumps(fitted_rank2, protocol=2)
    classes = {arg for op, arg, _ in pickletools.genops(blob) if op.name == "GLOBAL" and arg.startswith("latentspec")}
    assert classes == {"latentspec.lwgan LWGANEstimator"}
    expected = fitted_rank2.transform(s_curve)
    for data in (blob, pickle.dumps(fitted_rank2)):
        loaded = pickle.loads(data)
        assert type(loaded) is LWGANEstimator
        np.testing.assert_array_equal(loaded.transform(s_curve), expected)


def test_the_finder_is_installed_once():
    def finders():
        return sum(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path)

    assert finders() == 1
    install()
    importlib.reload(latentspec)
    assert finders() == 1
    with pytest.raises(ModuleNotFoundError, match="was a module of latentspec 0.1"):
        importlib.import_module("latentspec.cli")
