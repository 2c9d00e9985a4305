"""Joint-command interpolation, as a real arm's driver does between controller cycles.

Position commands arrive every controller period (about 10 ms); the physics steps at 240 Hz.
Jumping to each new target at once makes the simulated motors jerk and the wrist's
force sensor spike, so each command is reached by a linear ramp over the observed command
period.
"""
from __future__ import annotations

import numpy as np


class CommandInterpolator:
    def __init__(self, q_initial, min_period_s: float = 1.0 / 1000.0, max_period_s: float = 0.05) -> None:
        if not 0.0 < min_period_s <= max_period_s:
            raise ValueError("need 0 < min_period_s <= max_period_s")
        self.min_period_s, self.max_period_s = min_period_s, max_period_s
        self.start = self.goal = np.asarray(q_initial, dtype=float).copy()
        self.t_start = self.t_last_command = None
        self.period = max_period_s

    def command(self, t: float, q) -> None:
        """A new target arrived at simulated time t: ramp to it from where the ramp is now."""
        q = np.asarray(q, dtype=float)
        self.start = self.target(t)
        if self.t_last_command is not None:
            self.period = float(np.clip(t - self.t_last_command, self.min_period_s, self.max_period_s))
        self.t_start = self.t_last_command = t
        self.goal = q.copy()

    def target(self, t: float) -> np.ndarray:
        """The position target for the physics step at simulated time t."""
        if self.t_start is None:
            return self.goal.copy()
        alpha = min(1.0, max(0.0, (t - self.t_start) / self.period))
        return self.start + alpha * (self.goal - self.start)
