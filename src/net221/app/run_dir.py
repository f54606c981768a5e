"""A run directory's files: metrics.csv, members.csv, summary.json, checkpoint.pt and figures.

Layer: app. Takes plain results; every file a run writes is written here.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import nn

from net221.app import plots
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


class MetricsFile:
    """metrics.csv, one row per logged epoch, flushed as it goes so that a run that
    stops early keeps every row logged before it. A value a row lacks reads nan."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.columns = columns
        self._handle: TextIO = path.open("w", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(columns)
        self._handle.flush()

    def write(self, row: dict[str, float]) -> None:
        values = [row.get(c, float("nan")) for c in self.columns]
        self._writer.writerow([v if isinstance(v, int) else repr(float(v)) for v in values])
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")


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


def checkpoint_payload(
    model: nn.Module,
    model_spec: dict[str, Any],
    data: PreparedData,
    data_spec: dict[str, Any],
    epoch: int,
    history: list[dict[str, float]],
    optimizer: dict[str, Any] | None,
    config: dict[str, Any],
) -> dict[str, Any]:
    return {
        "model": model_spec,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "data": {
            **data_spec,
            "features": list(data.train.feature_names),
            "label_names": list(data.train.label_names),
            "normalization": data.normalization.to_dict(),
        },
        "epoch": epoch,
        "optimizer": optimizer,
        "history": history,
        "config": config,
    }


def draw_decision_boundary(model: nn.Module, data: PreparedData, path: Path, title: str) -> None:
    """The data and the network's 0.5 contour, for two features."""
    if len(data.train.feature_names) != 2:
        return
    raw = data.train.features if data.val is None else np.vstack([data.train.features, data.val.features])
    xs, ys = plots.decision_grid(raw)
    grid = np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])
    plots.decision_boundary(
        path,
        xs,
        ys,
        probabilities(model, data, grid).reshape(ys.size, xs.size),
        (data.train.features, data.train.labels),
        None if data.val is None else (data.val.features, data.val.labels),
        [f"{name} ({BLOG_UNITS[name]})" if name in BLOG_UNITS else name for name in data.train.feature_names],
        data.train.label_names,
        title,
    )


def write_members(path: Path, result: SeedStudyResult, first_seed: int, converged: np.ndarray) -> None:
    has_val = result.final_val_loss is not None and result.final_val_accuracy is not None
    with path.open("w", newline="") as handle:
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
