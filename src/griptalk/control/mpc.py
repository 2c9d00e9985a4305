"""Joint-space model-predictive control: one sparse QP per cycle, solved by OSQP.

Model: each joint is a double integrator discretized at the command period dt with semi-implicit
Euler (v[k+1] = v[k] + dt*a[k], q[k+1] = q[k] + dt*v[k+1]), so the finite differences of the
command stream are exactly the model's velocities and accelerations. The state starts from the
previous command, not the measurement: the arm is position-controlled, and starting from the last
command is what keeps the command stream inside the limits from one cycle to the next.

Hard constraints on every predicted step: joint positions inside the limits less a margin, speed
under the velocity limit, acceleration under the acceleration limit, and a linear braking bound
(q + v*vmax/amax inside the limits) that keeps a stop before the limit reachable beyond the
horizon; a state that satisfies it can always brake and still satisfy it, so the next QP is
feasible too. The QP is condensed: its variables are the accelerations, per joint, as shares of
the joint's acceleration limit; positions and velocities are linear in them and counted from
coasting (the state rolled out at constant velocity). Scaled so, OSQP converges in tens of
iterations even when limits bind (the uncondensed form with state variables needed hundreds to
thousands). The matrices are built once; each cycle only updates the reference (linear cost) and
the bounds, and OSQP warm-starts from the previous solution.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import osqp
from scipy import sparse

from griptalk.robot import PANDA_LIMITS, ArmLimits

_ACCEPTED = {osqp.SolverStatus.OSQP_SOLVED, osqp.SolverStatus.OSQP_SOLVED_INACCURATE}


@dataclass(frozen=True)
class MpcConfig:
    horizon: int = 15  # predicted steps, one command period each
    joint_margin_rad: float = 0.025  # stay this far inside the joint limits [rad]
    # Costs are squared errors divided by these scales: an error of one scale costs 1. The reference
    # is consistent with the model, so these only weigh how a reference that cannot be followed
    # (a jump, a far hold target) is caught up with; they also set how fast OSQP converges.
    position_scale_rad: float = 0.02
    velocity_scale_rad_s: float = 0.3
    acceleration_scale_rad_s2: float = 200.0
    max_iterations: int = 500  # bounds the solve time; hitting it counts as a failed solve
    tolerance: float = 1e-4  # OSQP's absolute and relative tolerance

    def __post_init__(self):
        if not (isinstance(self.horizon, int) and 10 <= self.horizon <= 200):
            raise ValueError(f"horizon must be an integer in [10, 200], got {self.horizon}")
        if not (isinstance(self.max_iterations, int) and self.max_iterations >= 10):
            raise ValueError(f"max_iterations must be an integer >= 10, got {self.max_iterations}")
        for name in ("position_scale_rad", "velocity_scale_rad_s", "acceleration_scale_rad_s2",
                     "tolerance"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} must be positive, got {value}")
        if not (np.isfinite(self.joint_margin_rad) and 0.0 <= self.joint_margin_rad <= 0.2):
            raise ValueError(f"joint_margin_rad must be in [0, 0.2], got {self.joint_margin_rad}")


@dataclass(frozen=True)
class MpcSolution:
    ok: bool  # the solver reached an accepted status
    status: str  # OSQP's status, e.g. "solved", "primal infeasible"
    positions: np.ndarray | None  # (N, J) predicted joint positions at steps 1..N [rad], None if not ok
    velocities: np.ndarray | None  # (N, J) [rad/s]
    solve_s: float  # wall time of the solve call [s]
    iterations: int


class JointMpc:
    """The QP for one arm; `solve` is called once per command period."""

    def __init__(self, config: MpcConfig, period_s: float, limits: ArmLimits = PANDA_LIMITS):
        if not (np.isfinite(period_s) and 0.0 < period_s <= 0.1):
            raise ValueError(f"period_s must be in (0, 0.1] s, got {period_s}")
        self.config, self.period_s = config, float(period_s)
        self.joints = len(limits.joint_names)
        margin = config.joint_margin_rad
        if np.any(limits.upper - limits.lower <= 2.0 * margin):
            raise ValueError(f"joint_margin_rad {margin} leaves no room inside the joint limits")
        self.lower, self.upper = limits.lower + margin, limits.upper - margin
        self.max_velocity, self.max_acceleration = limits.max_velocity, limits.max_acceleration
        self.braking_s = self.max_velocity / self.max_acceleration  # c in q + c*v inside the limits
        self._build()

    # ---- construction -----------------------------------------------------------------------

    def _build(self) -> None:
        n, dt, cfg = self.config.horizon, self.period_s, self.config
        # Condensed: the variables are the accelerations, per joint, as shares of its limit (in
        # [-1, 1]); velocities and positions are linear in them. Joint-major order, so every
        # matrix is block-diagonal, one block per joint.
        steps = np.tril(np.ones((n, n)))  # sums of the steps so far
        self._sv = dt * self.max_acceleration[:, None, None] * steps  # (J, N, N): u -> v
        self._sq = dt * steps @ self._sv  # (J, N, N): u -> q
        self._ramp = dt * np.arange(1, n + 1)  # coasting: q0 + ramp * v0
        self._wq = np.full(n, cfg.position_scale_rad ** -2)
        self._wv = np.full(n, cfg.velocity_scale_rad_s ** -2)
        blocks, hessians = [], []
        for joint in range(self.joints):
            sv, sq = self._sv[joint], self._sq[joint]
            blocks.append(np.vstack([np.eye(n), sv, sq, sq + self.braking_s[joint] * sv]))
            input_weight = (self.max_acceleration[joint] / cfg.acceleration_scale_rad_s2) ** 2
            hessians.append(sq.T @ (self._wq[:, None] * sq) + sv.T @ (self._wv[:, None] * sv)
                            + input_weight * np.eye(n))
        a = sparse.block_diag(blocks, format="csc")
        p = sparse.triu(sparse.block_diag(hessians), format="csc")
        self._lower = np.zeros(a.shape[0])
        self._upper = np.zeros(a.shape[0])
        self._q = np.zeros(p.shape[0])
        self._solver = osqp.OSQP()
        self._solver.setup(P=p, q=self._q, A=a, l=self._lower, u=self._upper, eps_abs=cfg.tolerance,
                           eps_rel=cfg.tolerance, max_iter=cfg.max_iterations, warm_starting=True,
                           polishing=False, verbose=False)

    # ---- per cycle ------------------------------------------------------------------------------

    def solve(self, q0, v0, ref_positions, ref_velocities) -> MpcSolution:
        """Plan from the state (q0, v0) to follow the reference at steps 1..N ((N, J) arrays)."""
        n, j = self.config.horizon, self.joints
        r_q, r_v = np.asarray(ref_positions, float), np.asarray(ref_velocities, float)
        if r_q.shape != (n, j) or r_v.shape != (n, j):
            raise ValueError(f"references must have shape ({n}, {j}), got {r_q.shape} and {r_v.shape}")
        q0, v0 = np.asarray(q0, float), np.asarray(v0, float)
        if q0.shape != (j,) or v0.shape != (j,) or not (np.all(np.isfinite(q0)) and np.all(np.isfinite(v0))):
            raise ValueError(f"the initial state must be {j} finite positions and {j} finite velocities")
        if not (np.all(np.isfinite(r_q)) and np.all(np.isfinite(r_v))):
            raise ValueError("the reference must be finite")
        # Unreachable reference points are pulled inside the limits: they would only skew the cost.
        r_q = np.clip(r_q, self.lower, self.upper).T  # (J, N) from here on
        r_v = np.clip(r_v, -self.max_velocity, self.max_velocity).T
        coast_v = np.repeat(v0[:, None], n, axis=1)
        coast_q = q0[:, None] + v0[:, None] * self._ramp
        coast_brake = coast_q + self.braking_s[:, None] * coast_v
        ones = np.ones((j, n))
        self._lower[:] = np.hstack([-ones, -self.max_velocity[:, None] - coast_v,
                                    self.lower[:, None] - coast_q, self.lower[:, None] - coast_brake]).ravel()
        self._upper[:] = np.hstack([ones, self.max_velocity[:, None] - coast_v,
                                    self.upper[:, None] - coast_q, self.upper[:, None] - coast_brake]).ravel()
        self._q[:] = (np.einsum("jkn,jk->jn", self._sq, self._wq * (coast_q - r_q))
                      + np.einsum("jkn,jk->jn", self._sv, self._wv * (coast_v - r_v))).ravel()
        began = time.perf_counter()
        self._solver.update(q=self._q, l=self._lower, u=self._upper)
        result = self._solver.solve(raise_error=False)
        solve_s = time.perf_counter() - began
        status = osqp.SolverStatus(result.info.status_val)
        text = status.name.removeprefix("OSQP_").replace("_", " ").lower()
        if status not in _ACCEPTED or result.x is None or not np.all(np.isfinite(result.x)):
            return MpcSolution(False, text, None, None, solve_s, int(result.info.iter))
        u = result.x.reshape(j, n)
        positions = coast_q + np.einsum("jkn,jn->jk", self._sq, u)
        velocities = coast_v + np.einsum("jkn,jn->jk", self._sv, u)
        return MpcSolution(True, text, positions.T.copy(), velocities.T.copy(), solve_s,
                           int(result.info.iter))

    # ---- the exact limits ------------------------------------------------------------------------

    def admissible_velocity(self, q0, v0) -> tuple[np.ndarray, np.ndarray]:
        """Per joint, the range of next-step velocities that keeps every limit exactly.

        The solver meets its constraints only to its tolerance; the command is projected onto this
        box, so the stream keeps the limits to rounding. From a state that satisfies the braking
        bound, braking at the acceleration limit is always inside the box.
        """
        dt, a_step = self.period_s, self.max_acceleration * self.period_s
        low = np.maximum.reduce([v0 - a_step, -self.max_velocity,
                                 (self.lower - q0) / (dt + self.braking_s)])
        high = np.minimum.reduce([v0 + a_step, self.max_velocity,
                                  (self.upper - q0) / (dt + self.braking_s)])
        # Rounding at a bound can cross the two; braking (towards zero speed) is then the answer.
        braking = np.clip(0.0, v0 - a_step, v0 + a_step)
        crossed = low > high
        return np.where(crossed, braking, low), np.where(crossed, braking, high)

    def braking_velocity(self, v0) -> np.ndarray:
        """The next-step velocity that slows every joint to rest as fast as allowed."""
        a_step = self.max_acceleration * self.period_s
        return np.clip(0.0, v0 - a_step, v0 + a_step)
