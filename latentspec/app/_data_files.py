"""Reading a data file for the command line: ``.npy``, ``.npz`` or ``.csv`` of shape ``(n_samples, n_features)``.

Every error names the file and, where the problem sits in one place, its position,
counted as a user sees it:

- CSV: the line as a text editor numbers it (the file's first line is line 1, the
  header and comment lines included) and the comma-separated field within that line
  (the first is column 1);
- ``.npy`` and ``.npz``: the row and column of the array, both counted from 1.

A CSV's header row is recognised by :func:`_is_header` (``header="auto"``), and a
first column that counts the rows (the index that pandas' ``DataFrame.to_csv`` writes
unless ``index=False``) gives a note. Notes go to ``note``, a callable taking one
line of text.
"""

from __future__ import annotations

import csv
import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["HEADER_CHOICES", "read_data_file"]

HEADER_CHOICES = ("auto", "yes", "no")


def read_data_file(
    path: Path, *, header: str = "auto", drop_first_column: bool = False, note: Callable[[str], None] = print
) -> np.ndarray:
    """Read ``path`` (.npy, .npz or .csv) as a 2-D numeric array of finite values.

    Parameters
    ----------
    path : Path
        An existing file whose suffix is ``.npy``, ``.npz`` or ``.csv``.
    header : {"auto", "yes", "no"}, default="auto"
        CSV only: whether the first line (after blank and ``#`` comment lines) holds
        column names. ``"auto"`` takes it as a header when a field is not a number, or
        when its fields are exactly ``0, 1, ..., k-1`` (the column names pandas writes
        for an unnamed frame), and then says so through ``note``.
    drop_first_column : bool, default=False
        Leave out the first column (an index column, such as pandas' row index).
    note : callable, default=print
        Receives one line of text for each note (a header guessed from numbers, a
        first column that counts the rows).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The numbers as stored (float for a CSV).

    Raises
    ------
    ValueError
        The file cannot be read, or does not hold a 2-D array of finite numbers; the
        message names the file and, where there is one, the line or row and the column.
    """
    name = str(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        X, lines = _read_csv(path, header, note)
        where = _csv_position(name, lines)
    else:
        if suffix == ".npy":
            X = _read_npy(path)
        elif suffix == ".npz":
            X, member = _read_npz(path)
            name = f"{name} (array {member!r})"
        else:
            raise ValueError(f"{path}: unsupported file type {suffix!r}; use .npy, .npz or .csv")
        _check_numeric(X, name)
        where = _array_position(name)
    if X.size == 0:
        raise ValueError(f"{name}: the file holds no data (shape {X.shape})")
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got shape {X.shape}")
    first_column = 1
    if drop_first_column:
        if X.shape[1] < 2:
            raise ValueError(f"--drop-first-column: {name} has only one column, which would leave no data")
        X, first_column = X[:, 1:], 2
    else:
        _note_index_column(X, name, note)
    _check_finite(X, where, first_column)
    return X


# ----------------------------------------------------------------------------------------- .npy, .npz
def _not_numeric_npy(name: str, exc: BaseException) -> ValueError:
    """The error for a .npy file (or .npz member) numpy cannot read without unpickling: never suggest that."""
    text = str(exc)
    if isinstance(exc, ValueError) and "magic string" in text:
        reason = "it does not start with the .npy signature (not a .npy file, or damaged)"
    elif "Object arrays" in text or "pickle" in text:
        reason = "it stores Python objects (dtype object), not numbers"
    else:
        reason = f"the file is damaged or cut short ({text or type(exc).__name__})"
    return ValueError(f"{name} is not a valid numeric .npy array: {reason}; "
                      "save a 2-D array of numbers with numpy.save")


def _read_npy(path: Path) -> np.ndarray:
    with open(path, "rb") as file:
        try:
            return np.lib.format.read_array(file, allow_pickle=False)
        except (ValueError, EOFError, SyntaxError) as exc:
            raise _not_numeric_npy(str(path), exc) from None


def _read_npz(path: Path) -> tuple[np.ndarray, str]:
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a valid .npz archive (not a zip file); save one array with numpy.savez")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if len(archive.files) != 1:
                raise ValueError(f"{path} holds {len(archive.files)} arrays ({', '.join(archive.files)}); "
                                 "expected exactly one")
            member = archive.files[0]
            try:
                return archive[member], member
            except (ValueError, EOFError, SyntaxError) as exc:
                raise _not_numeric_npy(f"{path} (array {member!r})", exc) from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{path} is not a valid .npz archive (damaged: {exc}); "
                         "save one array with numpy.savez") from None


def _check_numeric(X: np.ndarray, name: str) -> None:
    kind = X.dtype.kind
    if kind == "c":
        raise ValueError(f"{name}: Complex data not supported (dtype {X.dtype}); "
                         "store the real and imaginary parts as separate columns")
    if kind in "US":
        raise ValueError(f"{name}: the array holds strings, not numbers (dtype {X.dtype}); save a numeric array")
    if kind not in "biuf":
        raise ValueError(f"{name}: the array holds {X.dtype} values, not numbers; save a numeric array")


def _array_position(name: str) -> Callable[[int, int], str]:
    return lambda row, column: f"{name}, row {row + 1}, column {column}"


