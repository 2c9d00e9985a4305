"""Name an object's colour from its pixels: robust median of its lit pixels in CIE Lab.

Shading darkens the faces turned away from the light, so only the brighter part of the object's
pixels (its lit, usually top, faces) is measured; the median ignores highlights and edges. The
name is the nearest reference colour, with lightness weighted down because it varies most with
light.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# Each colour's paint, sRGB in [0, 1] (the simulated object set's palette); a lit face shows about this.
DEFAULT_REFERENCE_RGB = {
    "red": (0.85, 0.10, 0.10),
    "green": (0.10, 0.65, 0.15),
    "blue": (0.10, 0.25, 0.85),
    "yellow": (0.95, 0.85, 0.10),
    "orange": (1.00, 0.50, 0.00),
    "purple": (0.50, 0.15, 0.65),
    "pink": (1.00, 0.45, 0.70),
    "white": (0.95, 0.95, 0.95),
    "brown": (0.45, 0.27, 0.10),
    "gray": (0.50, 0.50, 0.50),
    "cyan": (0.00, 0.80, 0.85),
}


@dataclass(frozen=True)
class ColorConfig:
    reference_rgb: dict = field(default_factory=lambda: dict(DEFAULT_REFERENCE_RGB))
    lit_fraction: float = 0.5  # share of an object's pixels, brightest first, that are measured
    lightness_weight: float = 0.5  # weight of L* against a*, b* in the distance

    def __post_init__(self) -> None:
        if not self.reference_rgb:
            raise ValueError("reference_rgb needs at least one colour")
        for name, rgb in self.reference_rgb.items():
            if len(rgb) != 3 or not all(0.0 <= c <= 1.0 for c in rgb):
                raise ValueError(f"reference_rgb[{name!r}] must be three values in [0, 1], got {rgb}")
        if not 0.0 < self.lit_fraction <= 1.0:
            raise ValueError(f"lit_fraction must be in (0, 1], got {self.lit_fraction}")
        if not 0.0 <= self.lightness_weight <= 1.0:
            raise ValueError(f"lightness_weight must be in [0, 1], got {self.lightness_weight}")


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) sRGB (uint8, or float in [0, 1]) to (N, 3) CIE Lab: L* in [0, 100], a*, b* signed."""
    rgb = np.asarray(rgb)
    scaled = rgb.astype(np.float32) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float32)
    return cv2.cvtColor(scaled.reshape(-1, 1, 3), cv2.COLOR_RGB2Lab).reshape(-1, 3)


class ColorNamer:
    """Names colours against a fixed table of references (built once)."""

    def __init__(self, config: ColorConfig) -> None:
        self._config = config
        self._names = tuple(config.reference_rgb)
        self._weights = np.array([config.lightness_weight, 1.0, 1.0], dtype=np.float32)
        self._references = rgb_to_lab(np.array([config.reference_rgb[n] for n in self._names])) * self._weights

    def name(self, rgb: np.ndarray) -> tuple[str, float]:
        """(colour name, confidence in [0, 1]) of an object's (N, 3) uint8 pixels.

        The confidence is 1 - d1/d2 with d1, d2 the distances to the nearest and second-nearest
        references: 0 when two names fit equally well.
        """
        if len(rgb) == 0:
            raise ValueError("cannot name the colour of zero pixels")
        n_lit = max(1, int(round(len(rgb) * self._config.lit_fraction)))
        lit = rgb[np.argpartition(-rgb.max(axis=1).astype(np.int16), n_lit - 1)[:n_lit]]
        lab = np.median(rgb_to_lab(lit), axis=0) * self._weights
        distances = np.linalg.norm(self._references - lab, axis=1)
        order = np.argsort(distances)
        if len(order) == 1:
            return self._names[order[0]], 1.0
        nearest, second = distances[order[0]], distances[order[1]]
        return self._names[order[0]], float(1.0 - nearest / max(second, 1e-6))
