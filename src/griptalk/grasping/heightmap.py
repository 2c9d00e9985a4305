"""What the grasp predictor sees: the scene camera's depth as a height map around an object, and
per grasp candidate a height patch aligned with the gripper.

The same code builds the input in data generation (from a rendered depth window) and at run time
(from the camera's depth image), so the model sees the same thing in both.

- `object_window`: the pixel rectangle of the camera image that sees the object's neighbourhood;
  only those pixels are back-projected (a window is all the data generator renders).
- `HeightMap`: the highest point seen in each `CELL_M` cell of a square of side `REGION_M` around
  the object, in the base frame (table top z = 0), and which cells saw any point. A slanted camera
  leaves cells unseen behind tall objects; they take their neighbours' height once, and the mask
  channel says they were not seen.
- `grasp_patches`: per candidate, `PATCH_CELLS` x `PATCH_CELLS` cells of the height map sampled on a
  grid centred on the grasp and turned with it (rows along the hand's x axis, columns along the
  closing direction): heights relative to the hand's plane through the TCP (across its approach
  axis: level for a top-down grasp, rising along the hand's x axis as the hand tilts, so that
  what the tilted hand comes down on stands out), which cells were seen, and where the open
  fingers come down; plus the gripper's parameters as features (opening, TCP height, tilt).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from griptalk.camera import CameraModel
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.grasps import FINGER_HALF_LENGTH_M, FINGER_THICKNESS_M, MAX_TILT_RAD, GraspCandidate
from griptalk.types import SceneObject

CELL_M = 0.004
REGION_M = 0.24  # the height map's side: the object plus the fingers' reach around it
PATCH_CELLS = 28  # 11.2 cm: the open fingers (8 cm apart) and their pads fit inside
MIN_HEIGHT_M, MAX_HEIGHT_M = -0.02, 0.40  # points outside are not the table or an object on it
# Patch heights relative to the hand's plane through the TCP, clipped and scaled to about [-1, 2].
RELATIVE_CLIP_M = (-0.05, 0.10)
RELATIVE_SCALE_M = 0.05
FEATURES = ("width", "tcp_height", "tilt")  # gripper parameters beside the patch
FEATURE_SCALE = np.array([GRIPPER_MAX_WIDTH_M, 0.10, MAX_TILT_RAD])  # [m, m, rad]
TILT_FEATURE = FEATURES.index("tilt")
CHANNELS = 3  # relative height, seen, fingers
REMAP_COLUMNS = 1024  # cv2.remap takes at most 32767 rows and columns: points are laid out in rows this long


def object_window(camera: CameraModel, obj: SceneObject, region_m: float = REGION_M) -> tuple[int, int, int, int]:
    """(u0, v0, width, height) of the pixels seeing the region around `obj` up to its top, clipped to the image.

    Raises ValueError when the region lies outside the image.
    """
    half = region_m / 2.0
    x, y = obj.position[:2]
    top = max(obj.top_z, 0.0) + 0.02
    corners = np.array([[x + dx, y + dy, z] for dx in (-half, half) for dy in (-half, half) for z in (0.0, top)])
    in_front = (corners - np.asarray(camera.position)) @ camera.rotation[:, 2]
    if np.any(in_front <= 0.0):
        raise ValueError(f"the region around {obj.id} is behind the camera")
    uv = camera.project(corners)
    u0, v0 = np.floor(uv.min(axis=0)).astype(int)
    u1, v1 = np.ceil(uv.max(axis=0)).astype(int) + 1
    u0, v0 = max(u0, 0), max(v0, 0)
    u1, v1 = min(u1, camera.width), min(v1, camera.height)
    if u1 <= u0 or v1 <= v0:
        raise ValueError(f"the region around {obj.id} is outside the camera image")
    return int(u0), int(v0), int(u1 - u0), int(v1 - v0)


def window_camera(camera: CameraModel, window: tuple[int, int, int, int]) -> CameraModel:
    """The camera that sees exactly `window` (u0, v0, width, height) of `camera`'s image."""
    u0, v0, w, h = window
    return CameraModel(w, h, camera.fx, camera.fy, camera.cx - u0, camera.cy - v0, camera.position,
                       camera.orientation)