# ----------------------------------------------------------------------------------------- checks on X
def _check_finite(X: np.ndarray, where: Callable[[int, int], str], first_column: int) -> None:
    """Refuse NaN and infinite values, naming the first one's place (``where(row index, 1-based column)``)."""
    if X.dtype.kind != "f":
        return
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    count = int(bad.sum())
    row, column = (int(i) for i in np.argwhere(bad)[0])
    value = X[row, column]
    what = "NaN (a missing or undefined value)" if math.isnan(value) else f"{value} (an infinite value)"
    more = f" ({count} values in all are NaN or infinite)" if count > 1 else ""
    raise ValueError(f"{where(row, column + first_column)}: {what}{more}; the estimator needs finite numbers: "
                     "drop or fill in the rows that hold them")


def _note_index_column(X: np.ndarray, name: str, note: Callable[[str], None]) -> None:
    """Note a first column that counts 0, 1, 2, ... (or 1, 2, 3, ...): a row index read as a feature."""
    n = X.shape[0]
    if X.shape[1] < 2 or n < 3 or X.dtype.kind not in "iuf":
        return
    first = X[:, 0]
    for start in (0, 1):
        if first[0] == start and np.array_equal(first, np.arange(start, start + n)):
            note(f"{name}: column 1 counts the rows ({start}, {start + 1}, {start + 2}, ...), like the index "
                 "pandas' to_csv() writes unless index=False; it is read as a feature. Pass "
                 "--drop-first-column to leave it out")
            return


# ----------------------------------------------------------------------------------------- .csv
def _is_number(field: str) -> bool:
    """Whether a CSV field is a number as numpy's loadtxt reads it (``nan`` and ``inf`` included)."""
    if "_" in field:  # float() accepts 1_000, loadtxt does not
        return False
    try:
        float(field)
    except ValueError:
        return False
    return True


def _is_header(fields: list[str]) -> bool:
    """``header="auto"``: a field is not a number, or the fields are pandas' default names 0, 1, ..., k-1."""
    return not all(_is_number(f) for f in fields) or fields == [str(i) for i in range(len(fields))]


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = data.count(b",", line_start, exc.start) + 1
        raise ValueError(f"{path}, line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8 text; "
                         "is it a CSV file? Save it as UTF-8 text") from None


def _read_csv(path: Path, header: str, note: Callable[[str], None]) -> tuple[np.ndarray, list[int]]:
    """The numbers of a CSV file and, for each row of them, its 1-based line number in the file."""
    if header not in HEADER_CHOICES:
        raise ValueError(f"header must be one of {', '.join(HEADER_CHOICES)}, got {header!r}")
    numbers, texts = [], []
    lines = _decode(path).replace("\r\n", "\n").replace("\r", "\n").split("\n")  # the line ends an editor counts
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if text and not text.startswith("#"):  # blank lines and comment lines (numpy.savetxt's header) are skipped
            numbers.append(number)
            texts.append(text)
    header_fields = None
    if texts:
        first = [field.strip() for field in texts[0].split(",")]
        if header == "yes" or (header == "auto" and _is_header(first)):
            header_fields = next(csv.reader([texts[0]]))
            header_line = numbers[0]
            numbers, texts = numbers[1:], texts[1:]
            if header == "auto" and any(_is_number(f) for f in first):  # not plain names: say what was guessed
                shown = ", ".join(repr(f) for f in header_fields[:5])
                shown += f", ... ({len(header_fields)} in all)" if len(header_fields) > 5 else ""
                numbers_only = all(_is_number(f) for f in first)
                note(f"{path}: line {header_line} is taken as a header row (column names {shown})"
                     + ("; pass --header no if it is data" if numbers_only else ""))
    if not texts:
        return np.empty((0, 0)), numbers
    try:
        X = np.loadtxt(texts, delimiter=",", ndmin=2, comments=None, dtype=float)
    except ValueError as exc:
        raise _csv_error(path, numbers, texts, exc) from None
    if header_fields is not None and len(header_fields) != X.shape[1]:
        raise ValueError(f"{path}, line {header_line}: the header row has {len(header_fields)} fields but the data "
                         f"rows have {X.shape[1]} (line {numbers[0]}); give every column one name, or pass "
                         f"--header no if line {header_line} is data")
    return X, numbers


def _csv_error(path: Path, numbers: list[int], texts: list[str], exc: ValueError) -> ValueError:
    """The first bad line of a CSV file that numpy could not read: a field count that changes, or not a number."""
    expected = None
    for number, text in zip(numbers, texts):
        fields = text.split(",")
        if expected is None:
            expected = (len(fields), number)
        elif len(fields) != expected[0]:
            return ValueError(f"{path}, line {number}: {len(fields)} fields, but line {expected[1]} has "
                              f"{expected[0]}; every row needs the same number of comma-separated values")
        for column, field in enumerate(fields, start=1):
            field = field.strip()
            if not _is_number(field):
                what = "empty field" if not field else f"{field!r} is not a number"
                return ValueError(f"{path}, line {number}, column {column}: {what}; every field of a data row must "
                                  "be a number")
    return ValueError(f"{path}: cannot read it as comma-separated numbers ({exc})")


def _csv_position(name: str, lines: list[int]) -> Callable[[int, int], str]:
    return lambda row, column: f"{name}, line {lines[row]}, column {column}"
