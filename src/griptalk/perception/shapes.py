"""Classify an object blob by its geometry: footprint, height, hollowness and roundness.

Each class has a prototype (nominal dimensions and shape measures with tolerances). A blob's
measurements are scored against every prototype with a Gaussian likelihood; the best class wins,
and its confidence is its share of the total likelihood, an "none of these" outlier included,
so a blob that fits nothing (an arm link, clutter) gets a low confidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from griptalk.perception.pose import BoxFit


@dataclass(frozen=True)
class ShapePrototype:
    object_class: str
    long_m: float  # footprint's long side
    short_m: float  # footprint's short side
    height_m: float
    hollowness: float  # 0: solid top; 1: the inside is visible down to the table
    footprint_fill: float  # convex hull area / footprint rectangle: 1 boxes, pi/4 discs
    yaw_symmetry: int  # rotational symmetry order about z: 4 cube, 2 box, 1 none, 0 round
    has_color: bool = True  # False: its colour is not part of its name (a textured duck)

    def __post_init__(self) -> None:
        if not self.object_class:
            raise ValueError("a shape prototype needs an object_class")
        if not 0.0 < self.short_m <= self.long_m or self.height_m <= 0.0:
            raise ValueError(f"prototype {self.object_class!r}: need 0 < short_m <= long_m and height_m > 0")
        if not 0.0 <= self.hollowness <= 1.0 or not 0.0 < self.footprint_fill <= 1.0:
            raise ValueError(f"prototype {self.object_class!r}: hollowness in [0, 1], footprint_fill in (0, 1]")
        if self.yaw_symmetry < 0:
            raise ValueError(f"prototype {self.object_class!r}: yaw_symmetry must be >= 0")


DEFAULT_PROTOTYPES = (
    ShapePrototype("cube", 0.045, 0.045, 0.045, 0.0, 1.0, 4),
    ShapePrototype("lego", 0.032, 0.016, 0.022, 0.0, 1.0, 2),
    ShapePrototype("bowl", 0.15, 0.15, 0.055, 0.6, 0.785, 0),
    ShapePrototype("box", 0.16, 0.12, 0.06, 0.6, 1.0, 2),
    ShapePrototype("mug", 0.11, 0.08, 0.09, 0.5, 0.85, 1),
    ShapePrototype("duck", 0.10, 0.07, 0.08, 0.2, 0.8, 1, has_color=False),
    ShapePrototype("drawer", 0.30, 0.25, 0.20, 0.0, 1.0, 1, has_color=False),
)


@dataclass(frozen=True)
class ShapeConfig:
    prototypes: tuple[ShapePrototype, ...] = DEFAULT_PROTOTYPES
    size_tolerance: float = 0.2  # relative (log-ratio) standard deviation of dimensions
    hollowness_tolerance: float = 0.2
    fill_tolerance: float = 0.08
    outlier_chi2: float = 16.0  # squared distance at which "none of these" is as likely as a class
    inner_fraction: float = 0.5  # central part of the footprint that hollowness looks at

    def __post_init__(self) -> None:
        if not self.prototypes:
            raise ValueError("ShapeConfig needs at least one prototype")
        names = [p.object_class for p in self.prototypes]
        if len(set(names)) != len(names):
            raise ValueError(f"prototype classes must be unique, got {names}")
        for name in ("size_tolerance", "hollowness_tolerance", "fill_tolerance", "outlier_chi2"):
            if getattr(self, name) <= 0.0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0.0 < self.inner_fraction < 1.0:
            raise ValueError(f"inner_fraction must be in (0, 1), got {self.inner_fraction}")

    def prototype(self, object_class: str) -> ShapePrototype:
        for p in self.prototypes:
            if p.object_class == object_class:
                return p
        raise ValueError(f"no shape prototype for {object_class!r}")


def hollowness(points: np.ndarray, box: BoxFit, inner_fraction: float) -> float:
    """How far the middle of the footprint lies below the top, as a share of the height.

    A bowl or an open box shows its floor (or inner walls) in the middle: close to 1. A cube's
    middle is its top face: 0. With no point in the middle (hidden), 0.
    """
    if box.size[2] <= 0.0:
        return 0.0
    local = box.to_local_xy(points[:, :2])
    half = box.size[:2] / 2.0 * inner_fraction
    inner = (np.abs(local[:, 0]) <= half[0]) & (np.abs(local[:, 1]) <= half[1])
    if not inner.any():
        return 0.0
    depth_below_top = box.top_z - float(np.median(points[inner, 2]))
    return float(np.clip(depth_below_top / box.size[2], 0.0, 1.0))


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
        (np.log(long_m / p.long_m) / config.size_tolerance) ** 2
        + (np.log(short_m / p.short_m) / config.size_tolerance) ** 2
        + (np.log(height_m / p.height_m) / config.size_tolerance) ** 2
        + ((hollow - p.hollowness) / config.hollowness_tolerance) ** 2
        + ((fill - p.footprint_fill) / config.fill_tolerance) ** 2
        for p in config.prototypes])
    likelihood = np.exp(-0.5 * (chi2 - chi2.min()))  # shifted for numerical range
    outlier = np.exp(-0.5 * (config.outlier_chi2 - chi2.min()))
    best = int(np.argmin(chi2))
    return config.prototypes[best], float(likelihood[best] / (likelihood.sum() + outlier))
