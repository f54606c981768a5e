"""A run directory's files: each appears whole or not at all.

Layer: app. Every file is written to a hidden temporary file beside its target and renamed
over it with `os.replace` (`atomic`); a killed process may leave a temporary behind, which the
next run in the directory clears. metrics.csv, written as the run goes, is the csv logger's
(`loggers.CSVLogger`). `unique_dir` (configs/hydra/default.yaml) gives two commands started in
the same second outputs/DATE/TIME and outputs/DATE/TIME_2.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from net221.app import plots
from net221.app.sources import PreparedData
from net221.data import BLOG_UNITS, held_out_people
from net221.metrics import classification_report

if TYPE_CHECKING:  # torch loads when a run's outputs are written, not for predict's or report's files
    from torch import nn

    from net221.seed_study import SeedStudyResult

log = logging.getLogger("net221")
RESOLVER = "net221.unique_dir"
# What a run writes beside Hydra's files; a new run in the same directory starts without them.
OUTPUTS = ("metrics.csv", "members.csv", "summary.json", "checkpoint.pt", "loss.png", "decision_boundary.png")
ERROR_FILE = "error.txt"


def is_temporary(path: Path) -> bool:
    return re.fullmatch(r"\..+\.\d+\.tmp(\.[^.]*)?", path.name) is not None


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """A temporary path to write `path` to (`.NAME.PID.tmp.SUFFIX`: the suffix kept for
    matplotlib), renamed over it once written; a writer that wrote nothing leaves `path` as it
    was. An OSError names `path`, not the temporary file."""
    temporary = path.with_name(f".{path.stem[:200]}.{os.getpid()}.tmp{path.suffix}")  # a name that fits
    try:
        yield temporary
        if temporary.exists():
            temporary.replace(path)  # os.replace
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        with suppress(OSError):  # what went wrong is said above, naming `path`
            temporary.unlink(missing_ok=True)


def unique_dir(path: str) -> str:
    """Create the directory `path`, or `path_2`, `path_3`, ... when taken; return its name."""
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    taken = (base.with_name(f"{base.name}_{n}") for n in itertools.count(2))
    for candidate in itertools.chain([base], taken):
        with suppress(FileExistsError):
            candidate.mkdir()
            return str(candidate)
    raise AssertionError("unreachable")


def clear(output_dir: Path, keep: Path | None = None) -> None:
    """Remove an earlier run's outputs and error, and temporaries a killed write left behind;
    `keep` (the checkpoint this run resumes from) stays."""
    if not output_dir.is_dir():
        return
    stale = [output_dir / name for name in (*OUTPUTS, ERROR_FILE)]
    stale += [path for path in output_dir.iterdir() if is_temporary(path)]
    for path in stale:
        if keep is not None and path.exists() and keep.exists() and path.samefile(keep):
            continue
        if path.is_file() or path.is_symlink():
            path.unlink()


def write_json(path: Path, payload: Any) -> None:
    with atomic(path) as temporary:
        temporary.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def write_error(output_dir: Path, message: str) -> None:
    """error.txt: the line a failed run ended with; on a disk too full even for that, nothing."""
    with suppress(OSError), atomic(output_dir / ERROR_FILE) as temporary:
        temporary.write_text(message + "\n")


def metric_columns(has_val: bool, ensemble: bool) -> list[str]:
    columns = ["epoch", "loss", "accuracy"]
    if ensemble:
        columns += ["loss_p10", "loss_p90"]
    if has_val:
        columns += ["val_loss", "val_accuracy"]
    return columns


def finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def probabilities(model: nn.Module, data: PreparedData, raw: np.ndarray) -> np.ndarray:
    """P(label 1) for rows of raw features (N, D): (N,)."""
    import torch

    parameter = next(model.parameters())
    x = torch.tensor(data.normalization.apply(raw), dtype=parameter.dtype, device=parameter.device)
    with torch.no_grad():
        predicted: np.ndarray = model(x).reshape(-1).cpu().numpy().astype(np.float64)
    return predicted


def evaluation_report(model: nn.Module, data: PreparedData) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {
        name: classification_report(probabilities(model, data, rows.features), rows.labels)
        for name, rows in (("train", data.train), ("val", data.val))
        if rows is not None
    }
    for name, report in out.items():
        confusion, auc = report["confusion"], report["roc_auc"]
        log.info(
            f"{'Training' if name == 'train' else 'Validation'}: accuracy {report['accuracy']:.3f}, "
            f"ROC AUC {'n/a' if auc is None else f'{auc:.3f}'}, confusion tp={confusion['tp']} "
            f"fp={confusion['fp']} tn={confusion['tn']} fn={confusion['fn']} ({report['rows']} rows)"
        )
    return out


def describe_model(model: nn.Module, data: PreparedData, summary: dict[str, Any]) -> None:
    """Blog-name weights and the blog's two predictions, where the model and data have them."""
    if (
        callable(getattr(model, "blog_parameters", None))
        and getattr(model, "width", None) == 2
        and len(data.train.feature_names) == 2
    ):
        summary["blog_weights"] = model.blog_parameters()  # type: ignore[operator]
    if data.is_blog:  # Emily and Frank belong to the blog's data, not to any weight and height
        people = held_out_people()
        predicted = probabilities(model, data, people.features)
        summary["predictions"] = {name: float(p) for name, p in zip(people.names, predicted, strict=True)}
        for name, p in summary["predictions"].items():
            log.info(f"{name}: {p:.3f}")


def draw_decision_boundary(model: nn.Module, data: PreparedData, path: Path, title: str) -> None:
    """The data and the network's 0.5 contour, for two features."""
    if len(data.train.feature_names) != 2:
        return
    raw = data.train.features if data.val is None else np.vstack([data.train.features, data.val.features])
    xs, ys = plots.decision_grid(raw)
    grid = np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])
    names = [
        f"{name} ({BLOG_UNITS[name]})" if name in BLOG_UNITS else name for name in data.train.feature_names
    ]
    val = None if data.val is None else (data.val.features, data.val.labels)
    z = probabilities(model, data, grid).reshape(ys.size, xs.size)
    with atomic(path) as temporary:
        train = (data.train.features, data.train.labels)
        plots.decision_boundary(temporary, xs, ys, z, train, val, names, data.train.label_names, title)


def write_members(path: Path, result: SeedStudyResult, first_seed: int, converged: np.ndarray) -> None:
    columns = {"final_loss": result.final_loss, "accuracy": result.final_accuracy}
    if result.final_val_loss is not None and result.final_val_accuracy is not None:
        columns |= {"val_loss": result.final_val_loss, "val_accuracy": result.final_val_accuracy}
    with atomic(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["member", "seed", "final_loss", "accuracy", "converged", *list(columns)[2:]])
        for k in range(result.final_loss.size):
            values = [repr(float(column[k])) for column in columns.values()]
            writer.writerow([k, first_seed + k, *values[:2], int(converged[k]), *values[2:]])
