"""What contradicts an estimate (latentspec/lwgan/_evidence.py): the reasons behind UnreliableEstimateWarning."""

from latentspec.lwgan._evidence import (
    AGREEMENT_FACTOR,
    MEMORISATION_FACTOR,
    MEMORISATION_SPREAD,
    beyond_sample_resolution,
    disagreement_with_first_estimate,
    memorisation,
    resolvable_dimension,
)


def test_disagreement_beyond_a_factor_of_two_either_way():
    assert AGREEMENT_FACTOR == 2.0
    assert disagreement_with_first_estimate(5, 4.2, 10) is None
    assert disagreement_with_first_estimate(1, 2.0, 10) is None  # exactly half: not beyond the factor
    assert "less than half" in disagreement_with_first_estimate(1, 42.5, 100)
    assert "more than twice" in disagreement_with_first_estimate(9, 4.0, 10)
    # The first estimate counts at most n_features, and an undefined one agrees with anything.
    assert disagreement_with_first_estimate(3, 42.5, 5) is None
    assert disagreement_with_first_estimate(3, float("nan"), 5) is None


def test_memorisation_beyond_a_factor_of_two_and_a_fifth_of_the_spread():
    assert MEMORISATION_FACTOR == 2.0 and MEMORISATION_SPREAD == 0.2
    assert memorisation(0.1, 0.2, 3, spread=0.5) is None  # exactly twice: not beyond the factor
    assert memorisation(0.1, 0.4, 3, spread=2.0) is None  # four times worse, but exactly a fifth of the spread
    reason = memorisation(0.1, 0.25, 3, spread=1.0)
    assert reason.startswith("the networks memorise their training rows: at rank 3")
    assert "2.5x worse" in reason and "0.25, 25 % of the spread" in reason and "(0.1)" in reason
    # Nothing to compare with: a perfect training fit, or an undefined error.
    assert memorisation(0.0, 0.3, 2, spread=1.0) is None
    assert memorisation(float("nan"), 0.3, 2, spread=1.0) is None


def test_an_estimate_above_two_log10_of_the_rows_is_beyond_what_they_resolve():
    assert resolvable_dimension(100) == 4.0 and resolvable_dimension(10_000) == 8.0
    assert beyond_sample_resolution(4, 100) is None  # at the limit: not beyond it
    reason = beyond_sample_resolution(5, 100)
    assert reason.startswith("the estimate 5 is above the 4 dimensions that 100 rows resolve")
    assert "Eckmann and Ruelle" in reason and "more rows help" in reason
    assert beyond_sample_resolution(7, 10_000) is None
