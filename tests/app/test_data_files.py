"""Reading the command line's files (latentspec/app/_data_files.py), through estimate-dim.

.csv and .npz files, header rows (numeric names too), index columns, and errors that name file, line
and column.
"""

import json

import numpy as np
import pytest

from latentspec.app import _cli as cli


@pytest.fixture
def tiny_cli(monkeypatch, tmp_path, tiny_params):
    """Fit with the tiny settings, in ``tmp_path``."""
    original = cli.LWGANEstimator
    monkeypatch.setattr(cli, "LWGANEstimator", lambda **kwargs: original(**{**tiny_params, **kwargs}))
    monkeypatch.chdir(tmp_path)


def _rows(X, index=False):
    return "".join((f"{i}," if index else "") + ",".join(repr(float(v)) for v in row) + "\n" for i, row in enumerate(X))


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(40, 3))


def _run(capsys, *argv):
    code = cli.main(["estimate-dim", *map(str, argv), "--json", "--no-plot"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


# ----------------------------------------------------------------------------------------- file types
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


# ----------------------------------------------------------------------------------------- header rows
def test_pandas_default_column_names_are_a_header(tmp_path, capsys, tiny_cli, X):
    """The header ``0,1,2`` that DataFrame(X).to_csv(index=False) writes is not read as a sample; a note says so."""
    path = tmp_path / "f.csv"
    path.write_text("0,1,2\n" + _rows(X))
    code, result, err = _run(capsys, path)
    assert code == 0 and result["n_samples"] == 40 and result["n_features"] == 3
    assert f"latentspec: note: {path}: line 1 is taken as a header row (column names '0', '1', '2')" in err
    assert "--header no" in err


def test_header_no_and_yes_override_the_guess(tmp_path, capsys, tiny_cli, X):
    """--header no reads the first line as data (no note); --header yes drops a first line of numbers."""
    path = tmp_path / "f.csv"
    path.write_text("0,1,2\n" + _rows(X))
    code, result, err = _run(capsys, path, "--header", "no")
    assert code == 0 and result["n_samples"] == 41 and "note" not in err
    plain = tmp_path / "plain.csv"
    plain.write_text(_rows(X))
    code, result, err = _run(capsys, plain)
    assert code == 0 and result["n_samples"] == 40 and "note" not in err
    code, result, _ = _run(capsys, plain, "--header", "yes")
    assert code == 0 and result["n_samples"] == 39


def test_real_pandas_files(tmp_path, capsys, tiny_cli, X):
    """What pandas writes, with and without its index: 40 samples; the index column is pointed out, then dropped."""
    pd = pytest.importorskip("pandas")
    path = tmp_path / "f.csv"
    pd.DataFrame(X).to_csv(path, index=False)
    code, result, _ = _run(capsys, path)
    assert code == 0 and (result["n_samples"], result["n_features"]) == (40, 3)
    pd.DataFrame(X).to_csv(path)  # with the index column, header ",0,1,2"
    code, result, err = _run(capsys, path)
    assert code == 0 and (result["n_samples"], result["n_features"]) == (40, 4)
    assert "column 1 counts the rows (0, 1, 2, ...)" in err and "--drop-first-column" in err
    code, result, err = _run(capsys, path, "--drop-first-column")
    assert code == 0 and (result["n_samples"], result["n_features"]) == (40, 3)
    assert "counts the rows" not in err
    assert np.allclose(cli.load_array(str(path), drop_first_column=True)[0], X)


def test_names_header_is_silent_and_comment_lines_are_skipped(tmp_path, capsys, tiny_cli, X):
    """A header of names (after numpy.savetxt's comment line and a blank line) is skipped without a note."""
    path = tmp_path / "f.csv"
    path.write_text("# written by numpy\n\nx,y,z\n" + _rows(X))
    code, result, err = _run(capsys, path)
    assert code == 0 and result["n_samples"] == 40 and err == ""


def test_csv_with_a_header_row(tmp_path, capsys, tiny_cli):
    """A first row of column names (x,y,z) is skipped, not an error; the data rows are all read."""
    path = tmp_path / "x.csv"
    X = np.random.default_rng(0).normal(size=(30, 3))
    path.write_text("x,y,z\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in X) + "\n")
    assert cli.main(["estimate-dim", str(path), "--json", "--no-plot"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_samples"] == 30 and result["n_features"] == 3


# ----------------------------------------------------------------------------------------- errors
NAN_NPY = np.array([[1.0, 2.0], [3.0, np.nan]] * 5)


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        # CSV: 1-based lines as an editor numbers them (header and comment lines count), 1-based columns
        ("ragged.csv", "x,y,z\n1,2,3\n4,5\n", "ragged.csv, line 3: 2 fields, but line 2 has 3"),
        ("nan.csv", "# c\nx,y\n1,2\n3,nan\n", "nan.csv, line 4, column 2: NaN (a missing or undefined value)"),
        ("inf.csv", "1,2\n3,4\n-inf,4\n", "inf.csv, line 3, column 1: -inf (an infinite value)"),
        ("word.csv", "x,y\n1,2\n3,abc\n", "word.csv, line 3, column 2: 'abc' is not a number"),
        ("hole.csv", "1,2,3\n4,,6\n", "hole.csv, line 2, column 2: empty field"),
        ("names.csv", "a,b\nc,d\n", "names.csv, line 2, column 1: 'c' is not a number"),
        ("short.csv", "x,y,z\n1,2\n3,4\n", "short.csv, line 1: the header row has 3 fields but the data rows have 2"),
        ("latin.csv", b"x,y\n1,2\n3,\xe94\n", "latin.csv, line 3, column 2: byte 0xe9 is not UTF-8 text"),
        # .npy / .npz: 1-based row and column of the array; never a hint to unpickle
        ("nan.npy", NAN_NPY, "nan.npy, row 2, column 2: NaN (a missing or undefined value) (5 values in all"),
        ("obj.npy", np.array([{"a": 1}] * 4, dtype=object),
         "obj.npy is not a valid numeric .npy array: it stores Python objects"),
        ("junk.npy", b"not an array at all", "junk.npy is not a valid numeric .npy array"),
        ("bad.npy", b"\x93NUMPY garbage", "bad.npy is not a valid numeric .npy array"),
        ("junk.npz", b"not a zip", "junk.npz is not a valid .npz archive"),
        ("obj.npz", {"a": np.array([None] * 4, dtype=object)},
         "obj.npz (array 'a') is not a valid numeric .npy array: it stores Python objects"),
        ("nan.npz", {"data": NAN_NPY}, "nan.npz (array 'data'), row 2, column 2: NaN"),
    ],
)
def test_file_errors_name_file_line_and_column(tmp_path, capsys, tiny_cli, filename, content, message):
    path = tmp_path / filename
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        np.savez(path, **content)
    else:
        np.save(path, content)
    assert cli.main(["estimate-dim", str(path), "--no-plot"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("latentspec: error: ") and len(err.splitlines()) == 1
    assert f"{tmp_path}/{message}" in err
    assert "pickle" not in err and "usecols" not in err
