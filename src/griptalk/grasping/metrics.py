"""Figures of a grasp-success predictor on labelled trials (training's model selection and the benchmark)."""
from __future__ import annotations

import numpy as np


def roc_auc(labels, scores) -> float:
    """Area under the ROC curve: the chance that a random success outscores a random failure (ties count half)."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if labels.shape != scores.shape:
        raise ValueError(f"roc_auc: {labels.shape} labels but {scores.shape} scores")
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("roc_auc needs both successes and failures")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # Average rank (1-based) of each distinct score, so that ties share their ranks.
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    ranks = average_rank[inverse]
    return float((ranks[labels].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def top1_precision(labels, scores, groups) -> float:
    """Over the groups (placements), how often the best-scored candidate succeeded."""
    labels, scores, groups = np.asarray(labels), np.asarray(scores, dtype=float), np.asarray(groups)
    if not (labels.shape == scores.shape == groups.shape) or labels.size == 0:
        raise ValueError("top1_precision: labels, scores and groups must be non-empty and the same shape")
    hits = [labels[groups == g][np.argmax(scores[groups == g])] for g in np.unique(groups)]
    return float(np.mean(hits))
