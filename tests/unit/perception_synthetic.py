"""A tiny ray caster for perception tests: shaded boxes on a table, seen by a pinhole camera.

Not a test module: it renders exact RGB-D frames of box-shaped objects so that segmentation,
pose and shape code can be checked against known geometry without a simulator.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.camera import CameraModel

TABLE_RGB = (0.62, 0.58, 0.52)
LIGHT = np.array([0.3, 0.2, 1.0]) / np.linalg.norm([0.3, 0.2, 1.0])


@dataclass(frozen=True)
class Box:
    center: tuple[float, float, float]
    size: tuple[float, float, float]
    rgb: tuple[float, float, float]
    yaw: float = 0.0


def default_camera() -> CameraModel:
    return CameraModel.looking_at(640, 480, 50.0, (1.05, 0.0, 0.80), (0.45, 0.0, 0.0))


def cube(x: float, y: float, rgb, yaw: float = 0.0, edge: float = 0.045, z0: float = 0.0) -> Box:
    return Box((x, y, z0 + edge / 2), (edge, edge, edge), rgb, yaw)


def open_box(x: float, y: float, size, rgb, yaw: float = 0.0, wall: float = 0.006) -> list[Box]:
    """A container: floor and four walls."""
    lx, ly, h = size
    c, s = np.cos(yaw), np.sin(yaw)

    def part(dx, dy, z, sx, sy, sz):
        return Box((x + c * dx - s * dy, y + s * dx + c * dy, z), (sx, sy, sz), rgb, yaw)

    return [part(0, 0, wall / 2, lx, ly, wall),
            part(0, (ly - wall) / 2, h / 2, lx, wall, h), part(0, -(ly - wall) / 2, h / 2, lx, wall, h),
            part((lx - wall) / 2, 0, h / 2, wall, ly, h), part(-(lx - wall) / 2, 0, h / 2, wall, ly, h)]


def render(camera: CameraModel, boxes: list[Box]) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 H x W x 3, depth float32 H x W [m along the optical axis]) of boxes on the table z = 0."""
    v, u = np.mgrid[0:camera.height, 0:camera.width].astype(float)
    rays = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones_like(u)], -1) @ camera.rotation.T
    origin = np.asarray(camera.position, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(rays[..., 2] < 0, -origin[2] / rays[..., 2], np.inf)
    normal = np.zeros(rays.shape)
    normal[..., 2] = 1.0
    albedo = np.broadcast_to(np.asarray(TABLE_RGB), rays.shape).copy()
    for box in boxes:
        t, n = _hit_box(origin, rays, box)
        closer = t < depth
        depth[closer] = t[closer]
        normal[closer] = n[closer]
        albedo[closer] = box.rgb
    shade = 0.55 + 0.45 * np.clip(normal @ LIGHT, 0.0, 1.0)
    rgb = np.clip(albedo * shade[..., None] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return rgb, np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)


def _hit_box(origin: np.ndarray, rays: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Ray parameter (= optical depth) of the entry point into the box, inf where missed; and its normal."""
    c, s = np.cos(box.yaw), np.sin(box.yaw)
    to_local = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    o = to_local @ (origin - np.asarray(box.center))
    d = rays @ to_local.T
    half = np.asarray(box.size) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (-half - o) / d, (half - o) / d
    t_near_axes = np.minimum(t1, t2)
    t_near = np.nanmax(t_near_axes, axis=-1)
    t_far = np.nanmin(np.maximum(t1, t2), axis=-1)
    hit = (t_near <= t_far) & (t_far > 0)
    axis = np.argmax(np.nan_to_num(t_near_axes, nan=-np.inf), axis=-1)
    local_normal = np.zeros(rays.shape)
    np.put_along_axis(local_normal, axis[..., None], -np.sign(np.take_along_axis(d, axis[..., None], -1)), -1)
    return np.where(hit, t_near, np.inf), local_normal @ to_local