@dataclass
class HeightMap:
    heights: np.ndarray  # (n, n) [m], base frame; rows along +x, columns along +y
    seen: np.ndarray  # (n, n) bool
    origin: np.ndarray  # (2,) base-frame x, y of cell (0, 0)'s centre [m]
    cell_m: float = CELL_M

    def __post_init__(self) -> None:
        self.heights = np.asarray(self.heights, dtype=np.float32)
        self.seen = np.asarray(self.seen, dtype=bool)
        self.origin = np.asarray(self.origin, dtype=float).reshape(2)
        if self.heights.ndim != 2 or self.heights.shape != self.seen.shape:
            raise ValueError(f"HeightMap: heights {self.heights.shape} and seen {self.seen.shape} "
                             f"must be one 2-D shape")
        if not self.cell_m > 0.0:
            raise ValueError(f"HeightMap: cell_m must be > 0, got {self.cell_m}")
        self._image = np.dstack([self.heights, self.seen.astype(np.float32)])  # what sample() interpolates

    @classmethod
    def from_depth(cls, depth: np.ndarray, camera: CameraModel, centre_xy, region_m: float = REGION_M,
                   cell_m: float = CELL_M) -> "HeightMap":
        """Height map of the square around `centre_xy` from a metric depth image taken by `camera`.

        Pixels with no return (NaN, 0 or beyond 4 m) are ignored.
        """
        depth = np.asarray(depth, dtype=np.float64)
        if depth.shape != (camera.height, camera.width):
            raise ValueError(f"depth image is {depth.shape}, the camera sees ({camera.height}, {camera.width})")
        n = int(round(region_m / cell_m))
        origin = np.asarray(centre_xy, dtype=float)[:2] - (n - 1) / 2.0 * cell_m
        points = camera.backproject(depth).reshape(-1, 3)
        valid = np.isfinite(depth.reshape(-1)) & (depth.reshape(-1) > 0.0) & (depth.reshape(-1) < 4.0)
        points = points[valid]
        ij = np.round((points[:, :2] - origin) / cell_m).astype(int)
        inside = (np.all((ij >= 0) & (ij < n), axis=1) & (points[:, 2] >= MIN_HEIGHT_M)
                  & (points[:, 2] <= MAX_HEIGHT_M))
        ij, z = ij[inside], points[inside, 2]
        heights = np.full(n * n, -np.inf)
        np.maximum.at(heights, ij[:, 0] * n + ij[:, 1], z)
        heights = heights.reshape(n, n).astype(np.float32)
        seen = np.isfinite(heights)
        # Unseen cells take the highest neighbour once; what stays unseen is taken for the table.
        grown = cv2.dilate(heights, np.ones((3, 3), np.uint8))
        heights = np.where(seen, heights, grown)
        heights[~np.isfinite(heights)] = 0.0
        return cls(heights, seen, origin, cell_m)

    def sample(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Bilinear heights and seen-fractions at base-frame points (..., 2); outside the map: table, unseen."""
        xy = np.asarray(xy, dtype=float)
        cells = ((xy.reshape(-1, 2) - self.origin) / self.cell_m).astype(np.float32)
        rows = max(1, -(-len(cells) // REMAP_COLUMNS))
        grid = np.full((rows * REMAP_COLUMNS, 2), -2.0, np.float32)  # the padding lies outside the map
        grid[:len(cells)] = cells[:, ::-1]
        out = self.sample_cells(grid.reshape(rows, REMAP_COLUMNS, 2)).reshape(-1, 2)[:len(cells)]
        return out[:, 0].reshape(xy.shape[:-1]), out[:, 1].reshape(xy.shape[:-1])

    def sample_cells(self, grid: np.ndarray) -> np.ndarray:
        """(R, C, 2) heights and seen-fractions at (R, C, 2) float32 (column, row) cell coordinates; R, C < 32767."""
        return cv2.remap(self._image, grid, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def _patch_offsets(cells: int, cell_m: float) -> np.ndarray:
    """(cells * cells, 2) hand-frame offsets, row-major over the patch: [0] along the hand's x, [1] along its y."""
    s = (np.arange(cells) - (cells - 1) / 2.0) * cell_m
    return np.stack(np.meshgrid(s, s, indexing="ij"), axis=-1).reshape(-1, 2).astype(np.float32)


_OFFSETS = _patch_offsets(PATCH_CELLS, CELL_M)
MAX_CANDIDATES = 32766  # one cv2.remap row per candidate


def grasp_patches(height_map: HeightMap, candidates: Sequence[GraspCandidate]) -> tuple[np.ndarray, np.ndarray]:
    """Patches (N, CHANNELS, PATCH_CELLS, PATCH_CELLS) float32 and features (N, len(FEATURES)) float32."""
    n = len(candidates)
    if n > MAX_CANDIDATES:
        raise ValueError(f"grasp_patches: at most {MAX_CANDIDATES} candidates at once, got {n}")
    patches = np.zeros((n, CHANNELS, PATCH_CELLS, PATCH_CELLS), np.float32)
    if n == 0:
        return patches, np.zeros((0, len(FEATURES)), np.float32)
    params = np.array([[*c.position, c.yaw, c.width_m, c.tilt] for c in candidates], dtype=np.float32)
    centre, yaw, width, tilt = params[:, :3], params[:, 3:4], params[:, 4:5], params[:, 5]
    cos, sin = np.cos(yaw), np.sin(yaw)
    u, v = _OFFSETS[:, 0], _OFFSETS[:, 1]
    # The hand's x axis is (cos, sin) and its y axis (sin, -cos) (see grasps.grasp_orientation); one row of
    # cell coordinates (column = base y, row = base x) per candidate.
    cell_m = np.float32(height_map.cell_m)
    grid = np.empty((n, PATCH_CELLS * PATCH_CELLS, 2), np.float32)
    grid[..., 0] = (centre[:, 1:2] - np.float32(height_map.origin[1]) + u * sin - v * cos) / cell_m
    grid[..., 1] = (centre[:, 0:1] - np.float32(height_map.origin[0]) + u * cos + v * sin) / cell_m
    sampled = height_map.sample_cells(grid).reshape(n, PATCH_CELLS, PATCH_CELLS, 2)
    relative = patches[:, 0]
    np.subtract(sampled[..., 0], centre[:, 2, None, None], out=relative)
    relative -= np.tan(tilt)[:, None, None] * u.reshape(PATCH_CELLS, PATCH_CELLS)  # the tilted plane's rise
    np.clip(relative, *RELATIVE_CLIP_M, out=relative)
    relative /= RELATIVE_SCALE_M
    patches[:, 1] = sampled[..., 1]
    across = np.abs(v).reshape(PATCH_CELLS, PATCH_CELLS)
    along = np.abs(u).reshape(PATCH_CELLS, PATCH_CELLS) <= FINGER_HALF_LENGTH_M
    half = width[:, :, None] / 2.0
    patches[:, 2] = along & (across >= half) & (across <= half + FINGER_THICKNESS_M)
    features = np.stack([width[:, 0], centre[:, 2], tilt], axis=1) / FEATURE_SCALE.astype(np.float32)
    return patches, features
