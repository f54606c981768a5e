"""Data sources (the data configs' `_target_`): the blog's people, any CSV table, Palmer penguins.

Layer: app. Each returns `PreparedData`; anything wrong with a table is a one-line DataError
naming the file and, where it applies, the line and column.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import numpy as np

from net221.data import BLOG_FEATURES, NORMALIZE_MODES, Dataset, Normalization, blog_dataset
from net221.errors import DataError

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none"})  # and any spelling of NaN


@dataclass(frozen=True)
class LoadedData:
    dataset: Dataset
    dropped: int  # rows dropped for missing values
    description: str


@dataclass(frozen=True)
class PreparedData:
    train: Dataset
    val: Dataset | None
    normalization: Normalization
    seed: int  # the validation split's, and the shuffled epochs'
    description: str
    dropped: int = 0
    is_blog: bool = False  # the blog's four people: the run also predicts Emily and Frank


def file_problem(path: Path) -> str | None:
    """Why `path` cannot be read as a file ("no such file", "not a regular file", "File name too
    long", ...), or None when it is a regular file."""
    try:
        if path.is_file():
            return None
        return "not a regular file" if path.exists() else "no such file"
    except OSError as error:  # a name too long to look up, say
        return str(error.strerror or error)


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if (problem := file_problem(path)) is not None:
        raise DataError(f"{path}: {problem}")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            filled = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
            header_line, header = next(filled, (0, None))  # blank lines before the header are skipped
            rows = list(filled)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    if header is None:
        raise DataError(f"{path}: the file is empty")
    names = [cell.strip() for cell in header]
    for i, name in enumerate(names):
        if name and name in names[:i]:  # a spreadsheet's unnamed empty columns are no duplicates
            where = f"{path}, line {header_line}: column {name!r} appears twice in the header"
            raise DataError(f"{where} (columns {names.index(name) + 1} and {i + 1})")
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    for line, row in rows:  # a cell no column names would be read as nothing, without a word
        if any(cell.strip() for cell in row[len(names) :]):
            raise DataError(
                f"{path}, line {line}: {len(row)} cells, and the header names {len(names)} columns"
            )
    return names, rows


def is_missing(cell: str) -> bool:
    """A missing value: empty, a marker such as NA, or any spelling of NaN (-nan, +NaN, nan(ind))."""
    if cell.lower() in MISSING_MARKERS:
        return True
    try:
        return math.isnan(float(cell))
    except ValueError:
        return cell.lower().lstrip("+-").startswith("nan(")


def read_number(cell: str, where: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise DataError(f"{where}: {cell!r} is not a number") from None
    if math.isinf(value):
        raise DataError(f"{where}: infinite value {cell!r}")
    return value


def load_csv(
    path: str | Path,
    features: Sequence[str],
    target: str,
    positive: str | bool | int,
    on_missing: str = "drop",
) -> LoadedData:
    """Rows of `features` with label 1 where `target` equals `positive` (true, false or a number, as
    Hydra reads them from the command line, in the table's own spelling)."""
    if on_missing not in ("drop", "error"):
        raise DataError(f"data.on_missing={on_missing!r}: expected one of drop, error")
    path = Path(path)
    header, rows = read_rows(path)
    columns = {name: i for i, name in enumerate(header) if name}  # an unnamed column is never read
    for name in (*features, target):
        if name not in columns:
            raise DataError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
    wanted = [columns[name] for name in features]
    target_column = columns[target]
    name_column = columns.get("name")

    names: list[str] = []
    values: list[list[float]] = []
    targets: list[str] = []
    dropped = 0
    for line, row in rows:
        cells = [row[i].strip() if i < len(row) else "" for i in range(len(header))]
        missing = [header[i] for i in (*wanted, target_column) if is_missing(cells[i])]
        if missing:
            if on_missing == "error":
                raise DataError(
                    f"{path}, line {line}, column {missing[0]!r}: missing value (data.on_missing=error)"
                )
            dropped += 1
            continue
        values.append([read_number(cells[i], f"{path}, line {line}, column {header[i]!r}") for i in wanted])
        targets.append(cells[target_column])
        names.append(cells[name_column] if name_column is not None else f"line {line}")

    if not values:
        raise DataError(f"{path}: no rows left after dropping {dropped} with missing values")
    classes = sorted(set(targets))
    if isinstance(positive, bool):  # in the table's own spelling: true, True, TRUE
        positive = next((c for c in classes if c.lower() == str(positive).lower()), str(positive))
    positive = str(positive)  # a number (1) as the table writes it
    if len(classes) == 1:
        raise DataError(f"{path}, column {target!r}: only one class present ({classes[0]!r}); two are needed")
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:6]) + (", ..." if len(classes) > 6 else "")
        raise DataError(
            f"{path}, column {target!r}: {len(classes)} distinct values ({shown}); exactly two are needed"
        )
    if positive not in classes:
        raise DataError(
            f"data.positive={positive!r} is not a value of column {target!r} in {path} "
            f"(values: {', '.join(repr(c) for c in classes)})"
        )
    dataset = Dataset(
        names=tuple(names),
        features=np.array(values, dtype=np.float64),
        labels=np.array([1.0 if t == positive else 0.0 for t in targets]),
        feature_names=tuple(features),
        label_names=(next(c for c in classes if c != positive), positive),
    )
    return LoadedData(dataset, dropped, f"{path} ({len(names)} rows)")


