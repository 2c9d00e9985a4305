"""Foreground segmentation: depth -> base-frame points -> one pixel set per object blob.

Foreground is what stands above the table top (z = 0) inside the table area, minus the robot
(a cylinder around the base and everything high above the table). Blobs are the connected
components of the foreground after cutting it along depth jumps (one object occluding another);
a blob holding objects of clearly different colours (a cube in a bowl) is split by colour.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from griptalk.camera import CameraModel


_CLUSTER_SAMPLE = 2000  # pixels a colour clustering is fitted on


@dataclass(frozen=True)
class SegmentationConfig:
    table_x_range_m: tuple[float, float] = (0.15, 1.0)
    table_y_range_m: tuple[float, float] = (-0.55, 0.55)
    min_height_m: float = 0.004  # above the table top: rejects the table and depth noise
    max_height_m: float = 0.35  # above this it is the arm, not an object on the table
    robot_radius_m: float = 0.20  # cylinder around the base frame's z axis that belongs to the robot
    depth_jump_m: float = 0.015  # neighbouring pixels further apart along the optical axis are cut
    min_blob_px: int = 60
    min_piece_px: int = 15  # colour-cluster fragments smaller than this are dropped as speckle
    split_chromaticity: float = 0.08  # rg-chromaticity distance that separates two objects' colours
    min_split_brightness: int = 60  # r+g+b below this carries no reliable chromaticity

    def __post_init__(self) -> None:
        for name in ("table_x_range_m", "table_y_range_m"):
            low, high = getattr(self, name)
            if not low < high:
                raise ValueError(f"{name} must be (low, high) with low < high, got {getattr(self, name)}")
        if not 0.0 <= self.min_height_m < self.max_height_m:
            raise ValueError(f"need 0 <= min_height_m < max_height_m, got {self.min_height_m}, {self.max_height_m}")
        if self.robot_radius_m < 0.0:
            raise ValueError(f"robot_radius_m must be >= 0, got {self.robot_radius_m}")
        if self.depth_jump_m <= 0.0:
            raise ValueError(f"depth_jump_m must be > 0, got {self.depth_jump_m}")
        if self.min_blob_px < 1 or self.min_piece_px < 1:
            raise ValueError("min_blob_px and min_piece_px must be >= 1")
        if not 0.0 < self.split_chromaticity < 1.0:
            raise ValueError(f"split_chromaticity must be in (0, 1), got {self.split_chromaticity}")
        if not 0 <= self.min_split_brightness < 765:
            raise ValueError(f"min_split_brightness must be in [0, 765), got {self.min_split_brightness}")


@dataclass
class Blob:
    """The pixels of one object candidate, with their base-frame points and colours."""

    rows: np.ndarray  # (N,) pixel rows
    cols: np.ndarray  # (N,) pixel columns
    points: np.ndarray  # (N, 3) base frame [m]
    rgb: np.ndarray  # (N, 3) uint8

    def __len__(self) -> int:
        return len(self.rows)


@lru_cache(maxsize=4)
def _pixel_rays(camera: CameraModel) -> np.ndarray:
    """Base-frame direction of each pixel's ray, scaled so that optical depth 1 m gives the point."""
    v, u = np.mgrid[0:camera.height, 0:camera.width].astype(np.float32)
    rays_cam = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones_like(u)], axis=-1)
    return (rays_cam @ camera.rotation.T.astype(np.float32)).astype(np.float32)


def base_frame_points(depth: np.ndarray, camera: CameraModel) -> np.ndarray:
    """H x W x 3 base-frame points of a metric depth image (NaN where depth is missing)."""
    if depth.shape != (camera.height, camera.width):
        raise ValueError(f"depth image is {depth.shape}, camera expects {(camera.height, camera.width)}")
    z = np.asarray(depth, dtype=np.float32)
    z = np.where(z > 0.0, z, np.float32(np.nan))
    points = cv2.multiply(_pixel_rays(camera), cv2.merge([z, z, z]))  # half numpy's time on 3-channel images
    points += np.asarray(camera.position, dtype=np.float32)
    return points


def foreground_mask(points: np.ndarray, depth: np.ndarray, config: SegmentationConfig) -> np.ndarray:
    """Pixels of objects on the table, cut along depth jumps."""
    low = (config.table_x_range_m[0], config.table_y_range_m[0], config.min_height_m)
    high = (config.table_x_range_m[1], config.table_y_range_m[1], config.max_height_m)
    mask = cv2.inRange(points, low, high) > 0  # NaN is out of range
    # The robot's cylinder: only pixels with x inside its radius can be in it.
    flat, near = points.reshape(-1, 3), mask.reshape(-1)
    candidates = np.flatnonzero(near & (flat[:, 0] < config.robot_radius_m))
    near[candidates] = np.hypot(flat[candidates, 0], flat[candidates, 1]) > config.robot_radius_m
    return mask & ~_far_side_of_depth_jumps(depth, config.depth_jump_m)


