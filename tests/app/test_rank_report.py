"""How sure a rank estimate is (latentspec/app/_rank_report.py): rank_uncertainty."""

import numpy as np
import pytest

from latentspec import rank_uncertainty


def test_rank_uncertainty_reads_the_paired_standard_errors(fitted_auto):
    """Ranks within one paired standard error of the best, recomputed from rank_scores_."""
    scores = fitted_auto.rank_scores_
    u = rank_uncertainty(fitted_auto)
    best = int(np.argmin(scores["mean"]))
    expected = [int(r) for r, m, s in zip(scores["rank"], scores["mean"], scores["std_error_diff"])
                if m - scores["mean"][best] <= s]
    assert u["within_one_se"] == expected and u["best_rank"] == best + 1
    assert u["estimate"] == fitted_auto.intrinsic_dim_
    assert u["score"] == pytest.approx(scores["mean"][fitted_auto.intrinsic_dim_ - 1])


def test_rank_uncertainty_of_a_fixed_rank(fitted_rank2):
    """A fixed rank is its own estimate, with the standard error of its score."""
    u = rank_uncertainty(fitted_rank2)
    assert u["estimate"] == u["best_rank"] == 2 and u["within_one_se"] == [2]
    assert u["std_error"] == pytest.approx(fitted_rank2.rank_scores_["std_error"][0])
