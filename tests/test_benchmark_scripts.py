"""The benchmark scripts' own arithmetic, their shared scaffolding, and a tiny run of the rank cross-validation."""

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def load_script(monkeypatch):
    """Import ``benchmarks/<name>.py`` as ``python benchmarks/<name>.py`` sees it: ``benchmarks/`` on sys.path.

    The scripts import ``_common`` and each other by name; sys.path is restored after the test.
    """
    monkeypatch.syspath_prepend(str(BENCHMARKS))

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def test_rank_margin_against_the_fold_spread(load_script):
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


def test_cross_validate_rank_quick_run_reports_the_margin(load_script, tmp_path, capsys):
    cross_validate_rank = load_script("cross_validate_rank")
    out = tmp_path / "cv.json"
    record = cross_validate_rank.main(["--quick", "--cv", "2", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(record))
    assert record["margin"]["best"] == record["selected"]
    assert len(record["split_test_scores"]) == 2
    assert "margin over the second best" in capsys.readouterr().out


def test_common_results_files_and_environment(load_script, tmp_path):
    common = load_script("_common")
    assert common.results_path("x") == BENCHMARKS / "results" / "x.json"
    assert common.results_path("x", quick=True).name == "x_quick.json"
    out = common.write_results(tmp_path / "new" / "r.json", {"b": 1, "a": Path("p")}, default=str)
    assert out.read_text() == '{\n  "b": 1,\n  "a": "p"\n}\n'
    assert list(common.environment("torch", "cpu_count", "machine")) == ["torch", "cpu_count", "machine"]
    assert list(common.environment()) == list(common.ENVIRONMENT)


def test_common_thread_option(load_script):
    common = load_script("_common")
    parser = argparse.ArgumentParser()
    common.add_thread_option(parser, default=2)
    assert parser.parse_args([]).threads == 2
    assert parser.parse_args(["--threads", "1"]).threads == 1
    assert common.apply_threads(argparse.Namespace(threads=None)) is None


@pytest.mark.parametrize("name", ["denoising_references", "reproduce_papers", "sample_quality", "lsd_seeds",
                                  "gpu_check"])
def test_scripts_import_each_other_without_path_changes(load_script, name):
    """The scripts that reuse another script's functions import it by name (no sys.path edits of their own)."""
    module = load_script(name)
    assert "sys.path" not in (BENCHMARKS / f"{name}.py").read_text()
    assert callable(module.main)


def test_lsd_seeds_runs_each_dataset_with_its_own_scripts_settings(load_script):
    """The seed study repeats parts 1 and 3 with the settings of the script it stands for."""
    seeds = load_script("lsd_seeds")
    args, chosen, dataset = seeds.parse(["--dataset", "mnist", "--seeds", "4", "5", "--threads", "1"])
    assert (chosen, dataset) == ([4, 5], "mnist")
    assert (args.label_weight, args.n_warmup, args.test_size) == (100.0, 8000, 0.2)
    assert args.lwgan_params["augment_shift"] == 3 and args.lwgan_params["image_shape"] == (28, 28)
    assert args.out.name == "lsd_seeds_mnist.json"
    args, chosen, dataset = seeds.parse(["--label-weight", "30"])
    assert (chosen, dataset) == ([0, 1, 2], "digits")
    assert (args.label_weight, args.n_warmup, args.test_size) == (30.0, 4000, 0.25)
    assert "augment_shift" not in args.lwgan_params
    args, _, _ = seeds.parse(["--dataset", "mnist", "--out", "elsewhere.json"])
    assert str(args.out) == "elsewhere.json"


def test_sample_quality_mnist_part_uses_the_mnist_benchmarks_settings(load_script):
    """The MNIST part fits the networks reproduce_papers.py fits, not the slow default convolutional ones."""
    params = load_script("sample_quality").mnist_params()
    assert params == {"image_shape": (28, 28), "conv_layers": (16, 32), "batch_size": 256, "precision": "bfloat16",
                      "latent_dim": 16}


def test_frechet_distance_of_shifted_and_scaled_gaussians(load_script):
    """FD is zero for one sample against itself and the closed form for two known Gaussians."""
    metrics = load_script("_sample_metrics")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 3))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    b = 2.0 * rng.standard_normal((20000, 3)) + np.array([1.0, 0.0, 0.0])
    # ||mu_a - mu_b||^2 + tr(I + 4I - 2 * 2I) = 1 + 3
    assert metrics.frechet_distance(a, b) == pytest.approx(4.0, rel=0.05)


def test_knn_precision_recall_separates_mode_collapse_from_spread(load_script):
    """Samples on one half of the data are precise but recall half; samples far away are neither."""
    metrics = load_script("_sample_metrics")
    rng = np.random.default_rng(0)
    real = rng.uniform(0, 1, (600, 2))
    half = rng.uniform(0, 1, (600, 2)) * np.array([0.5, 1.0])
    precision, recall = metrics.knn_precision_recall(real, half, k=5)
    assert precision > 0.95
    assert 0.4 < recall < 0.65
    assert metrics.knn_precision_recall(real, real + 10.0, k=5) == (0.0, 0.0)
    assert min(metrics.knn_precision_recall(real, real, k=5)) == 1.0


