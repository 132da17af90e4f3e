"""The command line: estimate-dim on built-in names and files, --json, errors."""

import json

import numpy as np
import pytest

from latentspec import cli


@pytest.fixture
def tiny_cli(monkeypatch, tiny_params):
    """Make the command line fit with the tiny settings (it otherwise uses the defaults)."""
    original = cli.LWGANEstimator

    def tiny(**kwargs):
        return original(**{**tiny_params, **kwargs})

    monkeypatch.setattr(cli, "LWGANEstimator", tiny)


def test_estimate_dim_json_on_npy(tmp_path, capsys, tiny_cli):
    """A .npy file in, JSON out with the estimate and one score per rank."""
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).normal(size=(60, 3)))
    assert cli.main(["estimate-dim", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 60 and result["n_features"] == 3
    assert 1 <= result["intrinsic_dim"] <= 3
    assert result["rank_scores"]["rank"] == [1, 2, 3]


@pytest.mark.parametrize("suffix", [".csv", ".npz"])
def test_estimate_dim_reads_csv_and_npz(tmp_path, capsys, tiny_cli, suffix):
    """CSV and single-array NPZ files are read as (n_samples, n_features)."""
    X = np.random.default_rng(1).normal(size=(40, 2))
    path = tmp_path / f"x{suffix}"
    if suffix == ".csv":
        np.savetxt(path, X, delimiter=",")
    else:
        np.savez(path, X=X)
    assert cli.main(["estimate-dim", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_features"] == 2


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
        ("bad.npy", b"\x93NUMPY garbage", "cannot read"),
        ("nan.npy", np.array([[1.0, np.nan], [2.0, 3.0]] * 5), "NaN"),
    ],
)
def test_bad_files_exit_non_zero_with_one_line(tmp_path, capsys, tiny_cli, filename, content, message):
    """Missing, unknown, corrupt and NaN-holding files: exit 2 and a one-line reason."""
    path = tmp_path / filename
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        np.save(path, content)
    assert cli.main(["estimate-dim", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
