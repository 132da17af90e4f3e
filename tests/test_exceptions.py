"""The public warnings and errors (latentspec/exceptions.py): where they are importable, what they derive from, and
that ``__all__`` lists exactly them. When each is raised is tested with the code that raises it.
"""

import inspect
import warnings

import pytest

import latentspec
from latentspec import exceptions

BASES = {
    "TrainingDiverged": FloatingPointError,
    "TrainingInterrupted": KeyboardInterrupt,
    "ModelFileError": ValueError,
    "FitInterrupted": UserWarning,
    "RankRangeWarning": UserWarning,
    "UnreliableEstimateWarning": UserWarning,
}


def defined_here():
    return {name for name, obj in vars(exceptions).items()
            if inspect.isclass(obj) and obj.__module__ == exceptions.__name__}


def test_all_lists_exactly_the_classes_defined_there():
    assert sorted(exceptions.__all__) == sorted(defined_here()) == sorted(BASES)


@pytest.mark.parametrize("name", sorted(BASES))
def test_importable_from_latentspec_and_from_exceptions_as_the_same_object(name):
    assert getattr(latentspec, name) is getattr(exceptions, name)
    assert name in latentspec.__all__


@pytest.mark.parametrize(("name", "base"), sorted(BASES.items()))
def test_each_derives_from_the_documented_base(name, base):
    cls = getattr(exceptions, name)
    assert issubclass(cls, base)
    assert cls.__doc__  # each says when it is raised


def test_the_errors_are_caught_as_their_bases_and_the_interrupt_is_not_an_exception():
    with pytest.raises(ArithmeticError):  # FloatingPointError's own base
        raise exceptions.TrainingDiverged("a loss became NaN")
    with pytest.raises(ValueError, match="not a model file"):
        raise exceptions.ModelFileError("not a model file")
    # Like Ctrl-C itself: a bare `except Exception` (e.g. in a grid search) must not swallow it.
    assert not issubclass(exceptions.TrainingInterrupted, Exception)
    with pytest.raises(KeyboardInterrupt):
        raise exceptions.TrainingInterrupted


WARNINGS = ["FitInterrupted", "RankRangeWarning", "UnreliableEstimateWarning"]


@pytest.mark.parametrize("name", WARNINGS)
def test_each_warning_can_be_silenced_alone(name):
    """Each is its own class: ignoring one leaves the others, and other UserWarnings, shown."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", getattr(exceptions, name))
        for other in WARNINGS:
            warnings.warn("message", getattr(exceptions, other), stacklevel=1)
        warnings.warn("message", UserWarning, stacklevel=1)
    shown = [getattr(exceptions, other) for other in WARNINGS if other != name] + [UserWarning]
    assert [w.category for w in record] == shown