def test_sample_metrics_report_non_finite_samples_as_nan(load_script):
    metrics = load_script("_sample_metrics")
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((200, 4)), np.repeat([0, 1], 100)
    X[y == 1] += 6.0
    classifier = metrics.FeatureClassifier(hidden=8).fit(X, y)
    assert 0.9 <= classifier.confident_share(X) <= 1.0
    bad = np.full((10, 4), np.nan)
    assert all(np.isnan(v) for v in metrics.sample_metrics(classifier, classifier.features(X), X, bad).values())


class _Argmax:
    """A judge of 'images' that are codes: the class is the largest of the first ten coordinates."""

    def predict(self, X):
        return np.argmax(np.asarray(X)[:, :10], axis=1)


class _Identity:
    def inverse_transform(self, Z):
        return np.asarray(Z)


def test_rotation_part_reports_success_what_stays_the_source_and_the_targets_own_reconstructions(load_script):
    """Codes along their class axis rotate onto the target's; a judge that sees no change reports 'still the source'."""
    lsd = load_script("deep_lsd_digits")
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    Z = 4.0 * np.eye(12)[y] + 0.3 * rng.standard_normal((300, 12))
    train = np.arange(300) % 3 != 0
    pieces = (_Identity(), None, _Argmax(), Z[train], Z[~train], y[train], y[~train])
    rot = lsd.rotations(pieces, argparse.Namespace(random_state=0))
    assert rot["mean_success"] == 1.0 and rot["mean_still_source"] == 0.0
    assert rot["mean_target_reconstructed_success"] == 1.0
    assert rot["max_change_outside_plane"] < 1e-12
    assert np.allclose(rot["det_range"], 1.0)

    class AlwaysZero:  # a judge that calls everything a 0
        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    rot = lsd.rotations((_Identity(), None, AlwaysZero(), *pieces[3:]), argparse.Namespace(random_state=0))
    by_pair = {(p["source"], p["target"]): p for p in rot["pairs"]}
    assert by_pair[(0, 1)]["success"] == 0.0 and by_pair[(0, 1)]["still_source"] == 1.0
    assert by_pair[(6, 0)]["success"] == 1.0 and by_pair[(6, 0)]["target_reconstructed_success"] == 1.0
    assert rot["mean_success"] == rot["mean_still_source"] == rot["mean_target_reconstructed_success"] == 0.1


def test_fit_speed_counts_the_flops_of_a_default_warmup_step(load_script):
    """Digits at the default widths: 21 ranks of 24 rows, and 3 x the forward products of the 10 Linear layers."""
    import torch

    from latentspec.lwgan.core._model import LWGANModule

    fit_speed = load_script("fit_speed")
    rows = fit_speed.training_rows("auto", "per_sample", 21, 512)
    assert rows == 21 * 24
    assert fit_speed.training_rows(3, "per_sample", 16, 512) == 512
    with torch.random.fork_rng(devices=[]):
        module = LWGANModule(64, 21, (128,) * 4, (128,) * 4, (128,) * 4, "leaky_relu")
    layers = fit_speed.linear_layers(module.encoder, module.generator)
    assert layers == [(64, 128), (128, 128), (128, 128), (128, 128), (128, 21),
                      (21, 128), (128, 128), (128, 128), (128, 128), (128, 64)]
    shapes = fit_speed.step_products(rows, layers)
    assert fit_speed.product_flops(shapes) == 3 * 2 * 504 * (2 * 64 * 128 + 6 * 128 * 128 + 2 * 128 * 21)
    assert fit_speed.matmul_gflops(shapes[:3], torch.float32, repeats=1) > 0


def test_fit_speed_quick_run_splits_the_fit_into_phases(load_script, tmp_path, capsys):
    from latentspec.lwgan import _estimator
    from latentspec.lwgan.core._training import Trainer

    fit_speed = load_script("fit_speed")
    originals = (_estimator.score_ranks, _estimator.two_nn_dimension, Trainer.warm_up)
    out = tmp_path / "fit_speed.json"
    record = fit_speed.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text())["phases"] == json.loads(json.dumps(record["phases"]))
    assert (_estimator.score_ranks, _estimator.two_nn_dimension, Trainer.warm_up) == originals  # put back
    phases = record["phases"]
    assert list(phases) == [*fit_speed.PHASES, "bookkeeping"]
    assert sum(p["seconds"] for p in phases.values()) == pytest.approx(record["fit_seconds"])
    assert sum(p["share"] for p in phases.values()) == pytest.approx(1.0)
    assert record["n_steps"]["adversarial"] == 0 and phases["adversarial"]["seconds"] < 0.01  # n_iter=0: a no-op
    assert min(phases[p]["seconds"] for p in ("first_estimate", "warmup", "critic_refit", "scoring")) > 0
    assert 0 < record["after_last_step_seconds"] < record["fit_seconds"]
    assert record["fit_over_bare_loop"] == pytest.approx(record["fit_seconds"] / min(record["bare_loop"]["seconds"]))
    assert record["bare_loop"]["steps"] == 20 + 4
    # The quick networks on the digits: 64 -> 32 -> 32 -> 21 and back, 21 ranks of 128 // 21 = 6 rows.
    flops = record["flops"]
    assert flops["rows"] == 126
    assert flops["step_flops"] == 3 * 2 * 126 * (2 * 64 * 32 + 2 * 32 * 32 + 2 * 32 * 21)
    assert flops["achieved_gflops"] == pytest.approx(flops["step_flops"] / flops["warmup_step_seconds_median"] / 1e9)
    assert len(flops["matmul_gflops"]) == 3
    assert record["profile"]["phase"] in fit_speed.PROFILED and record["profile"]["top_ops"]
    assert "Self CPU" in record["profile"]["table"]
    assert "fit / bare loop" in capsys.readouterr().out


