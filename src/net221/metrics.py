"""Classification metrics of predicted probabilities against 0/1 labels (NumPy only)."""

from __future__ import annotations

import numpy as np


def confusion(probabilities: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> dict[str, int]:
    """True/false positives/negatives; predicted 1 where probability > threshold."""
    predicted = probabilities > threshold
    actual = labels > 0.5
    return {
        "tp": int(np.sum(predicted & actual)),
        "fp": int(np.sum(predicted & ~actual)),
        "tn": int(np.sum(~predicted & ~actual)),
        "fn": int(np.sum(~predicted & actual)),
    }


def accuracy(probabilities: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> float:
    return float(np.mean((probabilities > threshold) == (labels > 0.5)))


def roc_auc(probabilities: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve: P(score of a random positive > score of a random
    negative), ties counting one half. None when only one class is present."""
    actual = labels > 0.5
    n_pos = int(actual.sum())
    n_neg = actual.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    # 1-based ranks, averaged over runs of equal scores
    _, inverse, counts = np.unique(probabilities, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    positive_rank_sum = ranks[actual].sum()
    return float((positive_rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def classification_report(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, object]:
    return {
        "rows": int(labels.size),
        "accuracy": accuracy(probabilities, labels),
        "confusion": confusion(probabilities, labels),
        "roc_auc": roc_auc(probabilities, labels),
    }
