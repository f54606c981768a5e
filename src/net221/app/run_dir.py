"""A run directory's files: metrics.csv, members.csv, summary.json, checkpoint.pt and figures.

Layer: app. Takes plain results; every file a run writes is written here (the
checkpoint: `checkpoints`; metrics.csv: `loggers`). Each file appears whole or not at
all: it is written to a temporary file and renamed.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from net221.app import plots
from net221.app.atomic import atomic, is_temporary, temporary_path
from net221.app.sources import PreparedData
from net221.data import BLOG_FEATURES, BLOG_UNITS, held_out_people
from net221.metrics import classification_report
from net221.seed_study import SeedStudyResult

log = logging.getLogger("net221")


def metric_columns(has_val: bool, ensemble: bool) -> list[str]:
    columns = ["epoch", "loss", "accuracy"]
    if ensemble:
        columns += ["loss_p10", "loss_p90"]
    if has_val:
        columns += ["val_loss", "val_accuracy"]
    return columns


# What a run writes beside Hydra's files; a new run in the same directory starts without them.
OUTPUTS = ("metrics.csv", "members.csv", "summary.json", "checkpoint.pt", "loss.png", "decision_boundary.png")
ERROR_FILE = "error.txt"


def reserve_error(output_dir: Path) -> Path:
    """A page set aside for error.txt (`cli.write_error` fills it), so that even a full disk
    cannot keep a failed run from saying why. Removed when the run ends."""
    reserve = temporary_path(output_dir / ERROR_FILE)
    try:
        reserve.write_bytes(b"\n" * 4096)
    except OSError:
        reserve.unlink(missing_ok=True)
    return reserve


def clear(output_dir: Path, keep: Path | None = None) -> None:
    """Remove an earlier run's outputs and error, and files a killed write left behind;
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


def write_json(path: Path, payload: dict[str, Any]) -> None:
    with atomic(path) as temporary:
        temporary.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def probabilities(model: nn.Module, data: PreparedData, raw: np.ndarray) -> np.ndarray:
    """P(label 1) for rows of raw features (N, D): (N,)."""
    parameter = next(model.parameters())
    x = torch.tensor(data.normalization.apply(raw), dtype=parameter.dtype, device=parameter.device)
    with torch.no_grad():
        predicted: np.ndarray = model(x).reshape(-1).cpu().numpy().astype(np.float64)
    return predicted


def evaluation_report(model: nn.Module, data: PreparedData) -> dict[str, Any]:
    splits = {"train": data.train} if data.val is None else {"train": data.train, "val": data.val}
    out: dict[str, dict[str, Any]] = {
        name: classification_report(probabilities(model, data, rows.features), rows.labels)
        for name, rows in splits.items()
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
    if tuple(data.train.feature_names) == BLOG_FEATURES:
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
    with atomic(path) as temporary:
        plots.decision_boundary(
            temporary,
            xs,
            ys,
            probabilities(model, data, grid).reshape(ys.size, xs.size),
            (data.train.features, data.train.labels),
            None if data.val is None else (data.val.features, data.val.labels),
            [
                f"{name} ({BLOG_UNITS[name]})" if name in BLOG_UNITS else name
                for name in data.train.feature_names
            ],
            data.train.label_names,
            title,
        )


def write_members(path: Path, result: SeedStudyResult, first_seed: int, converged: np.ndarray) -> None:
    has_val = result.final_val_loss is not None and result.final_val_accuracy is not None
    with atomic(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["member", "seed", "final_loss", "accuracy", "converged"]
            + (["val_loss", "val_accuracy"] if has_val else [])
        )
        for k in range(result.final_loss.size):
            row: list[Any] = [
                k,
                first_seed + k,
                repr(float(result.final_loss[k])),
                repr(float(result.final_accuracy[k])),
                int(converged[k]),
            ]
            if result.final_val_loss is not None and result.final_val_accuracy is not None:
                row += [repr(float(result.final_val_loss[k])), repr(float(result.final_val_accuracy[k]))]
            writer.writerow(row)