def test_gpu_check_without_cuda_checks_the_save_load_path(load_script, tmp_path, monkeypatch, capsys):
    """Without CUDA: says so, times nothing, and a tiny CPU model loads in a subprocess with the same codes."""
    import torch

    gpu_check = load_script("gpu_check")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    record = gpu_check.main(["--quick", "--out", str(tmp_path / "gpu.json")])
    assert record["cuda"] is False and "digits" not in record
    check = record["save_load"]
    assert record["ok"] and check["ok"] and check["cuda_available"] is False
    assert [(r["how"], r["device"]) for r in check["results"]] == [("latentspec.load", "cpu"), ("pickle", "cpu")]
    assert max(r["max_abs_diff"] for r in check["results"]) <= gpu_check.TOLERANCE
    assert "CUDA is not available" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::latentspec.exceptions.UnreliableEstimateWarning")  # tiny fits
def test_gpu_check_cuda_part_runs_with_cuda_faked_on_the_cpu(load_script, tmp_path, monkeypatch):
    """The GPU branch's plumbing, with 'cuda' fits placed on the CPU: three timed fits, the note, the check."""
    import torch

    from latentspec.lwgan import _estimator

    gpu_check = load_script("gpu_check")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "fake GPU")
    monkeypatch.setattr(_estimator, "resolve_device", lambda device: torch.device("cpu"))
    record = gpu_check.main(["--quick", "--out", str(tmp_path / "gpu.json")])
    assert record["cuda"] is True and record["device_name"] == "fake GPU"
    assert [(e["run"], e["precision"]) for e in record["digits"]] == [
        ("cpu float32", "float32"), ("cuda float32", "float32"), ("cuda bfloat16", "bfloat16")]
    assert record["compile_and_cuda_graphs"]["parameters"] == []
    assert record["mnist"] == {"skipped": "--quick"}
    assert record["ok"] and [r["model"] for r in record["save_load"]["results"]] == ["digits cuda float32"] * 2


def test_racing_check_quick_run_compares_both_scorings(load_script, tmp_path, capsys):
    racing_check = load_script("racing_check")
    rows = racing_check.main(["--quick", "--datasets", "s_curve", "--out", str(tmp_path / "racing.json")])
    row = rows[0]
    assert row["same"] == (row["full_authors"] == row["racing_authors"] and row["full_one_se"] == row["racing_one_se"])
    assert 1 <= row["racing_kept"] <= row["full_kept"] == row["ranks"]
    assert (tmp_path / "racing.json").exists() and "same:" in capsys.readouterr().out


def test_fit_time_limit_quick_run_splits_training_from_scoring(load_script, tmp_path):
    from latentspec.lwgan import _estimator

    fit_time_limit = load_script("fit_time_limit")
    originals = (_estimator.LWGANEstimator._train, _estimator.LWGANEstimator._score_ranks)
    out = tmp_path / "fit_time_limit.json"
    record = fit_time_limit.main(["--quick", "--out", str(out)])
    assert (_estimator.LWGANEstimator._train, _estimator.LWGANEstimator._score_ranks) == originals  # put back
    assert json.loads(out.read_text())["results"] == json.loads(json.dumps(record["results"]))
    rows = record["results"]
    assert list(rows) == ["gaussian100", "cube70", "sphere10"]
    assert [rows[name]["n_features"] for name in rows] == [100, 71, 11]
    assert rows["sphere10"]["ranks_searched"] == 11  # TwoNN about 9 on 300 rows: 2 * 9 + 2 is above 11
    assert rows["gaussian100"]["ranks_searched"] > rows["sphere10"]["ranks_searched"]
    for row in rows.values():
        assert 0 < row["training_s"] and 0 <= row["scoring_s"]
        assert row["training_s"] + row["scoring_s"] <= row["total_s"] + 0.02
        assert row["within_target"] == (row["total_s"] <= fit_time_limit.TARGET_SECONDS)
