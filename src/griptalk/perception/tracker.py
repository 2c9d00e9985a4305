"""Stable object ids across frames.

An id is `<color>_<class>` (`<class>` for colourless objects), with `_2`, `_3`... for repeats,
as in scene files. A detection keeps the id of the nearest track of the same class and colour:
first among tracks within `match_distance_m`, then (an object that was moved while out of sight)
among the remaining ones at any distance.

- A partly hidden detection (the arm covers some of it) centred over its track's footprint, at its
  height, keeps the track's pose and size: a partial view would shrink and shift an object that has
  not moved (a bowl's visible sliver beside the arm is centred 6 cm from the bowl's centre).
- A new object is reported once seen in `confirm_after_frames` frames in a row (a one-frame
  misreading, such as a half-hidden cube taken for a lego, would otherwise stand as an obstacle
  until dropped), except while nothing is tracked: the first frame shows the scene as it is.
- A track not seen for `stale_after_frames` frames is reported with `stale=True` at its last pose;
  after `drop_after_frames` it is forgotten.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import count

import numpy as np

from griptalk.types import SceneObject


@dataclass(frozen=True)
class TrackerConfig:
    match_distance_m: float = 0.05
    confirm_after_frames: int = 2
    stale_after_frames: int = 3
    drop_after_frames: int = 30

    def __post_init__(self) -> None:
        if self.match_distance_m <= 0.0:
            raise ValueError(f"match_distance_m must be > 0, got {self.match_distance_m}")
        if self.confirm_after_frames < 1:
            raise ValueError(f"confirm_after_frames must be >= 1, got {self.confirm_after_frames}")
        if not 1 <= self.stale_after_frames <= self.drop_after_frames:
            raise ValueError("need 1 <= stale_after_frames <= drop_after_frames, got "
                             f"{self.stale_after_frames}, {self.drop_after_frames}")


def base_id(object_class: str, color: str) -> str:
    return f"{color}_{object_class}" if color else object_class


@dataclass
class _Track:
    obj: SceneObject
    seen_frames: int  # a new track that misses a frame before it is confirmed is dropped: these are in a row
    missed_frames: int = 0


class ObjectTracker:
    def __init__(self, config: TrackerConfig) -> None:
        self._config = config
        self._tracks: dict[str, _Track] = {}

    def reset(self) -> None:
        self._tracks.clear()

    def update(self, detections: list[SceneObject], partly_hidden: Sequence[bool] = ()) -> list[SceneObject]:
        """Assign ids to this frame's detections (their `id` is ignored); all confirmed tracks, by id.

        `partly_hidden`: per detection, whether the arm hides some of it (default: none is).
        """
        hidden = list(partly_hidden) or [False] * len(detections)
        if len(hidden) != len(detections):
            raise ValueError(f"{len(detections)} detections but {len(hidden)} partly_hidden flags")
        seen: set[str] = set()
        confirm = self._config.confirm_after_frames
        first_seen = confirm if not self._tracks else 1
        for key in {(d.object_class, d.color) for d in detections}:
            group = [i for i, d in enumerate(detections) if (d.object_class, d.color) == key]
            candidates = [i for i, t in self._tracks.items() if (t.obj.object_class, t.obj.color) == key]
            for i, track_id in self._match([detections[i] for i in group], candidates):
                detection, old = detections[group[i]], self._tracks.get(track_id)
                if old is None:
                    track_id, seen_frames, obj = self._new_id(*key), first_seen, detection
                else:
                    seen_frames = old.seen_frames + 1
                    # A partial view of the object where it stands: centred over it, at its height.
                    margin = self._config.match_distance_m
                    unmoved = (old.obj.over_footprint(detection.position, margin)
                               and abs(detection.position[2] - old.obj.position[2]) <= margin)
                    obj = old.obj if hidden[group[i]] and unmoved else detection
                self._tracks[track_id] = _Track(replace(obj, id=track_id, stale=False), seen_frames)
                seen.add(track_id)
        for track_id in list(self._tracks):
            if track_id in seen:
                continue
            track = self._tracks[track_id]
            track.missed_frames += 1
            if track.seen_frames < confirm or track.missed_frames >= self._config.drop_after_frames:
                del self._tracks[track_id]
                continue
            if track.missed_frames >= self._config.stale_after_frames:
                track.obj.stale = True
        return [t.obj for _, t in sorted(self._tracks.items()) if t.seen_frames >= confirm]

    def _match(self, detections: list[SceneObject], track_ids: list[str]) -> list[tuple[int, str | None]]:
        """Greedy nearest-first pairs of detection indices and track ids (None: a new object)."""
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
        return [(di, assigned.get(di)) for di in range(len(detections))]

    def _new_id(self, object_class: str, color: str) -> str:
        base = base_id(object_class, color)
        if base not in self._tracks:
            return base
        return next(f"{base}_{n}" for n in count(2) if f"{base}_{n}" not in self._tracks)
