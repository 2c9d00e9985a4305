"""Stable object ids across frames.

An id is `<color>_<class>` (`<class>` for colourless objects), with `_2`, `_3`... for repeats,
as in scene files. A detection keeps the id of the nearest track of the same class and colour:
first among tracks within `match_distance_m`, then (an object that was moved while out of sight)
among the remaining ones at any distance. A track not seen for `stale_after_frames` frames is
reported with `stale=True` at its last pose; after `drop_after_frames` it is forgotten.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import count

import numpy as np

from griptalk.types import SceneObject


@dataclass(frozen=True)
class TrackerConfig:
    match_distance_m: float = 0.05
    stale_after_frames: int = 3
    drop_after_frames: int = 30

    def __post_init__(self) -> None:
        if self.match_distance_m <= 0.0:
            raise ValueError(f"match_distance_m must be > 0, got {self.match_distance_m}")
        if not 1 <= self.stale_after_frames <= self.drop_after_frames:
            raise ValueError("need 1 <= stale_after_frames <= drop_after_frames, got "
                             f"{self.stale_after_frames}, {self.drop_after_frames}")


def base_id(object_class: str, color: str) -> str:
    return f"{color}_{object_class}" if color else object_class


@dataclass
class _Track:
    obj: SceneObject
    missed_frames: int = 0


class ObjectTracker:
    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: dict[str, _Track] = {}

    def reset(self) -> None:
        self._tracks.clear()

    def update(self, detections: list[SceneObject]) -> list[SceneObject]:
        """Assign ids to this frame's detections (their `id` is ignored); all live tracks, by id."""
        seen: set[str] = set()
        for key in {(d.object_class, d.color) for d in detections}:
            group = [d for d in detections if (d.object_class, d.color) == key]
            candidates = [i for i, t in self._tracks.items() if (t.obj.object_class, t.obj.color) == key]
            for detection, track_id in self._match(group, candidates):
                track_id = track_id or self._new_id(*key)
                self._tracks[track_id] = _Track(replace(detection, id=track_id, stale=False))
                seen.add(track_id)
        for track_id in list(self._tracks):
            if track_id in seen:
                continue
            track = self._tracks[track_id]
            track.missed_frames += 1
            if track.missed_frames >= self._config.drop_after_frames:
                del self._tracks[track_id]
            elif track.missed_frames >= self._config.stale_after_frames:
                track.obj.stale = True
        return [self._tracks[i].obj for i in sorted(self._tracks)]

    def _match(self, detections: list[SceneObject], track_ids: list[str]) -> list[tuple[SceneObject, str | None]]:
        """Greedy nearest-first pairs of detections and track ids (None: a new object)."""
        pairs = sorted(
            (float(np.linalg.norm(d.position - self._tracks[t].obj.position)), di, t)
            for di, d in enumerate(detections) for t in track_ids)
        assigned: dict[int, str] = {}
        for near_only in (True, False):
            for distance, di, t in pairs:
                if near_only and distance > self._config.match_distance_m:
                    continue
                if di not in assigned and t not in assigned.values():
                    assigned[di] = t
        return [(d, assigned.get(di)) for di, d in enumerate(detections)]

    def _new_id(self, object_class: str, color: str) -> str:
        base = base_id(object_class, color)
        if base not in self._tracks:
            return base
        return next(f"{base}_{n}" for n in count(2) if f"{base}_{n}" not in self._tracks)
