"""What the detector sees: a 3-channel image made from an RGB-D frame, colour left out on purpose.

Channels: luminance, height above the table, and saturation. The object classes are shapes, and
colour is a separate attribute named by `colors.py`: a detector that never sees hue detects a
cube of a colour it was never trained on (orange, purple, pink, white) like any other cube, and
the height channel lifts objects off the table's texture and the arm's shadow. The image is
scaled down to `DETECTOR_WIDTH_PX` wide (nano YOLO on one CPU thread needs a small input).
"""
from __future__ import annotations

import cv2
import numpy as np

from griptalk.camera import CameraModel
from griptalk.perception.segmentation import base_frame_points

DETECTOR_WIDTH_PX = 320
HEIGHT_RANGE_M = 0.20  # heights above the table mapped onto 0..255; higher is the arm


def detector_input(rgb: np.ndarray, depth: np.ndarray, camera: CameraModel,
                   width_px: int = DETECTOR_WIDTH_PX, points: np.ndarray | None = None) -> np.ndarray:
    """(h, width_px, 3) uint8 image of (luminance, height above table, saturation) for the detector.

    `points`: the frame's `base_frame_points`, when the caller has them already.
    """
    if rgb.shape != (camera.height, camera.width, 3) or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be uint8 of shape {(camera.height, camera.width, 3)}, got {rgb.dtype} {rgb.shape}")
    if width_px < 32:
        raise ValueError(f"width_px must be >= 32, got {width_px}")
    height_px = int(round(camera.height * width_px / camera.width))
    size = (width_px, height_px)
    small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    # Heights are averaged over each output pixel from the full-resolution depth.
    z = (base_frame_points(depth, camera) if points is None else points)[..., 2]
    z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
    height = cv2.resize(np.clip(z / HEIGHT_RANGE_M, 0.0, 1.0), size, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2HSV)
    luminance = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY)
    return np.dstack([luminance, (height * 255.0 + 0.5).astype(np.uint8), hsv[..., 1]])