def split(dataset: Dataset, val_fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
    """A seeded split stratified by label: each class gives the same fraction (at least one row)."""
    if val_fraction == 0.0:
        return dataset, None
    rng = np.random.default_rng(seed)
    train_rows: list[int] = []
    val_rows: list[int] = []
    for label in (0.0, 1.0):
        rows = np.flatnonzero(dataset.labels == label)
        n_val = max(1, round(val_fraction * rows.size))
        if rows.size - n_val < 1:
            raise DataError(
                f"{len(dataset)} rows are too few for data.val_fraction={val_fraction}: it takes all "
                f"{rows.size} row(s) of class {int(label)}, and each class needs one for training and one "
                "for validation"
            )
        shuffled = rng.permutation(rows)
        val_rows.extend(shuffled[:n_val].tolist())
        train_rows.extend(shuffled[n_val:].tolist())
    return dataset.subset(sorted(train_rows)), dataset.subset(sorted(val_rows))


def prepare(loaded: LoadedData, normalize: str, val_fraction: float, seed: int) -> PreparedData:
    """Split off the validation rows, then fit the normalization on the training rows."""
    if normalize not in NORMALIZE_MODES:
        raise DataError(f"data.normalize={normalize!r}: expected one of {', '.join(NORMALIZE_MODES)}")
    train_set, val_set = split(loaded.dataset, val_fraction, seed)
    try:  # a constant feature, values too large to average
        normalization = Normalization.fit(normalize, train_set.features, train_set.feature_names)
    except ValueError as error:
        raise DataError(f"data.normalize={normalize!r}: {error}") from None
    return PreparedData(train_set, val_set, normalization, seed, loaded.description, loaded.dropped)


def blog(
    features: Sequence[str] = BLOG_FEATURES, normalize: str = "blog", val_fraction: float = 0.0, seed: int = 0
) -> PreparedData:
    """Alice, Bob, Charlie and Diana: weight and height -> female."""
    if tuple(features) != BLOG_FEATURES:
        raise DataError(f"data.features={list(features)}: data=blog has the features weight and height only")
    prepared = prepare(LoadedData(blog_dataset(), 0, "the blog's four people"), normalize, val_fraction, seed)
    return dataclasses.replace(prepared, is_blog=True)


def csv_table(
    path: str,
    features: Sequence[str],
    target: str,
    positive: str | bool | int,
    normalize: str = "standardize",
    on_missing: str = "drop",
    val_fraction: float = 0.0,
    seed: int = 0,
) -> PreparedData:
    """Any CSV file with a header: `features` -> label 1 where `target` equals `positive`."""
    loaded = load_csv(path, [str(name) for name in features], str(target), positive, on_missing)
    return prepare(loaded, normalize, val_fraction, seed)


def penguins(
    features: Sequence[str],
    target: str = "sex",
    positive: str | bool | int = "female",
    normalize: str = "standardize",
    on_missing: str = "drop",
    val_fraction: float = 0.25,
    seed: int = 0,
) -> PreparedData:
    """Palmer penguins (pip install palmerpenguins)."""
    try:
        table = Path(str(resources.files("palmerpenguins") / "data" / "penguins.csv"))
    except ModuleNotFoundError:
        raise DataError(
            "data=penguins needs the palmerpenguins package: pip install 'net221[penguins]'"
        ) from None
    loaded = load_csv(table, [str(name) for name in features], str(target), positive, on_missing)
    described = replace(loaded, description=f"Palmer penguins ({len(loaded.dataset)} rows)")
    return prepare(described, normalize, val_fraction, seed)
