"""The demo (latentspec/app/_demo.py) and its report: ``latentspec demo --quick`` writes index.html, its figures
and results.json.
"""

import contextlib
import io
import json
import re
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.image import imread  # noqa: E402

from latentspec.app import _cli as cli  # noqa: E402
from latentspec.app._demo import PAIRS  # noqa: E402

FIGURES = {"rank_scores", "samples_per_rank", "samples_beside_data", "training_history", "lsd_spectrum",
           "denoising_grid", "rotation_morph", "training_history_labelled"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One quick demo through the command line: (folder, exit code, stdout, stderr, results)."""
    out = tmp_path_factory.mktemp("report")
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["demo", "--quick", "--out", str(out)])
    return out, code, stdout.getvalue(), stderr.getvalue(), json.loads((out / "results.json").read_text())


def test_demo_exits_zero_and_prints_the_report_path(demo):
    out, code, stdout, _, _ = demo
    assert code == 0
    assert stdout.strip() == str((out / "index.html").resolve())


def test_index_references_every_figure_and_every_figure_is_a_png(demo):
    out, _, _, _, results = demo
    page = (out / "index.html").read_text()
    referenced = re.findall(r"<img src='([^']+)'", page)
    written = sorted(p.name for p in out.glob("*.png"))
    assert sorted(referenced) == written
    assert set(results["figures"]) == FIGURES
    assert sorted(results["figures"].values()) == written
    for name in written:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = imread(out / name)
        assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert "http" not in page  # self-contained: nothing fetched from elsewhere


def test_samples_per_rank_figure_has_a_row_per_rank(demo):
    """The figure's height grows with the rows: one row per rank searched (at least 10 on the digits)."""
    out, _, _, _, results = demo
    image = imread(out / "samples_per_rank.png")
    assert results["intrinsic_dimension"]["latent_dim"] >= 10
    assert image.shape[0] > 1.2 * image.shape[1]  # a row of 10 images per rank: taller than wide


def test_results_json_holds_the_key_numbers(demo):
    _, _, _, _, results = demo
    dim = results["intrinsic_dimension"]
    assert dim["rank_scores"]["rank"] == list(range(1, dim["latent_dim"] + 1))
    assert 1 <= dim["intrinsic_dim"] <= dim["latent_dim"]
    u = dim["uncertainty"]
    assert u["estimate"] == dim["intrinsic_dim"]
    assert u["std_error"] == pytest.approx(dim["rank_scores"]["std_error"][dim["intrinsic_dim"] - 1])
    assert u["best_rank"] in u["within_one_se"]
    # The quick demo's networks are tiny, but its numbers still mean something. Measured with random_state
    # 0, 1, 2 and 3 (and 2 torch threads for 0: the same): LSD accuracy 0.63, 0.65, 0.50, 0.61 on 10
    # classes; denoising error (noise 0.25, so 0.0625 per entry in the input) 0.020-0.021 for the recipe
    # and 0.028 for PCA, a third and 45 % of the input's. The bounds leave room for that spread.
    basis = results["quasi_eigenbasis"]
    assert basis["n_train"] + basis["n_test"] == 1797
    assert basis["accuracy"] > 0.3  # chance is 0.1
    den = results["denoising"]
    assert den["noise_std"] == 0.25
    assert den["mse_noisy_input"] == pytest.approx(0.25**2, rel=0.05)
    assert 0.0 < den["mse_pca"] < 0.6 * den["mse_noisy_input"]
    assert den["mse_lsd"] < 0.5 * den["mse_noisy_input"]
    assert den["mse_lsd"] < den["mse_pca"]  # the recipe beats PCA, both chosen by SURE on noisy digits
    assert 1 <= den["lsd_n_components"] <= 16 and 1 <= den["pca_n_components"] <= 64
    assert den["noise_std_estimate"] == pytest.approx(0.25, rel=0.1)  # read off the noisy digits alone
    assert den["residual_threshold"] >= 1.0
    rot = results["rotations"]
    assert [(p["source"], p["target"]) for p in rot["pairs"]] == PAIRS
    assert rot["mean_success"] == pytest.approx(np.mean([p["success"] for p in rot["pairs"]]))
    assert rot["judge_accuracy_clean_test"] > 0.9
    assert results["random_state"] == 0 and results["quick"] is True
    assert set(results["versions"]) >= {"latentspec", "torch", "scikit-learn", "numpy", "matplotlib", "python"}
    assert results["seconds"]["total"] >= sum(v for k, v in results["seconds"].items() if k != "total") - 0.5


def test_index_shows_the_numbers_of_results_json(demo):
    out, _, _, _, results = demo
    page = (out / "index.html").read_text()
    assert f"{results['quasi_eigenbasis']['accuracy']:.3f}" in page
    assert f"{results['denoising']['mse_lsd']:.4f}" in page
    assert f"{results['rotations']['mean_success']:.3f}" in page
    row = re.search(r"<th>intrinsic dimension[^<]*</th><td>(\d+) \(", page)
    assert row is not None and int(row.group(1)) == results["intrinsic_dimension"]["intrinsic_dim"]
    assert "Quick mode" in page


def test_progress_names_every_step_with_elapsed_time(demo):
    _, _, _, stderr, _ = demo
    steps = re.findall(r"^\[\s*[\d.]+ s\] (\d)/5 ", stderr, flags=re.MULTILINE)
    assert steps == ["1", "2", "3", "4", "5"]
    # captured stderr is not a terminal: the step lines, but none of the estimators' progress bars
    assert "step/s" not in stderr and "s/step" not in stderr


def test_demo_errors_are_one_line(tmp_path, capsys, monkeypatch):
    """An --out that is a file, negative --threads, no matplotlib: exit 2 and a one-line reason, before training."""
    blocker = tmp_path / "taken"
    blocker.write_text("")
    assert cli.main(["demo", "--quick", "--quiet", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latentspec: error: ") and len(err.splitlines()) == 1
    assert cli.main(["demo", "--quick", "--quiet", "--threads", "-1", "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--threads must be >= 0" in err and len(err.splitlines()) == 1
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["demo", "--quick", "--quiet", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "needs matplotlib" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_run_demo_without_progress_keeps_the_estimators_quiet(monkeypatch, tmp_path):
    """progress=False, or fits in worker processes (n_jobs > 1): the estimators get verbose=0 (no bars)."""
    pytest.importorskip("matplotlib")
    from latentspec.app import _demo as demo

    seen = {}

    def stop(params, **fixed):
        seen.update(params)
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "_lwgan", stop)
    for progress, n_jobs, verbose in ((True, 1, 1), (False, 1, 0), (True, 2, 0)):
        with pytest.raises(KeyboardInterrupt):
            demo.run_demo(tmp_path, quick=True, verbose=1, progress=progress, n_jobs=n_jobs)
        assert seen["verbose"] == verbose


def test_the_report_shows_the_first_estimate_and_what_contradicts_the_estimate():
    from latentspec.app._report_html import _first_estimate_note

    assert _first_estimate_note({"first_estimate": 9.0, "problems": []}) == "; nearest-neighbour (TwoNN) estimate 9.0"
    flagged = _first_estimate_note({"first_estimate": 42.5, "problems": ["the estimate 1 is less than half"]})
    assert flagged.endswith("; WARNING, cannot be trusted: the estimate 1 is less than half")
    assert _first_estimate_note({"estimate": 6}) == ""  # results written before 0.2


def test_fits_side_by_side_give_the_numbers_of_fits_one_after_the_other(tmp_path):
    """Guards n_jobs: worker processes change where the fits run, not what they give (threads fixed)."""
    from latentspec.app import run_demo

    numbers = []
    for n_jobs in (1, 3):
        results = run_demo(tmp_path / str(n_jobs), quick=True, verbose=0, n_threads=1, n_jobs=n_jobs)
        assert results["worker_processes"] == {"dimension_and_basis": min(n_jobs, 2), "denoising": n_jobs}
        numbers.append((results["intrinsic_dimension"]["rank_scores"], results["quasi_eigenbasis"]["accuracy"],
                        results["denoising"], results["rotations"]))
    assert numbers[0] == numbers[1]


def test_demo_jobs_option_is_checked_before_training(tmp_path, capsys):
    assert cli.main(["demo", "--quick", "--quiet", "--jobs", "0", "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert "--jobs must be >= 1" in err and len(err.splitlines()) == 1


def test_the_report_says_how_many_fits_ran_side_by_side():
    from latentspec.app._report_html import _workers_note

    note = _workers_note({"dimension_and_basis": 2, "denoising": 3})
    assert note == "; fits side by side in up to 3 worker processes"
    assert _workers_note({"dimension_and_basis": 1, "denoising": 1}) == "; fits one after the other"
    assert _workers_note(None) == ""


def test_the_load_is_read_once_for_both_steps(monkeypatch):
    """Guards _workers: one reading decides both steps, so they never disagree (one side by side, one not)."""
    from latentspec.app import _demo as demo

    readings = iter([True, False])
    monkeypatch.setattr(demo, "parallel_fits", lambda: next(readings))
    assert demo._workers(None) == {"dimension_and_basis": 2, "denoising": 3}
    assert demo._workers(None) == {"dimension_and_basis": 1, "denoising": 1}
    assert demo._workers(2) == {"dimension_and_basis": 2, "denoising": 2}
    assert demo._workers(1) == {"dimension_and_basis": 1, "denoising": 1}