def _far_side_of_depth_jumps(depth: np.ndarray, jump_m: float) -> np.ndarray:
    """Pixels just behind an occluding edge; removing them separates occluder and occluded."""
    d = np.nan_to_num(np.asarray(depth, dtype=np.float32), nan=np.inf)
    edge = np.zeros(d.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for axis in (0, 1):
            step = np.diff(d, axis=axis)  # d[i+1] - d[i]
            jump = np.abs(step) > jump_m
            near_slice = [slice(None)] * 2
            far_slice = [slice(None)] * 2
            near_slice[axis], far_slice[axis] = slice(1, None), slice(None, -1)
            edge[tuple(near_slice)] |= jump & (step > 0)  # pixel i+1 is farther
            edge[tuple(far_slice)] |= jump & (step < 0)  # pixel i is farther
    return edge


def segment(rgb: np.ndarray, depth: np.ndarray, camera: CameraModel, config: SegmentationConfig,
            points: np.ndarray | None = None) -> list[Blob]:
    """Object blobs of one frame, each with its pixels, base-frame points and colours.

    `points`: the frame's `base_frame_points`, when the caller has them already.
    """
    if rgb.shape != (camera.height, camera.width, 3) or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be uint8 of shape {(camera.height, camera.width, 3)}, got {rgb.dtype} {rgb.shape}")
    if points is None:
        points = base_frame_points(depth, camera)
    mask = foreground_mask(points, depth, config).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    blobs = []
    for rows, cols in _pixels_per_label(labels, count):
        if len(rows) < config.min_blob_px:
            continue
        blob = Blob(rows, cols, points[rows, cols].astype(float), rgb[rows, cols])
        blobs.extend(_split_by_colour(blob, config, depth=3))
    return blobs


def _pixels_per_label(labels: np.ndarray, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, cols) of every non-zero label, in one pass over the image."""
    flat = labels.ravel()
    index = np.flatnonzero(flat)
    order = np.argsort(flat[index], kind="stable")
    index = index[order]
    bounds = np.searchsorted(flat[index], np.arange(1, count + 1))
    width = labels.shape[1]
    return [(index[a:b] // width, index[a:b] % width) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_by_colour(blob: Blob, config: SegmentationConfig, depth: int) -> list[Blob]:
    """Split a blob in two while its pixels form two well-separated colour clusters of object size."""
    labels = _two_colour_clusters(blob.rgb, config) if depth > 0 else None
    if labels is None:
        return [blob]
    parts = []
    for k in (0, 1):
        keep = _without_speckle(blob, labels == k, config.min_piece_px)
        part = Blob(blob.rows[keep], blob.cols[keep], blob.points[keep], blob.rgb[keep])
        if len(part) < config.min_blob_px:
            return [blob]
        parts.append(part)
    return [piece for part in parts for piece in _split_by_colour(part, config, depth - 1)]


def _two_colour_clusters(rgb: np.ndarray, config: SegmentationConfig) -> np.ndarray | None:
    """Per-pixel cluster label 0/1 by rg-chromaticity (shading-invariant), or None if one colour."""
    lit = np.flatnonzero(_brightness(rgb) >= config.min_split_brightness)
    if len(lit) < 2 * config.min_blob_px:
        return None
    sample = _chromaticity(rgb[lit[::max(1, len(lit) // _CLUSTER_SAMPLE)]])  # enough to place two centres
    centred = sample - sample.mean(axis=0)
    # Deterministic start: split along the principal axis of the chromaticities.
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    initial = (centred @ axes[0] > 0).astype(np.int32).reshape(-1, 1)
    if initial.min() == initial.max():
        return None
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1e-4)
    _, _, centres = cv2.kmeans(sample, 2, initial, criteria, 1, cv2.KMEANS_USE_INITIAL_LABELS)
    if np.linalg.norm(centres[0] - centres[1]) < config.split_chromaticity:
        return None
    # Every pixel, dark ones included, goes to the nearer colour: the side of the bisector it is on.
    labels = ((_chromaticity(rgb) - centres.mean(axis=0)) @ (centres[1] - centres[0]) > 0.0).astype(np.int32)
    if min(np.count_nonzero(labels == 0), np.count_nonzero(labels == 1)) < config.min_blob_px:
        return None
    return labels


def _brightness(rgb: np.ndarray) -> np.ndarray:
    """(N,) r + g + b of (N, 3) colours (a matrix product: numpy's sum along rows of 3 is 10x slower)."""
    return rgb.astype(np.float32) @ np.ones(3, np.float32)


def _chromaticity(rgb: np.ndarray) -> np.ndarray:
    """(N, 2) r and g over r + g + b of (N, 3) colours."""
    return rgb[:, :2].astype(np.float32) / np.maximum(_brightness(rgb), 1.0)[:, None]


def _without_speckle(blob: Blob, selected: np.ndarray, min_piece_px: int) -> np.ndarray:
    """`selected` minus its connected fragments smaller than `min_piece_px` pixels."""
    rows, cols = blob.rows[selected], blob.cols[selected]
    top, left = rows.min(), cols.min()
    canvas = np.zeros((rows.max() - top + 1, cols.max() - left + 1), np.uint8)
    canvas[rows - top, cols - left] = 1
    _, labels, stats, _ = cv2.connectedComponentsWithStats(canvas, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= min_piece_px
    keep = np.zeros(len(blob), dtype=bool)
    keep[np.flatnonzero(selected)] = big[labels[rows - top, cols - left]]
    return keep
