"""Joint-command interpolation, as a real arm's driver does between controller cycles.

Position commands arrive every controller period (10 ms at 100 Hz); the physics steps at 240 Hz.
Jumping to each new target at once makes the simulated motors jerk and the wrist's force sensor
spike, so each command is reached by a linear ramp over the nominal command period. The period is
fixed, not measured: commands that arrive in a burst (late delivery) must not become a jump.
"""
from __future__ import annotations

import numpy as np


class CommandInterpolator:
    def __init__(self, q_initial, period_s: float) -> None:
        if not period_s > 0.0:
            raise ValueError(f"period_s must be > 0, got {period_s}")
        self.period_s = period_s
        self.start = self.goal = np.asarray(q_initial, dtype=float).copy()
        self.t_start: float | None = None

    def command(self, t: float, q) -> None:
        """A new target arrived at simulated time t: ramp to it from where the ramp is now."""
        self.start = self.target(t)
        self.t_start = t
        self.goal = np.asarray(q, dtype=float).copy()

    def target(self, t: float) -> np.ndarray:
        """The position target for the physics step at simulated time t."""
        if self.t_start is None:
            return self.goal.copy()
        alpha = min(1.0, max(0.0, (t - self.t_start) / self.period_s))
        return self.start + alpha * (self.goal - self.start)
