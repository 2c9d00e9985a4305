"""An object's pose and size from its base-frame points: a rotated rectangle on the table.

The camera sees objects from an angle, so the centroid of the visible points is biased toward
the camera. The footprint is instead the minimum-area rectangle around all points projected on
the table (vertical side faces project onto the top face's outline), the height comes from the
top face, and the box's centre is the rectangle's centre at half height.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class BoxFit:
    center: np.ndarray  # bounding-box centre, base frame [m]
    yaw_rad: float  # direction of the footprint's long side, in [-pi/2, pi/2)
    size: np.ndarray  # (long, short, height) [m]
    footprint_fill: float  # convex hull area / rectangle area: 1 for boxes, pi/4 for discs

    @property
    def top_z(self) -> float:
        return float(self.center[2] + self.size[2] / 2.0)

    @property
    def bottom_z(self) -> float:
        return float(self.center[2] - self.size[2] / 2.0)

    def to_local_xy(self, xy: np.ndarray) -> np.ndarray:
        """Base-frame (N, 2) x-y to the footprint's frame (long side along x)."""
        c, s = np.cos(self.yaw_rad), np.sin(self.yaw_rad)
        return (np.asarray(xy, dtype=float).reshape(-1, 2) - self.center[:2]) @ np.array([[c, -s], [s, c]])


def fit_box(points: np.ndarray, outlier_quantile: float = 0.01) -> BoxFit:
    """Rotated bounding box of an object's (N, 3) visible points.

    Top and bottom are quantiles of z that ignore the `outlier_quantile` most extreme points. The
    bottom is where the object is last seen: `rest_on_supports` moves it down to what it stands on.
    """
    points = np.asarray(points, dtype=float)
    if len(points) < 3:
        raise ValueError(f"need at least 3 points to fit a box, got {len(points)}")
    hull = cv2.convexHull((points[:, :2] * 1000.0).astype(np.float32))  # mm; the rectangle needs only the hull
    (cx, cy), _, _ = rect = cv2.minAreaRect(hull)
    corners = cv2.boxPoints(rect)
    edges = (corners[1] - corners[0], corners[2] - corners[1])
    long_edge, short_edge = sorted(edges, key=lambda e: -float(np.hypot(*e)))
    yaw = wrap_angle(float(np.arctan2(long_edge[1], long_edge[0])), np.pi)
    long_m, short_m = float(np.hypot(*long_edge)) / 1000.0, float(np.hypot(*short_edge)) / 1000.0
    hull_area = cv2.contourArea(hull) / 1e6
    fill = hull_area / max(long_m * short_m, 1e-9)
    bottom, top = (float(v) for v in np.quantile(points[:, 2], [outlier_quantile, 1.0 - outlier_quantile]))
    return _with_z_range(BoxFit(np.array([cx / 1000.0, cy / 1000.0, 0.0]), yaw, np.array([long_m, short_m, 0.0]),
                                float(min(fill, 1.0))), bottom, top)


def _with_z_range(box: BoxFit, bottom: float, top: float) -> BoxFit:
    top = max(top, bottom)
    return BoxFit(np.array([box.center[0], box.center[1], (bottom + top) / 2.0]), box.yaw_rad,
                  np.array([box.size[0], box.size[1], top - bottom]), box.footprint_fill)


def inner_mask(points: np.ndarray, box: BoxFit, fraction: float) -> np.ndarray:
    """Points over the central part of the footprint (its sides scaled by `fraction`)."""
    local = box.to_local_xy(points[:, :2])
    half = box.size[:2] / 2.0 * fraction
    return (np.abs(local[:, 0]) <= half[0]) & (np.abs(local[:, 1]) <= half[1])


def over_footprint(xy, box: BoxFit, margin_m: float = 0.0) -> bool:
    return bool(np.all(np.abs(box.to_local_xy(xy)[0]) <= box.size[:2] / 2.0 + margin_m))


