from __future__ import annotations

import itertools

import numpy as np
import pytest

from net221.metrics import accuracy, classification_report, confusion, roc_auc


def pairwise_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    positives = scores[labels == 1]
    negatives = scores[labels == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(positives, negatives))
    return wins / (positives.size * negatives.size)


def test_roc_auc_equals_the_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.integers(0, 2, 40).astype(float)
        labels[:2] = [0, 1]
        scores = np.round(rng.random(40), 1)  # many ties
        assert roc_auc(scores, labels) == pytest.approx(pairwise_auc(scores, labels), abs=1e-12)
    assert roc_auc(np.array([0.1, 0.9]), np.array([0.0, 1.0])) == 1.0
    assert roc_auc(np.array([0.9, 0.1]), np.array([0.0, 1.0])) == 0.0
    assert roc_auc(np.array([0.3, 0.4]), np.array([1.0, 1.0])) is None


def test_confusion_and_accuracy() -> None:
    scores = np.array([0.9, 0.2, 0.6, 0.4, 0.5])
    labels = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    assert confusion(scores, labels) == {"tp": 1, "fp": 1, "tn": 1, "fn": 2}  # 0.5 is not > 0.5
    assert accuracy(scores, labels) == pytest.approx(2 / 5)
    report = classification_report(scores, labels)
    assert report["rows"] == 5 and report["accuracy"] == pytest.approx(0.4)
