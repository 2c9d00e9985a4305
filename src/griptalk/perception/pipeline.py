"""One camera frame in, one scene graph out: segment, measure, classify, name, track, relate.

With a trained detector, each depth-segmented blob takes the class and confidence of the detection
whose box matches its pixels' box best (one to one). The geometric classifier of `shapes.py`
overrules a detection it is more sure of, and names blobs the detector missed when it is sure
enough (`shape_fallback`; measured: it lifts object recall from 0.67 to 0.99 with the first
weights); without a detector it names every blob. Poses and colours always come from the blob's
own points and pixels. A detection that matches no blob is carved out of the blob it lies in: an
object in an open drawer stands on the drawer's floor, so no depth jump separates the two. A
drawer's handle (its own detector class) is cut from the cabinet's footprint, and the cabinet's
depth tells the drawer's opening. The arm's own points are dropped (robot_filter.py); an object
next to them is flagged partly hidden, and its track keeps its last full view (tracker.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from griptalk.camera import CameraModel
from griptalk.perception.colors import ColorConfig, ColorNamer
from griptalk.perception.detector import Detection, Detector
from griptalk.perception.pose import BoxFit, cabinet_pose, fit_box, object_yaw_and_size, rest_on_supports
from griptalk.perception.relations import RelationConfig, compute_relations
from griptalk.perception.robot_filter import Capsule, inside_capsules
from griptalk.perception.segmentation import Blob, SegmentationConfig, base_frame_points, segment
from griptalk.perception.shapes import ShapeConfig, ShapePrototype, classify_shape, floor_height, hollowness, shape_features
from griptalk.perception.tracker import ObjectTracker, TrackerConfig
from griptalk.types import SceneGraph, SceneObject

ARM_BORDER_PX = 3  # an object's pixels this close to the arm's: the arm may hide some of it


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
    min_match_iou: float = 0.4  # box overlap for a blob to take a detection's class
    min_carve_confidence: float = 0.5  # a detection matching no blob is carved out of one from this confidence
    carve_height_m: float = 0.01  # carved: the pixels in its box this far above the lowest ones there
    drawer_depth_m: float = 0.20  # the cabinet's front-to-back depth (urdf/drawer_cabinet.urdf)
    # The shut drawer's front panel stands this far proud of the cabinet: read as opening, it made a
    # shut drawer look 1.5 cm open.
    drawer_front_m: float = 0.015
    shape_fallback: bool = True  # with a detector: geometry may overrule an unsure detection or fill a miss

    def __post_init__(self) -> None:
        if self.drawer_depth_m <= 0.0:
            raise ValueError(f"drawer_depth_m must be > 0, got {self.drawer_depth_m}")
        if self.drawer_front_m < 0.0:
            raise ValueError(f"drawer_front_m must be >= 0, got {self.drawer_front_m}")
        if not 0.0 < self.min_match_iou <= 1.0:
            raise ValueError(f"min_match_iou must be in (0, 1], got {self.min_match_iou}")
        if not 0.0 < self.min_carve_confidence <= 1.0:
            raise ValueError(f"min_carve_confidence must be in (0, 1], got {self.min_carve_confidence}")
        if self.carve_height_m <= 0.0:
            raise ValueError(f"carve_height_m must be > 0, got {self.carve_height_m}")
        if not 0.0 <= self.min_shape_confidence <= 1.0:
            raise ValueError(f"min_shape_confidence must be in [0, 1], got {self.min_shape_confidence}")
        if self.max_hidden_height_m <= 0.0:
            raise ValueError(f"max_hidden_height_m must be > 0, got {self.max_hidden_height_m}")


class PerceptionPipeline:
    """Stateful (it tracks ids across frames); one instance per camera stream."""

    def __init__(self, config: PerceptionConfig | None = None, detector: Detector | None = None) -> None:
        self.config = config or PerceptionConfig()
        self.detector = detector
        self._prototypes = {p.object_class: p for p in self.config.shapes.prototypes}
        # What can stand inside a container or the drawer: neither a container nor the drawer.
        self._carvable_classes = {p.object_class for p in self.config.shapes.prototypes
                                  if p.hollowness < self.config.shapes.hollow_threshold and not p.faces_robot}
        if detector is not None:
            missing = sorted(set(detector.classes) - set(self._prototypes) - {"handle"})
            if missing:
                raise ValueError(f"detector classes without a shape prototype: {', '.join(missing)}")
        self._namer = ColorNamer(self.config.colors)
        self._tracker = ObjectTracker(self.config.tracker)

    def reset(self) -> None:
        """Forget every tracked object (a new scene)."""
        self._tracker.reset()

    def detect(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel,
               robot: list[Capsule] = ()) -> tuple[list[tuple[SceneObject, bool]], float]:
        """This frame's objects (without ids), each with whether the arm hides some of it, and the drawer's
        opening [m].

        `robot`: capsules around the arm as it stood when the frame was taken; what lies inside is no object,
        and an object whose pixels border on it is partly hidden.
        """
        shapes = self.config.shapes
        points = base_frame_points(depth, camera)
        near_arm = np.zeros(depth.shape, dtype=bool)
        if robot:
            flat = points.reshape(-1, 3)  # a view: NaN written here lands in points
            with np.errstate(invalid="ignore"):
                above = np.flatnonzero(flat[:, 2] > self.config.segmentation.min_height_m)  # not the table
            arm = above[inside_capsules(flat[above], robot)]
            flat[arm] = np.nan
            near_arm.reshape(-1)[arm] = True
            near_arm = cv2.dilate(near_arm.astype(np.uint8), np.ones((2 * ARM_BORDER_PX + 1,) * 2, np.uint8)) > 0
        blobs = segment(rgb, depth, camera, self.config.segmentation, points)
        handles: list[Detection] = []
        if self.detector is not None:
            found = self.detector.detect(rgb, depth, camera, points)
            handles = [d for d in found if d.object_class == "handle"]
            objects = [d for d in found if d.object_class in self._prototypes]
            labels = match_blobs(blobs, objects, self.config.min_match_iou)
            blobs, labels = carve_detections(blobs, labels, self._carvable(objects, labels), self.config.carve_height_m,
                                             self.config.segmentation.min_blob_px)
        else:
            labels = [None] * len(blobs)
        seen_boxes = [fit_box(b.points) for b in blobs]
        floors = [floor_height(b.points, box, shapes.inner_fraction)
                  if hollowness(b.points, box, shapes.inner_fraction) >= shapes.hollow_threshold else None
                  for b, box in zip(blobs, seen_boxes)]
        detections, opening = [], 0.0
        for blob, seen, box, label in zip(blobs, seen_boxes, rest_on_supports(seen_boxes, floors), labels):
            if seen.bottom_z - box.bottom_z > self.config.max_hidden_height_m:
                continue
            prototype, class_confidence = self._classify(blob, box, label)
            if prototype is None:
                continue
            color, color_confidence = self._namer.name(blob.rgb) if prototype.has_color else ("", 1.0)
            if prototype.faces_robot:
                box = _without_handles(blob, box, handles)
            yaw, size = object_yaw_and_size(box, prototype.yaw_symmetry, (0.0, 0.0) if prototype.faces_robot else None)
            centre = box.center
            if prototype.object_class == "drawer":
                centre, size, opening = cabinet_pose(box, yaw, size, self.config.drawer_depth_m,
                                                     self.config.drawer_front_m)
            detections.append((SceneObject(id="", object_class=prototype.object_class, color=color,
                                           position=centre, yaw=yaw, size=size,
                                           confidence=min(class_confidence, color_confidence)),
                               bool(near_arm[blob.rows, blob.cols].any())))
        return detections, opening

    def _carvable(self, detections: list[Detection], labels: list[Detection | None]) -> list[Detection]:
        """Confident detections of things that go into containers and overlap no detection that took
        a blob (neither that one itself nor a second class for the same object)."""
        matched = np.array([d.box for d in labels if d is not None], float).reshape(-1, 4)
        overlap = box_iou(np.array([d.box for d in detections], float).reshape(-1, 4), matched)
        return [d for d, o in zip(detections, overlap) if d.object_class in self._carvable_classes
                and d.confidence >= self.config.min_carve_confidence and not (o >= self.config.min_match_iou).any()]

    def _classify(self, blob: Blob, box: BoxFit, label: Detection | None) -> tuple[ShapePrototype | None, float]:
        """The blob's class prototype and confidence (None: not an object).

        The detector's word, unless (with `shape_fallback`) the blob's geometry names a class more
        confidently than the detector does, or names one where the detector saw nothing.
        """
        if self.detector is not None and not self.config.shape_fallback:
            return (self._prototypes[label.object_class], label.confidence) if label else (None, 0.0)
        shapes = self.config.shapes
        shape, shape_confidence = classify_shape(shape_features(blob.points, box, shapes), shapes)
        if label is not None and label.confidence >= shape_confidence:
            return self._prototypes[label.object_class], label.confidence
        if shape_confidence < self.config.min_shape_confidence:
            return None, 0.0
        return shape, shape_confidence

    def process(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel, stamp_s: float,
                robot: list[Capsule] = ()) -> SceneGraph:
        """The scene graph of one frame; objects keep their ids from earlier frames (`robot`: see detect)."""
        detections, opening = self.detect(rgb, depth, camera, robot)
        objects = self._tracker.update([d for d, _ in detections], [hidden for _, hidden in detections])
        fresh = [o for o in objects if not o.stale]
        return SceneGraph(objects=objects, relations=compute_relations(fresh, self.config.relations, opening),
                          drawer_opening_m=opening, stamp_s=float(stamp_s))


def _without_handles(blob: Blob, box: BoxFit, handles: list[Detection]) -> BoxFit:
    """The blob's footprint without the pixels in handle boxes (a handle sticks out of the front);
    its heights stay those of `box`."""
    inside = np.zeros(len(blob), dtype=bool)
    for handle in handles:
        x0, y0, x1, y1 = handle.box
        inside |= (blob.cols >= x0) & (blob.cols < x1) & (blob.rows >= y0) & (blob.rows < y1)
    if not inside.any() or inside.all():
        return box
    footprint = fit_box(blob.points[~inside])
    return BoxFit(np.array([footprint.center[0], footprint.center[1], box.center[2]]), footprint.yaw_rad,
                  np.array([footprint.size[0], footprint.size[1], box.size[2]]), footprint.footprint_fill)


def carve_detections(blobs: list[Blob], labels: list[Detection | None], detections: list[Detection],
                     height_m: float, min_px: int) -> tuple[list[Blob], list[Detection | None]]:
    """`blobs` and their `labels`, plus a blob of its own for each detection that lies in another blob.

    The object is the pixels of the blob holding most of the detection's box that stand `height_m`
    above the lowest of them (what it stands on); it is carved only when it is the smaller part and
    both parts keep `min_px` pixels.
    """
    blobs, labels = list(blobs), list(labels)
    if not blobs:
        return blobs, labels
    for detection in detections:
        x0, y0, x1, y1 = detection.box
        inside = [(b.cols >= x0) & (b.cols < x1) & (b.rows >= y0) & (b.rows < y1) for b in blobs]
        i = int(np.argmax([m.sum() for m in inside]))
        parent, z = blobs[i], blobs[i].points[inside[i], 2]
        if len(z) < min_px:
            continue
        part = np.zeros(len(parent), dtype=bool)
        part[inside[i]] = z > np.quantile(z, 0.05) + height_m  # a low quantile: robust to depth noise
        if not min_px <= part.sum() < len(parent) - part.sum():
            continue
        blobs[i] = _subset(parent, ~part)
        blobs.append(_subset(parent, part))
        labels.append(detection)
    return blobs, labels


def _subset(blob: Blob, keep: np.ndarray) -> Blob:
    return Blob(blob.rows[keep], blob.cols[keep], blob.points[keep], blob.rgb[keep])


def match_blobs(blobs: list[Blob], detections: list[Detection], min_iou: float) -> list[Detection | None]:
    """The detection of each blob (or None): greedy one-to-one pairs, best box overlap first."""
    blob_boxes = np.array([[b.cols.min(), b.rows.min(), b.cols.max() + 1, b.rows.max() + 1] for b in blobs], float)
    det_boxes = np.array([d.box for d in detections], float).reshape(-1, 4)
    iou = box_iou(blob_boxes.reshape(-1, 4), det_boxes)
    matched: list[Detection | None] = [None] * len(blobs)
    used: set[int] = set()
    for flat in np.argsort(-iou, axis=None):
        i, j = np.unravel_index(flat, iou.shape)
        if iou[i, j] < min_iou:
            break
        if matched[i] is None and j not in used:
            matched[i] = detections[j]
            used.add(j)
    return matched


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of (N, 4) and (M, 4) boxes x0, y0, x1, y1."""
    low = np.maximum(a[:, None, :2], b[None, :, :2])
    high = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(high - low, 0.0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)
