"""net221-predict: the probability and label a trained network gives one row or a CSV file of rows.

Layer: app. Inputs are in raw units; the checkpoint's normalization is applied. `--help` is
configs/hydra/help/predict.yaml (with examples); torch loads only once a prediction is asked for.
"""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from net221.app.outputs import atomic
from net221.app.process import describe_os_error, fail, run_app, shown_path
from net221.data import BLOG_FEATURES
from net221.errors import UserError

PROG = "net221-predict"


@dataclass
class PredictConfig:
    checkpoint: str = MISSING  # a checkpoint.pt written by net221-train
    weight: float | None = None  # the blog's features; others are given as +NAME=VALUE
    height: float | None = None
    x: list[float] | None = None  # every feature, in the checkpoint's order
    csv: str | None = None  # a CSV file of rows with the training data's feature columns
    out: str | None = None  # the predictions of csv= (default: beside it, .predictions.csv)


def one_row(given: dict[str, Any], features: list[str]) -> list[float]:
    """The raw feature values from x=[...] or from one FEATURE=VALUE per feature."""
    if "x" in given:
        if len(given) > 1 or len(given["x"]) != len(features):
            raise UserError(f"x=[...] takes all of {', '.join(features)} in this order, and nothing else")
        given = dict(zip(features, given["x"], strict=True))
    missing, extra = [f for f in features if f not in given], [g for g in given if g not in features]
    takes = f"the network takes {', '.join(features)}"
    if missing:  # a feature the schema does not know is given with a +, as Hydra adds keys
        plus = " (a feature other than weight and height as +NAME=VALUE)"
        plus = plus if set(missing) - set(BLOG_FEATURES) else ""
        raise UserError(f"missing {', '.join(f'{name}=VALUE' for name in missing)}: {takes}{plus}")
    if extra:
        raise UserError(f"{', '.join(extra)}: not a feature of this network; {takes}")
    values = []
    for name in features:  # each feature in turn: is it a number, then is it a measure
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise UserError(f"{name}={value!r}: must be a finite number")
        values.append(positive(name, value, f"{name}={value:g}"))
    return values


def positive(name: str, value: float, where: str) -> float:  # the value; weight and height must be > 0
    if name in BLOG_FEATURES and value <= 0:
        raise UserError(f"{where}: must be > 0")
    return float(value)


def csv_rows(
    path: Path, features: list[str]
) -> tuple[list[str], list[list[str]], list[list[float]], list[str]]:
    """The header, the rows' cells, their features' values and their places (file and line); a
    DataError names line and column."""
    from net221.app.sources import is_missing, read_number, read_rows

    header, numbered = read_rows(path)
    for name in features:
        if name not in header:
            raise UserError(f"{path}: no column {name!r} (the network takes {', '.join(features)})")
    rows: list[list[str]] = []
    values: list[list[float]] = []  # per row, the features'
    places: list[str] = []
    for line, row in numbered:
        places.append(f"{path}, line {line}")
        rows.append([row[i].strip() if i < len(row) else "" for i in range(len(header))])
        values.append([])
        for name in features:
            place, cell = f"{places[-1]}, column {name!r}", rows[-1][header.index(name)]
            if is_missing(cell):
                raise UserError(f"{place}: missing value")
            values[-1].append(positive(name, read_number(cell, place), f"{place}: {cell}"))
    return header, rows, values, places


def predict(cfg: DictConfig) -> str:
    """What the command prints: one row's probability and label, or the table of a CSV file."""
    if OmegaConf.is_missing(cfg, "checkpoint"):
        raise UserError("checkpoint=PATH is required: the checkpoint.pt of a net221-train run")
    import torch

    from net221.app.checkpoint import load_checkpoint, model_from, normalization_from

    checkpoint = load_checkpoint(cfg.checkpoint)
    features = [str(name) for name in checkpoint["data"]["features"]]
    names = [str(name) for name in checkpoint["data"].get("label_names", ["0", "1"])]
    given = {str(k): v for k, v in cfg.items() if k not in ("checkpoint", "csv", "out") and v is not None}
    if cfg.csv is not None and not given:
        header, rows, values, places = csv_rows(Path(cfg.csv), features)
    elif cfg.csv is None and cfg.out is None:
        header, rows, values = [], [], [one_row(given, features)]
        places = [" ".join(f"{name}={value:g}" for name, value in zip(features, values[0], strict=True))]
    else:
        got = ", ".join(str(k) for k, v in cfg.items() if v is not None and k != "checkpoint")
        raise UserError(f"give csv=FILE [out=FILE] or one row's features, not both (got {got})")
    model = model_from(checkpoint, f"checkpoint {str(cfg.checkpoint)!r}")
    with torch.no_grad():
        x = normalization_from(checkpoint).apply(np.array(values, dtype=np.float64))
        p = [float(value) for value in model(torch.tensor(x, dtype=model.hidden.weight.dtype)).reshape(-1)]
    for place, value in zip(places, p, strict=True):
        if not np.isfinite(value):  # inputs so large that the sums overflow
            raise UserError(f"{place}: too large for this network (its output is {value})")
    labels = [names[1] if value > 0.5 else names[0] for value in p]
    if cfg.csv is None:
        return f"{p[0]:.3f} {labels[0]}"
    source = Path(cfg.csv)
    out = Path(cfg.out) if cfg.out is not None else source.with_name(f"{source.stem}.predictions.csv")
    if out.resolve() == source.resolve():
        raise UserError(f"out={cfg.out}: the file csv= names; the predictions go to a file of their own")
    with atomic(out) as temporary, temporary.open("w", newline="") as handle:  # whole or not at all
        csv.writer(handle).writerows(
            [[*header, "probability", "predicted_label"]]
            + [[*cells, repr(value), label] for cells, value, label in zip(rows, p, labels, strict=True)]
        )
    return f"{table(header, rows, features, p, labels, names[1])}\nPredictions: {shown_path(out)}"


def table(
    header: list[str], rows: list[list[str]], features: list[str], p: list[float], labels: list[str], one: str
) -> str:
    """The first ten rows as aligned columns: a name column if there is one, the features, P and label."""
    shown = [header.index(name) for name in (["name"] if "name" in header else []) + features]
    lines = [[*(header[i] for i in shown), f"P({one})", "label"]] + [
        [*(cells[i] for i in shown), f"{probability:.3f}", label]
        for cells, probability, label in zip(rows[:10], p[:10], labels[:10], strict=True)
    ]
    widths = [max(map(len, column)) for column in zip(*lines, strict=True)]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    if len(rows) > 10:  # the CSV file has every row
        text.append(f"... and {len(rows) - 10} more rows ({len(rows)} in all)")
    return "\n".join(text)


@hydra.main(version_base="1.3", config_path="pkg://net221.configs", config_name="predict")
def _task(cfg: DictConfig) -> None:
    try:
        text = predict(cfg)
    except UserError as error:  # here, before Hydra would log it as a failed job
        fail(PROG, str(error))
    except OSError as error:  # the predictions' file
        fail(PROG, describe_os_error(error))
    with contextlib.suppress(BrokenPipeError):  # the reader went away (`| head -1`)
        print(text, flush=True)


def main() -> None:
    ConfigStore.instance().store(name="predict_schema", node=PredictConfig)
    run_app(_task, PROG)


if __name__ == "__main__":
    main()
