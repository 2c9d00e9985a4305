"""Pinhole camera model: intrinsics plus the optical frame's pose in the base frame.

Optical frame convention (REP 103): z forward, x right, y down.
Depth images are metric: metres along the optical z axis, NaN or 0 where there is no return.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def quat_to_matrix(q_xyzw) -> np.ndarray:
    x, y, z, w = (float(v) for v in q_xyzw)
    n = np.sqrt(x * x + y * y + z * z + w * w)
    if n < 1e-9:
        raise ValueError("quaternion has zero length")
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(r: np.ndarray) -> np.ndarray:
    """Rotation matrix to quaternion (x, y, z, w)."""
    m = np.asarray(r, dtype=float)
    t = np.trace(m)
    if t > 0:
        s = 2.0 * np.sqrt(t + 1.0)
        q = [(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(m)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = 2.0 * np.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k])
        q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
        q[i] = 0.25 * s
        q[j] = (m[j, i] + m[i, j]) / s
        q[k] = (m[k, i] + m[i, k]) / s
    return np.array(q)


def look_at(eye, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """Rotation (optical frame -> base) of a camera at `eye` looking at `target`."""
    eye, target, up = (np.asarray(v, dtype=float) for v in (eye, target, up))
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-6:
        raise ValueError("camera looks along its up vector")
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.column_stack([x, y, z])


@dataclass(frozen=True)
class CameraModel:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    position: tuple  # optical-frame origin in the base frame [m]
    orientation: tuple  # optical frame -> base, quaternion (x, y, z, w)

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or self.fx <= 0 or self.fy <= 0:
            raise ValueError("camera size and focal lengths must be positive")

    @classmethod
    def looking_at(cls, width: int, height: int, vertical_fov_deg: float, eye, target) -> "CameraModel":
        if not 1.0 <= vertical_fov_deg <= 170.0:
            raise ValueError(f"vertical_fov_deg must be in [1, 170], got {vertical_fov_deg}")
        f = (height / 2.0) / np.tan(np.radians(vertical_fov_deg) / 2.0)
        q = matrix_to_quat(look_at(eye, target))
        return cls(width, height, f, f, (width - 1) / 2.0, (height - 1) / 2.0, tuple(map(float, eye)), tuple(q))

    @property
    def rotation(self) -> np.ndarray:
        return quat_to_matrix(self.orientation)

    @property
    def vertical_fov_deg(self) -> float:
        return float(np.degrees(2.0 * np.arctan((self.height / 2.0) / self.fy)))

    def k_matrix(self) -> np.ndarray:
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def backproject(self, depth: np.ndarray, pixels: np.ndarray | None = None) -> np.ndarray:
        """Base-frame points of depth pixels.

        With `pixels` (N x 2 array of u, v) returns N x 3; without, H x W x 3 for the whole image.
        """
        if pixels is None:
            v, u = np.mgrid[0:self.height, 0:self.width]
            z = depth
        else:
            u, v = pixels[:, 0], pixels[:, 1]
            z = depth[v, u]
        x = (u - self.cx) / self.fx * z
        y = (v - self.cy) / self.fy * z
        pts_cam = np.stack([x, y, z], axis=-1)
        return pts_cam @ self.rotation.T + np.asarray(self.position)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel coordinates (u, v) of base-frame points, N x 3 -> N x 2."""
        pts_cam = (np.asarray(points, dtype=float) - np.asarray(self.position)) @ self.rotation
        return np.stack([self.fx * pts_cam[:, 0] / pts_cam[:, 2] + self.cx,
                         self.fy * pts_cam[:, 1] / pts_cam[:, 2] + self.cy], axis=-1)
