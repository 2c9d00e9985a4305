"""A joint-space reference trajectory: knots in time, sampled by interpolation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _frozen_array(values, name: str, ndim: int) -> np.ndarray:
    array = np.array(values, dtype=float)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class JointReference:
    """Joint positions at knot times (from 0 s), optionally with joint velocities.

    With velocities, sample() interpolates cubic Hermite segments (exact position and velocity
    at every knot; a time-parameterized trapezoid is reproduced exactly). Without them it
    interpolates linearly. Before 0 s and from the last knot on, it rests (zero velocity) at
    its end points.
    """

    times_s: np.ndarray  # (N,) seconds, strictly increasing from 0
    positions: np.ndarray  # (N, J) rad
    velocities: np.ndarray | None = None  # (N, J) rad/s

    def __post_init__(self):
        times = _frozen_array(self.times_s, "times_s", 1)
        positions = _frozen_array(self.positions, "positions", 2)
        if times.size == 0:
            raise ValueError("a reference needs at least one knot")
        if times[0] != 0.0:
            raise ValueError(f"times_s must start at 0, got {times[0]}")
        if np.any(np.diff(times) <= 0.0):
            raise ValueError("times_s must be strictly increasing")
        if positions.shape[0] != times.size or positions.shape[1] == 0:
            raise ValueError(
                f"positions must have shape ({times.size}, joints), got {positions.shape}")
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "positions", positions)
        if self.velocities is not None:
            velocities = _frozen_array(self.velocities, "velocities", 2)
            if velocities.shape != positions.shape:
                raise ValueError(
                    f"velocities must have the shape of positions {positions.shape}, "
                    f"got {velocities.shape}")
            object.__setattr__(self, "velocities", velocities)

    @property
    def duration(self) -> float:
        return float(self.times_s[-1])

    @property
    def num_joints(self) -> int:
        return int(self.positions.shape[1])

    @property
    def start(self) -> np.ndarray:
        return self.positions[0].copy()

    @property
    def goal(self) -> np.ndarray:
        return self.positions[-1].copy()

    def sample(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Position and velocity at time t (s) since the start of the reference."""
        if t < 0.0:
            return self.start, np.zeros(self.num_joints)
        if t >= self.duration:
            return self.goal, np.zeros(self.num_joints)
        i = int(np.searchsorted(self.times_s, t, side="right")) - 1
        t0, t1 = self.times_s[i], self.times_s[i + 1]
        h = t1 - t0
        s = (t - t0) / h
        p0, p1 = self.positions[i], self.positions[i + 1]
        if self.velocities is None:
            return p0 + s * (p1 - p0), (p1 - p0) / h
        m0, m1 = self.velocities[i] * h, self.velocities[i + 1] * h
        s2, s3 = s * s, s * s * s
        q = ((2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0
             + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * m1)
        dq = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * m0
              + (-6 * s2 + 6 * s) * p1 + (3 * s2 - 2 * s) * m1) / h
        return q, dq

