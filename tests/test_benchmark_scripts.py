"""The benchmark scripts' own arithmetic, and a tiny run of the rank cross-validation."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rank_margin_against_the_fold_spread():
    """Best minus second-best mean score, and the spread over the shared folds of their difference."""
    cross_validate_rank = load_script("cross_validate_rank")
    folds = np.array([[-0.40, -0.10, -0.16], [-0.35, -0.14, -0.17], [-0.30, -0.11, -0.18]])  # (fold, rank)
    cv_results = {
        "param_rank": np.array([1, 2, 3]),
        "mean_test_score": folds.mean(axis=0),
        "std_test_score": folds.std(axis=0),
        **{f"split{i}_test_score": folds[i] for i in range(3)},
    }
    margin = cross_validate_rank.rank_margin(cv_results, 3)
    assert (margin["best"], margin["second"]) == (2, 3)
    assert margin["margin"] == pytest.approx(folds[:, 1].mean() - folds[:, 2].mean())
    assert margin["paired_fold_std"] == pytest.approx(np.std(folds[:, 1] - folds[:, 2]))
    assert margin["fold_std"] == pytest.approx([folds[:, 1].std(), folds[:, 2].std()])
    assert margin["margin_over_paired_std"] == pytest.approx(margin["margin"] / margin["paired_fold_std"])
    assert margin["second_better_in_folds"] == 0


def test_cross_validate_rank_quick_run_reports_the_margin(tmp_path, capsys):
    cross_validate_rank = load_script("cross_validate_rank")
    out = tmp_path / "cv.json"
    record = cross_validate_rank.main(["--quick", "--cv", "2", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert record["margin"]["best"] == record["selected"]
    assert len(record["split_test_scores"]) == 2
    assert "margin over the second best" in capsys.readouterr().out
