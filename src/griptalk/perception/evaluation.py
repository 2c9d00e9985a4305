"""Detector scores against labelled boxes: average precision per class, COCO style.

A detection is a true positive at an IoU threshold when it overlaps a not yet matched labelled box
of its class by at least that much (detections taken most confident first, per image). AP is the
area under the precision envelope sampled at 101 recall points; mAP50-95 averages it over the IoU
thresholds 0.50, 0.55, ... 0.95.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from griptalk.perception.pipeline import box_iou

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


@dataclass
class DetectionScorer:
    """Accumulates images, then reports AP. Classes with no labelled box are left out."""

    classes: tuple[str, ...]
    _scores: list = field(default_factory=list)  # per detection: (class, confidence, tp per threshold)
    _positives: dict = field(default_factory=dict)  # class -> number of labelled boxes

    def add_image(self, truth: list[tuple[str, np.ndarray]], detections: list[tuple[str, float, np.ndarray]]) -> None:
        """`truth`: (class, box) pairs; `detections`: (class, confidence, box); boxes x0, y0, x1, y1."""
        for name, _ in truth:
            self._positives[name] = self._positives.get(name, 0) + 1
        for name in {d[0] for d in detections}:
            mine = sorted((d for d in detections if d[0] == name), key=lambda d: -d[1])
            boxes = np.array([b for n, b in truth if n == name], float).reshape(-1, 4)
            iou = box_iou(np.array([d[2] for d in mine], float).reshape(-1, 4), boxes)
            hits = np.zeros((len(mine), len(IOU_THRESHOLDS)), dtype=bool)
            for t, threshold in enumerate(IOU_THRESHOLDS):
                taken = np.zeros(len(boxes), dtype=bool)
                for i in range(len(mine)):
                    candidates = np.where(~taken & (iou[i] >= threshold), iou[i], -1.0)
                    if len(boxes) and candidates.max() >= 0.0:
                        taken[int(candidates.argmax())] = True
                        hits[i, t] = True
            self._scores.extend((name, d[1], h) for d, h in zip(mine, hits))

    def average_precision(self) -> dict[str, np.ndarray]:
        """Class -> AP at each IoU threshold (10 values)."""
        result = {}
        for name in self.classes:
            positives = self._positives.get(name, 0)
            if positives == 0:
                continue
            mine = sorted((s for s in self._scores if s[0] == name), key=lambda s: -s[1])
            hits = np.array([s[2] for s in mine], dtype=float).reshape(-1, len(IOU_THRESHOLDS))
            result[name] = np.array([_ap(hits[:, t], positives) for t in range(len(IOU_THRESHOLDS))])
        return result


def _ap(hits: np.ndarray, positives: int) -> float:
    if len(hits) == 0:
        return 0.0
    tp = np.cumsum(hits)
    recall = tp / positives
    precision = tp / np.arange(1, len(hits) + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # best precision at this recall or beyond
    samples = np.linspace(0.0, 1.0, 101)
    index = np.searchsorted(recall, samples, side="left")
    return float(np.mean(np.where(index < len(envelope), envelope[np.minimum(index, len(envelope) - 1)], 0.0)))
