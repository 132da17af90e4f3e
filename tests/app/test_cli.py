"""The command line: estimate-dim on built-in names and files, --json, the plot, errors, --help."""

import json
import subprocess
import sys

import numpy as np
import pytest

from latentspec.app import _cli as cli


@pytest.fixture
def tiny_cli(monkeypatch, tmp_path, tiny_params):
    """Make the command line fit with the tiny settings (it otherwise uses the defaults).

    Runs in ``tmp_path``, where the default plot ``rank_scores.png`` lands.
    """
    original = cli.LWGANEstimator

    def tiny(**kwargs):
        return original(**{**tiny_params, **kwargs})

    monkeypatch.setattr(cli, "LWGANEstimator", tiny)
    monkeypatch.chdir(tmp_path)


def test_estimate_dim_json_on_npy(tmp_path, capsys, tiny_cli):
    """A .npy file in, JSON out with the estimate and one score per rank."""
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).normal(size=(60, 3)))
    assert cli.main(["estimate-dim", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 60 and result["n_features"] == 3
    assert 1 <= result["intrinsic_dim"] <= 3
    assert result["rank_scores"]["rank"] == [1, 2, 3]


def test_estimate_dim_table_on_builtin(capsys, tiny_cli):
    """A built-in data set name prints a table and the known dimension."""
    assert cli.main(["estimate-dim", "swiss_roll", "--n-samples", "80"]) == 0
    out = capsys.readouterr().out
    assert "intrinsic dimension:" in out and "(true: 1)" in out


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("missing.npy", None, "neither a file nor a data set name"),
        ("x.txt", b"not an array", "unsupported file type"),
        ("bad.npy", b"\x93NUMPY garbage", "is not a valid numeric .npy array"),
        ("nan.npy", np.array([[1.0, np.nan], [2.0, 3.0]] * 5), "NaN"),
        ("one_d.npy", np.arange(10.0), "expected a 2-D array"),
        ("three_d.npy", np.zeros((4, 3, 2)), "expected a 2-D array"),
        ("text.npy", np.array([["a", "b"], ["c", "d"]] * 5), "strings, not numbers"),
        ("complex.npy", np.ones((10, 2)) * (1 + 1j), "Complex data not supported"),
        ("empty.csv", b"", "holds no data"),
        ("empty.npy", np.zeros((0, 3)), "holds no data"),
        ("words.csv", b"a,b\nc,d\n", "line 2, column 1: 'c' is not a number"),
        ("two.npz", None, "expected exactly one"),
        ("few.npy", np.ones((3, 2)), "needs at least"),
    ],
)
def test_bad_files_exit_non_zero_with_one_line(tmp_path, capsys, tiny_cli, filename, content, message):
    """Missing, unknown, corrupt, NaN, 1-D, 3-D, text, complex, empty, tiny files: exit 2, a one-line reason."""
    path = tmp_path / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        np.save(path, content)
    elif filename == "two.npz":
        np.savez(path, a=np.ones((5, 2)), b=np.ones((5, 2)))
    assert cli.main(["estimate-dim", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert err.startswith("latentspec: error: ")
    assert not (tmp_path / "rank_scores.png").exists()


def test_estimate_dim_prints_uncertainty_and_saves_the_plot(tmp_path, capsys, tiny_cli):
    """The table ends with the uncertainty line; the rank-score plot lands at rank_scores.png by default."""
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "80"]) == 0
    out = capsys.readouterr().out
    assert "uncertainty: score" in out and "ranks within one paired std. error of the best" in out
    assert "rank-score plot: rank_scores.png" in out
    image = pytest.importorskip("matplotlib.image").imread(tmp_path / "rank_scores.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


def test_estimate_dim_json_uncertainty_matches_the_scores(tmp_path, capsys, tiny_cli):
    """--json: the uncertainty is that of the estimate's own score; --plot PATH saves there."""
    target = tmp_path / "plots" / "dims.png"
    target.parent.mkdir()
    assert cli.main(["estimate-dim", "swiss_roll", "--n-samples", "80", "--json", "--plot", str(target)]) == 0
    result = json.loads(capsys.readouterr().out)
    u, scores = result["uncertainty"], result["rank_scores"]
    at = scores["rank"].index(result["intrinsic_dim"])
    assert u["estimate"] == result["intrinsic_dim"]
    assert u["std_error"] == pytest.approx(scores["std_error"][at])
    assert u["best_rank"] == scores["rank"][int(np.argmin(scores["mean"]))]
    assert u["best_rank"] in u["within_one_se"]
    assert result["plot"] == str(target) and target.stat().st_size > 1000


def test_no_plot_and_missing_plot_folder(tmp_path, capsys, tiny_cli):
    """--no-plot writes nothing; a --plot folder that does not exist fails before the fit."""
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "80", "--no-plot"]) == 0
    assert "rank-score plot" not in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["estimate-dim", "s_curve", "--plot", str(tmp_path / "no" / "p.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "does not exist" in err and len(err.splitlines()) == 1


def test_estimate_dim_without_matplotlib_says_so(tmp_path, capsys, tiny_cli, monkeypatch):
    """No matplotlib: the estimate is still printed, exit 0, and a note on stderr instead of a plot."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "80"]) == 0
    captured = capsys.readouterr()
    assert "intrinsic dimension:" in captured.out
    assert "matplotlib is not installed" in captured.err
    assert not (tmp_path / "rank_scores.png").exists()


@pytest.mark.parametrize("command", [[], ["demo"], ["estimate-dim"]])
def test_help_of_every_command(capsys, command):
    """--help prints the usage of every command and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: latentspec")
    expected = {"": ["demo", "estimate-dim"], "demo": ["--out", "--quick", "--random-state"],
                "estimate-dim": ["--plot", "--no-plot", "--json", "--header", "--drop-first-column",
                                 "counted from 1"]}[" ".join(command)]
    words = " ".join(out.split())  # argparse wraps the help text at the terminal's width
    assert all(option in words for option in expected)


def test_python_dash_m_runs_the_command_line():
    """``python -m latentspec`` is the same command line (with its exit codes)."""
    done = subprocess.run([sys.executable, "-m", "latentspec", "estimate-dim", "no_such_thing"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "neither a file nor a data set name" in done.stderr


# ------------------------------------------------------------------ threads, --version, --quick
@pytest.fixture
def cli_kwargs(monkeypatch, tmp_path, tiny_params):
    """The keyword arguments the command line gives LWGANEstimator (fitted with the tiny settings)."""
    seen = {}
    original = cli.LWGANEstimator

    def recording(**kwargs):
        seen.update(kwargs)
        return original(**{**tiny_params, **kwargs})

    monkeypatch.setattr(cli, "LWGANEstimator", recording)
    monkeypatch.chdir(tmp_path)
    return seen


@pytest.mark.parametrize(("option", "expected"), [([], None), (["--threads", "2"], 2), (["--threads", "0"], "torch")])
def test_estimate_dim_threads_option(capsys, cli_kwargs, option, expected):
    """--threads N is the estimator's n_threads; no option leaves the library's policy (None); 0 torch's choice."""
    import torch

    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "60", "--json", "--no-plot", *option]) == 0
    want = torch.get_num_threads() if expected == "torch" else expected
    assert cli_kwargs["n_threads"] == want
    assert json.loads(capsys.readouterr().out)["threads"] >= 1


def test_estimate_dim_refuses_negative_threads(capsys, cli_kwargs):
    assert cli.main(["estimate-dim", "s_curve", "--threads", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--threads must be >= 0" in err and len(err.splitlines()) == 1


def test_demo_passes_its_threads_to_the_estimators(monkeypatch, tmp_path):
    """demo --threads N reaches every estimator as n_threads, so the library's policy does not override it."""
    seen = {}

    def fake_demo(out, **kwargs):
        seen.update(kwargs)
        return {}

    monkeypatch.setattr(cli, "run_demo", fake_demo)
    assert cli.main(["demo", "--threads", "2", "--out", str(tmp_path)]) == 0
    assert seen["n_threads"] == 2
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert seen["n_threads"] is None  # the library's policy, as for estimate-dim and the estimator


def test_the_thread_help_says_what_the_estimator_does(capsys):
    """demo and estimate-dim document the one default the estimator applies (n_threads=None)."""
    for command in ("demo", "estimate-dim"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert "capped at the CPUs that other processes leave idle" in help_text
        assert "1 for these small networks" not in help_text


def test_version(capsys):
    import latentspec

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"latentspec {latentspec.__version__}"


def test_quick_fits_in_seconds(tmp_path, capsys, monkeypatch):
    """--quick: small networks and few steps (real settings, not the test's tiny ones), a result in seconds."""
    import time

    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "60", "--latent-dim", "3", "--quick", "--json",
                     "--no-plot"]) == 0
    assert time.perf_counter() - start < 60
    result = json.loads(capsys.readouterr().out)
    assert result["quick"] is True and result["rank_scores"]["rank"] == [1, 2, 3]


# ----------------------------------------------------------------- progress, --n-samples, file options
class _Terminal:
    """A stand-in stderr that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(capsys, tiny_cli, monkeypatch):
    """Redirected stderr (not a terminal) gets no progress bar; the results are still printed. A terminal gets it."""
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "60", "--no-plot"]) == 0
    captured = capsys.readouterr()
    assert "intrinsic dimension:" in captured.out
    assert "LWGAN" not in captured.err and "step" not in captured.err
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "60", "--no-plot"]) == 0
    assert "intrinsic dimension:" in capsys.readouterr().out
    assert "LWGAN" in "".join(terminal.text)


@pytest.mark.parametrize("terminal", [False, True])
def test_demo_progress_bars_only_on_a_terminal(monkeypatch, tmp_path, terminal):
    """demo: the step lines always (unless --quiet), the estimators' progress bars only on a terminal."""
    seen = {}
    monkeypatch.setattr(cli, "run_demo", lambda out, **kwargs: seen.update(kwargs) or {})
    if terminal:
        monkeypatch.setattr(sys, "stderr", _Terminal())
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert seen["verbose"] == 1 and seen["progress"] is terminal


def test_n_samples_with_a_file_is_an_error(tmp_path, capsys, tiny_cli):
    """--n-samples applies to the built-in data sets; with a file it is refused, not silently ignored."""
    path = tmp_path / "x.npy"
    np.save(path, np.ones((50, 2)))
    assert cli.main(["estimate-dim", str(path), "--n-samples", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--n-samples applies to the built-in data sets only" in err and str(path) in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["s_curve", "--header", "yes"], "--header applies to files only; 's_curve' is a built-in data set"),
        (["s_curve", "--drop-first-column"], "--drop-first-column applies to files only"),
        (["{tmp}/x.npy", "--header", "no"], "--header applies to .csv files only"),
        (["{tmp}/one.csv", "--drop-first-column"], "has only one column"),
    ],
)
def test_file_options_refused_where_they_do_not_apply(tmp_path, capsys, tiny_cli, argv, message):
    np.save(tmp_path / "x.npy", np.ones((10, 2)))
    (tmp_path / "one.csv").write_text("1\n2\n3\n")
    assert cli.main(["estimate-dim", *(a.format(tmp=tmp_path) for a in argv)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_estimate_dim_shows_the_first_estimate_and_what_contradicts_the_estimate(tmp_path, capsys, tiny_cli,
                                                                                 monkeypatch):
    """The diagnostics reach the user: the TwoNN estimate, and a WARNING line when it contradicts the rank."""
    import warnings

    import latentspec.lwgan._estimator as module

    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal((200, 5)))
    monkeypatch.setattr(module, "two_nn_dimension", lambda X: 4.6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli.main(["estimate-dim", str(path), "--no-plot", "--latent-dim", "1"]) == 0
    out = capsys.readouterr().out
    assert "nearest-neighbour (TwoNN) estimate of the same data: 4.6" in out
    assert "WARNING: the estimate cannot be trusted: the estimate 1 is less than half" in out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli.main(["estimate-dim", str(path), "--no-plot", "--latent-dim", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["uncertainty"]["first_estimate"] == 4.6
    assert result["uncertainty"]["problems"] and result["uncertainty"]["interval"] == [1, 1]


def test_estimate_dim_standardize_option(capsys, cli_kwargs):
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "100", "--no-plot", "--standardize"]) == 0
    assert cli_kwargs["standardize"] is True
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "100", "--no-plot"]) == 0
    assert cli_kwargs["standardize"] is False


def test_estimate_dim_no_whiten_option(capsys, cli_kwargs):
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "100", "--no-plot", "--no-whiten"]) == 0
    assert cli_kwargs["whiten"] is False
    assert cli.main(["estimate-dim", "s_curve", "--n-samples", "100", "--no-plot"]) == 0
    assert cli_kwargs["whiten"] == "auto"