def rest_on_supports(boxes: list[BoxFit], floors_z: list[float | None], tolerance_m: float = 0.01) -> list[BoxFit]:
    """Each box extended down to what it stands on; the camera rarely sees an object's lowest part.

    The support of a box is the highest other box lower than it whose footprint holds its centre:
    a container (its floor height in `floors_z`, None for solid boxes) supports it on its floor,
    a solid box on its top (when the box's bottom is seen within `tolerance_m` of that top).
    Without a support, the box stands on the table (z = 0).
    """
    rested = []
    for i, box in enumerate(boxes):
        under = [j for j, other in enumerate(boxes)
                 if j != i and other.bottom_z < box.bottom_z and over_footprint(box.center[:2], other)]
        bottom = 0.0
        if under:
            j = max(under, key=lambda k: boxes[k].top_z)
            if floors_z[j] is not None:
                bottom = min(box.bottom_z, floors_z[j])
            elif box.bottom_z >= boxes[j].top_z - tolerance_m:
                bottom = min(box.bottom_z, boxes[j].top_z)
            else:
                bottom = box.bottom_z
        rested.append(_with_z_range(box, bottom, box.top_z))
    return rested


def wrap_angle(angle_rad: float, period_rad: float) -> float:
    """Angle folded into [-period/2, period/2)."""
    return float((angle_rad + period_rad / 2.0) % period_rad - period_rad / 2.0)


def symmetric_yaw(yaw_rad: float, symmetry_order: int) -> float:
    """Yaw folded by an object's rotational symmetry about z: order 4 (a cube) gives yaw mod 90 deg;
    order 0 (round, any angle looks the same) gives 0."""
    if symmetry_order < 0:
        raise ValueError(f"symmetry_order must be >= 0, got {symmetry_order}")
    if symmetry_order == 0:
        return 0.0
    return wrap_angle(yaw_rad, 2.0 * np.pi / symmetry_order)


def object_yaw_and_size(box: BoxFit, symmetry_order: int, facing_xy=None) -> tuple[float, np.ndarray]:
    """An object's yaw and (x, y, z) extents in its own frame from its footprint box.

    The box's yaw follows its long side; `symmetry_order` folds it (see `symmetric_yaw`). With
    `facing_xy`, the yaw is instead the footprint axis that points most nearly at that point (a
    drawer's front faces the robot), and the extents are swapped when that axis is the short side.
    """
    if facing_xy is None:
        return symmetric_yaw(box.yaw_rad, symmetry_order), box.size.copy()
    to_target = np.asarray(facing_xy, dtype=float) - box.center[:2]
    quarter_turns = max(range(4), key=lambda k: float(np.dot(
        [np.cos(box.yaw_rad + k * np.pi / 2), np.sin(box.yaw_rad + k * np.pi / 2)], to_target)))
    size = box.size.copy()
    if quarter_turns % 2:
        size[[0, 1]] = size[[1, 0]]
    return wrap_angle(box.yaw_rad + quarter_turns * np.pi / 2, 2 * np.pi), size



def cabinet_pose(box: BoxFit, yaw_rad: float, size: np.ndarray, depth_m: float,
                 front_m: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """(centre, size, drawer opening [m]) of a cabinet whose front faces `yaw_rad`.

    `box` and `size` (along the front's axis first, from `object_yaw_and_size`) span the cabinet
    and its pulled-out drawer: the back is where the cabinet ends, the cabinet is `depth_m` deep,
    and whatever lies beyond its front, less the `front_m` the drawer's front panel stands proud of
    it when shut, is the opening.
    """
    if depth_m <= 0.0 or front_m < 0.0:
        raise ValueError(f"need depth_m > 0 and front_m >= 0, got {depth_m} and {front_m}")
    forward = np.array([np.cos(yaw_rad), np.sin(yaw_rad), 0.0])
    back = box.center - forward * size[0] / 2.0
    opening = max(0.0, float(size[0]) - depth_m - front_m)
    return back + forward * depth_m / 2.0, np.array([depth_m, size[1], size[2]]), opening
