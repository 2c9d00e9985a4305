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
    """Over the groups (placements), how often the best-scored candidate succeeded; candidates tied for the
    best count as one picked at random, in expectation."""
    labels, scores, groups = np.asarray(labels, dtype=float), np.asarray(scores, dtype=float), np.asarray(groups)
    if not (labels.shape == scores.shape == groups.shape) or labels.size == 0:
        raise ValueError("top1_precision: labels, scores and groups must be non-empty and the same shape")
    hits = []
    for g in np.unique(groups):
        s, y = scores[groups == g], labels[groups == g]
        hits.append(y[s == s.max()].mean())
    return float(np.mean(hits))


def bootstrap_interval(metric, labels, scores, groups, level: float = 0.95, resamples: int = 1000,
                       seed: int = 0) -> tuple[float, float]:
    """The `level` bootstrap interval of `metric(labels, scores, groups)` over whole groups (placements)
    drawn again with replacement: how far the figure could move on another draw of as many placements.

    Trials of one placement share an object and a view, so they are resampled together; a draw whose
    metric is undefined (ValueError, e.g. an AUC without failures) is drawn again.
    """
    labels, scores, groups = np.asarray(labels), np.asarray(scores, dtype=float), np.asarray(groups)
    if not (labels.shape == scores.shape == groups.shape) or labels.size == 0:
        raise ValueError("bootstrap_interval: labels, scores and groups must be non-empty and the same shape")
    if not 0.0 < level < 1.0:
        raise ValueError(f"bootstrap_interval: level must be in (0, 1), got {level}")
    if resamples < 1:
        raise ValueError(f"bootstrap_interval: resamples must be >= 1, got {resamples}")
    rows = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    rng = np.random.default_rng(seed)
    values: list[float] = []
    for _ in range(100 * resamples):  # bounded: give up on data where almost every draw is undefined
        if len(values) == resamples:
            break
        drawn = rng.integers(len(rows), size=len(rows))
        picked = np.concatenate([rows[k] for k in drawn])
        renumbered = np.repeat(np.arange(len(drawn)), [len(rows[k]) for k in drawn])
        try:
            values.append(metric(labels[picked], scores[picked], renumbered))
        except ValueError:
            continue
    if not values:
        raise ValueError("bootstrap_interval: the metric is undefined on every draw")
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
