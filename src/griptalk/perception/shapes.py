"""Classify an object blob by its geometry: footprint, height, hollowness and roundness.

Each class has a prototype (nominal dimensions and shape measures with tolerances). A blob's
measurements are scored against every prototype with a Gaussian likelihood; the best class wins,
and its confidence is its share of the total likelihood, a "none of these" outlier included,
so a blob that fits nothing (an arm link, clutter) gets a low confidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.perception.pose import BoxFit, inner_mask


@dataclass(frozen=True)
class ShapePrototype:
    object_class: str
    long_m: float  # footprint's long side
    short_m: float  # footprint's short side
    height_m: float
    hollowness: float  # 0: solid top; 1: the inside is visible down to the table
    footprint_fill: float  # convex hull area / footprint rectangle: 1 boxes, pi/4 discs
    yaw_symmetry: int  # rotational symmetry order about z: 4 cube, 2 box, 1 none, 0 round
    size_tolerance: float = 0.1  # relative (log-ratio) standard deviation of its dimensions
    has_color: bool = True  # False: its colour is not part of its name (a textured duck)
    faces_robot: bool = False  # its front (+x) is taken to face the robot (a drawer)

    def __post_init__(self) -> None:
        if not self.object_class:
            raise ValueError("a shape prototype needs an object_class")
        if not 0.0 < self.short_m <= self.long_m or self.height_m <= 0.0:
            raise ValueError(f"prototype {self.object_class!r}: need 0 < short_m <= long_m and height_m > 0")
        if not 0.0 <= self.hollowness <= 1.0 or not 0.0 < self.footprint_fill <= 1.0:
            raise ValueError(f"prototype {self.object_class!r}: hollowness in [0, 1], footprint_fill in (0, 1]")
        if self.yaw_symmetry < 0 or self.size_tolerance <= 0.0:
            raise ValueError(f"prototype {self.object_class!r}: need yaw_symmetry >= 0 and size_tolerance > 0")


# The simulated object set (sim/griptalk_sim/scene.py) as this camera measures it: footprints of
# the visible outline, so a duck or a mug is a little smaller than its mesh's bounding box.
DEFAULT_PROTOTYPES = (
    ShapePrototype("cube", 0.045, 0.045, 0.045, 0.0, 0.99, 4, size_tolerance=0.08),
    ShapePrototype("lego", 0.056, 0.055, 0.040, 0.16, 0.99, 4, size_tolerance=0.08, has_color=False),
    ShapePrototype("bowl", 0.16, 0.16, 0.051, 0.8, 0.79, 0),
    ShapePrototype("box", 0.22, 0.16, 0.08, 0.92, 1.0, 2),
    # A mug's handle, hidden or not, makes its footprint 6 to 8.6 cm long.
    ShapePrototype("mug", 0.072, 0.060, 0.076, 0.27, 0.72, 1, size_tolerance=0.15, has_color=False),
    ShapePrototype("duck", 0.067, 0.043, 0.066, 0.13, 0.79, 1, size_tolerance=0.12, has_color=False),
    # Its open drawer lengthens the footprint by up to 0.2 m: a loose size tolerance.
    ShapePrototype("drawer", 0.30, 0.28, 0.12, 0.0, 1.0, 1, size_tolerance=0.25, has_color=False, faces_robot=True),
)


@dataclass(frozen=True)
class ShapeConfig:
    prototypes: tuple[ShapePrototype, ...] = DEFAULT_PROTOTYPES
    hollowness_tolerance: float = 0.2
    fill_tolerance: float = 0.15  # loose: occlusion cuts footprints
    outlier_chi2: float = 16.0  # squared distance at which "none of these" is as likely as a class
    inner_fraction: float = 0.5  # central part of the footprint that hollowness looks at
    hollow_threshold: float = 0.5  # hollowness from which a blob is a container that others stand in

    def __post_init__(self) -> None:
        if not self.prototypes:
            raise ValueError("ShapeConfig needs at least one prototype")
        names = [p.object_class for p in self.prototypes]
        if len(set(names)) != len(names):
            raise ValueError(f"prototype classes must be unique, got {names}")
        for name in ("hollowness_tolerance", "fill_tolerance", "outlier_chi2"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0.0 < self.inner_fraction < 1.0:
            raise ValueError(f"inner_fraction must be in (0, 1), got {self.inner_fraction}")
        if not 0.0 < self.hollow_threshold < 1.0:
            raise ValueError(f"hollow_threshold must be in (0, 1), got {self.hollow_threshold}")



def hollowness(points: np.ndarray, box: BoxFit, inner_fraction: float) -> float:
    """How far the middle of the footprint lies below the top, as a share of the height.

    A bowl or an open box shows its floor (or inner walls) in the middle: close to 1. A cube's
    middle is its top face: 0. With no point in the middle (hidden), 0.
    """
    inner = inner_mask(points, box, inner_fraction)
    if box.size[2] <= 0.0 or not inner.any():
        return 0.0
    depth_below_top = box.top_z - float(np.median(points[inner, 2]))
    return float(np.clip(depth_below_top / box.size[2], 0.0, 1.0))


def floor_height(points: np.ndarray, box: BoxFit, inner_fraction: float) -> float:
    """Height of the lowest surface seen over the middle of the footprint: a container's floor."""
    inner = inner_mask(points, box, inner_fraction)
    return float(np.quantile(points[inner, 2], 0.05)) if inner.any() else box.top_z


def shape_features(points: np.ndarray, box: BoxFit, config: ShapeConfig) -> np.ndarray:
    """(long_m, short_m, height_m, hollowness, footprint_fill) of a blob."""
    return np.array([box.size[0], box.size[1], box.size[2],
                     hollowness(points, box, config.inner_fraction), box.footprint_fill])


def classify_shape(features: np.ndarray, config: ShapeConfig) -> tuple[ShapePrototype, float]:
    """(best-fitting prototype, confidence in [0, 1]) for a blob's `shape_features`."""
    long_m, short_m, height_m, hollow, fill = (float(v) for v in features)
    if min(long_m, short_m, height_m) <= 0.0:
        return config.prototypes[0], 0.0
    chi2 = np.array([
        (np.log(long_m / p.long_m) / p.size_tolerance) ** 2
        + (np.log(short_m / p.short_m) / p.size_tolerance) ** 2
        + (np.log(height_m / p.height_m) / p.size_tolerance) ** 2
        + ((hollow - p.hollowness) / config.hollowness_tolerance) ** 2
        + ((fill - p.footprint_fill) / config.fill_tolerance) ** 2
        for p in config.prototypes])
    likelihood = np.exp(-0.5 * (chi2 - chi2.min()))  # shifted for numerical range
    outlier = np.exp(-0.5 * (config.outlier_chi2 - chi2.min()))
    best = int(np.argmin(chi2))
    return config.prototypes[best], float(likelihood[best] / (likelihood.sum() + outlier))
