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
        d = np.asarray(xy, dtype=float).reshape(-1, 2) - self.center[:2]
        return np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1]], axis=1)


def fit_box(points: np.ndarray, support_snap_m: float = 0.01, outlier_quantile: float = 0.01) -> BoxFit:
    """Rotated bounding box of an object's (N, 3) points standing on the table or on another object.

    Top and bottom are quantiles of z that ignore the `outlier_quantile` most extreme points. The
    bottom snaps to the table (z = 0) when it is within `support_snap_m` of it: the lowest few
    millimetres are below the foreground threshold and never seen.
    """
    points = np.asarray(points, dtype=float)
    if len(points) < 3:
        raise ValueError(f"need at least 3 points to fit a box, got {len(points)}")
    xy_mm = (points[:, :2] * 1000.0).astype(np.float32)
    (cx, cy), _, _ = rect = cv2.minAreaRect(xy_mm)
    corners = cv2.boxPoints(rect)
    edges = (corners[1] - corners[0], corners[2] - corners[1])
    long_edge, short_edge = sorted(edges, key=lambda e: -float(np.hypot(*e)))
    yaw = wrap_angle(float(np.arctan2(long_edge[1], long_edge[0])), np.pi)
    long_m, short_m = float(np.hypot(*long_edge)) / 1000.0, float(np.hypot(*short_edge)) / 1000.0
    hull_area = cv2.contourArea(cv2.convexHull(xy_mm)) / 1e6
    fill = hull_area / max(long_m * short_m, 1e-9)

    bottom, top = (float(v) for v in np.quantile(points[:, 2], [outlier_quantile, 1.0 - outlier_quantile]))
    if bottom < support_snap_m:
        bottom = 0.0
    height = max(top - bottom, 0.0)
    center = np.array([cx / 1000.0, cy / 1000.0, bottom + height / 2.0])
    return BoxFit(center, yaw, np.array([long_m, short_m, height]), float(min(fill, 1.0)))


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
