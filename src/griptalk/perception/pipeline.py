"""One camera frame in, one scene graph out: segment, measure, classify, name, track, relate."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from griptalk.camera import CameraModel
from griptalk.perception.colors import ColorConfig, ColorNamer
from griptalk.perception.pose import fit_box, object_yaw_and_size, rest_on_supports
from griptalk.perception.relations import RelationConfig, compute_relations
from griptalk.perception.segmentation import Blob, SegmentationConfig, segment
from griptalk.perception.shapes import ShapeConfig, classify_shape, floor_height, hollowness, shape_features
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
    # Blobs seen only this far above what they stand on are fragments of something else
    # (a drawer's handle seen past the cabinet's top), not objects.
    max_hidden_height_m: float = 0.06

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_shape_confidence <= 1.0:
            raise ValueError(f"min_shape_confidence must be in [0, 1], got {self.min_shape_confidence}")
        if self.max_hidden_height_m <= 0.0:
            raise ValueError(f"max_hidden_height_m must be > 0, got {self.max_hidden_height_m}")


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
        shapes = self.config.shapes
        blobs = segment(rgb, depth, camera, self.config.segmentation)
        seen_boxes = [fit_box(b.points) for b in blobs]
        floors = [floor_height(b.points, box, shapes.inner_fraction)
                  if hollowness(b.points, box, shapes.inner_fraction) >= shapes.hollow_threshold else None
                  for b, box in zip(blobs, seen_boxes)]
        detections = []
        for blob, seen, box in zip(blobs, seen_boxes, rest_on_supports(seen_boxes, floors)):
            if seen.bottom_z - box.bottom_z > self.config.max_hidden_height_m:
                continue
            prototype, shape_confidence = classify_shape(shape_features(blob.points, box, shapes), shapes)
            if shape_confidence < self.config.min_shape_confidence:
                continue
            color, color_confidence = self._namer.name(blob.rgb) if prototype.has_color else ("", 1.0)
            yaw, size = object_yaw_and_size(box, prototype.yaw_symmetry, (0.0, 0.0) if prototype.faces_robot else None)
            detections.append((SceneObject(id="", object_class=prototype.object_class, color=color,
                                           position=box.center, yaw=yaw, size=size,
                                           confidence=min(shape_confidence, color_confidence)), blob))
        return detections

    def process(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel, stamp_s: float) -> SceneGraph:
        """The scene graph of one frame; objects keep their ids from earlier frames."""
        objects = self._tracker.update([d for d, _ in self.detect(rgb, depth, camera)])
        fresh = [o for o in objects if not o.stale]
        return SceneGraph(objects=objects, relations=compute_relations(fresh, self.config.relations),
                          drawer_opening_m=0.0, stamp_s=float(stamp_s))
