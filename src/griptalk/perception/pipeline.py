"""One camera frame in, one scene graph out: segment, measure, classify, name, track, relate."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from griptalk.camera import CameraModel
from griptalk.perception.colors import ColorConfig, ColorNamer
from griptalk.perception.pose import fit_box, symmetric_yaw
from griptalk.perception.relations import RelationConfig, compute_relations
from griptalk.perception.segmentation import Blob, SegmentationConfig, segment
from griptalk.perception.shapes import ShapeConfig, classify_shape, shape_features
from griptalk.perception.tracker import ObjectTracker, TrackerConfig
from griptalk.types import SceneGraph, SceneObject


@dataclass(frozen=True)
class PerceptionConfig:
    segmentation: SegmentationConfig = field(default_factory=SegmentationConfig)
    colors: ColorConfig = field(default_factory=ColorConfig)
    shapes: ShapeConfig = field(default_factory=ShapeConfig)
    relations: RelationConfig = field(default_factory=RelationConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    min_shape_confidence: float = 0.3  # blobs whose shape fits no class this well are ignored
    support_snap_m: float = 0.01  # an object whose lowest point is this close to the table stands on it

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_shape_confidence <= 1.0:
            raise ValueError(f"min_shape_confidence must be in [0, 1], got {self.min_shape_confidence}")
        if self.support_snap_m < 0.0:
            raise ValueError(f"support_snap_m must be >= 0, got {self.support_snap_m}")


class PerceptionPipeline:
    """Stateful (it tracks ids across frames); one instance per camera stream."""

    def __init__(self, config: PerceptionConfig | None = None) -> None:
        self.config = config or PerceptionConfig()
        self._namer = ColorNamer(self.config.colors)
        self._tracker = ObjectTracker(self.config.tracker)

    def reset(self) -> None:
        """Forget every tracked object (a new scene)."""
        self._tracker.reset()

    def detect(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel) -> list[tuple[SceneObject, Blob]]:
        """This frame's objects (without ids) and the blob each came from."""
        detections = []
        for blob in segment(rgb, depth, camera, self.config.segmentation):
            detection, shape_confidence = self._describe(blob)
            if shape_confidence >= self.config.min_shape_confidence:
                detections.append((detection, blob))
        return detections

    def process(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel, stamp_s: float) -> SceneGraph:
        objects = self._tracker.update([d for d, _ in self.detect(rgb, depth, camera)])
        fresh = [o for o in objects if not o.stale]
        return SceneGraph(objects=objects, relations=compute_relations(fresh, self.config.relations),
                          drawer_opening_m=0.0, stamp_s=float(stamp_s))

    def _describe(self, blob: Blob) -> tuple[SceneObject, float]:
        """The blob as an object (confidence: the lower of shape and colour), and its shape confidence."""
        box = fit_box(blob.points, self.config.support_snap_m)
        prototype, shape_confidence = classify_shape(shape_features(blob.points, box, self.config.shapes),
                                                     self.config.shapes)
        color, color_confidence = self._namer.name(blob.rgb) if prototype.has_color else ("", 1.0)
        detection = SceneObject(id="", object_class=prototype.object_class, color=color, position=box.center,
                                yaw=symmetric_yaw(box.yaw_rad, prototype.yaw_symmetry), size=box.size,
                                confidence=min(shape_confidence, color_confidence))
        return detection, shape_confidence
