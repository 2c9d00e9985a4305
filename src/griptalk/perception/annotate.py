"""Draw the scene graph onto the camera image: a box and a label per object."""
from __future__ import annotations

import itertools

import cv2
import numpy as np

from griptalk.camera import CameraModel
from griptalk.types import SceneGraph


def box_corners(position, yaw: float, size) -> np.ndarray:
    """The 8 corners (8 x 3) of an object's yawed bounding box."""
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    half = np.asarray(size, dtype=float) / 2.0
    signs = np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)
    return (signs * half) @ rot.T + np.asarray(position, dtype=float)


def annotate(rgb: np.ndarray, scene: SceneGraph, camera: CameraModel) -> np.ndarray:
    out = np.ascontiguousarray(rgb.copy())
    for obj in scene.objects:
        uv = camera.project(box_corners(obj.position, obj.yaw, obj.size))
        if not np.all(np.isfinite(uv)):
            continue
        x0, y0 = np.floor(uv.min(axis=0)).astype(int)
        x1, y1 = np.ceil(uv.max(axis=0)).astype(int)
        colour = (160, 160, 160) if obj.stale else (255, 255, 0)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 1)
        label = f"{obj.id} {obj.confidence:.2f}"
        cv2.putText(out, label, (x0, max(10, y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)
    return out
