"""Time-parameterize joint waypoints into a reference that respects velocity and acceleration limits."""
from __future__ import annotations

import numpy as np

from griptalk.control.reference import JointReference
from griptalk.robot import ArmLimits

# Waypoints closer than this (rad, every joint) are the same point.
_SAME_POINT_RAD = 1e-9
# A cruise phase shorter than this (s) is dropped: knot times must stay strictly increasing.
_MIN_PHASE_S = 1e-6


def time_parameterize(waypoints, limits: ArmLimits, velocity_scale: float = 0.5,
                      acceleration_scale: float = 0.5) -> JointReference:
    """Straight joint-space segments through the waypoints, stopping at each one.

    Each segment follows a trapezoidal (or, when short, triangular) speed profile along the
    line; the joint that needs longest at its scaled velocity and acceleration limits sets the
    segment's time, so every joint stays within `scale * limit`. The result has knots at every
    phase boundary, and its cubic Hermite interpolation is the exact profile.
    """
    q = np.array(waypoints, dtype=float)
    joints = len(limits.joint_names)
    if q.ndim != 2 or q.shape[0] == 0 or q.shape[1] != joints:
        raise ValueError(f"waypoints must have shape (M >= 1, {joints}), got {q.shape}")
    if not np.all(np.isfinite(q)):
        raise ValueError("waypoints must be finite (no NaN or inf)")
    for scale, name in ((velocity_scale, "velocity_scale"), (acceleration_scale, "acceleration_scale")):
        if not 0.0 < scale <= 1.0:
            raise ValueError(f"{name} must be in (0, 1], got {scale}")
    for index, point in enumerate(q):
        outside = np.flatnonzero((point < limits.lower) | (point > limits.upper))
        if outside.size:
            j = outside[0]
            raise ValueError(
                f"waypoint {index}: {limits.joint_names[j]} = {point[j]:.4f} rad is outside "
                f"[{limits.lower[j]:.4f}, {limits.upper[j]:.4f}]")

    v_max = limits.max_velocity * velocity_scale
    a_max = limits.max_acceleration * acceleration_scale
    times, positions, velocities = [0.0], [q[0]], [np.zeros(joints)]
    for q_next in q[1:]:
        q_start = positions[-1]
        delta = q_next - q_start
        if np.max(np.abs(delta)) <= _SAME_POINT_RAD:
            continue
        for dt, s, s_dot in _path_profile_knots(delta, v_max, a_max):
            times.append(times[-1] + dt)
            positions.append(q_start + delta * s)
            velocities.append(delta * s_dot)
        positions[-1] = q_next  # exact end point, free of rounding
    return JointReference(np.array(times), np.array(positions), np.array(velocities))


def _path_profile_knots(delta: np.ndarray, v_max: np.ndarray, a_max: np.ndarray):
    """(time since previous knot, path parameter s, ds/dt) at the phase ends of a 0 -> 1 trapezoid."""
    moving = np.abs(delta) > 0.0
    s_dot_max = float(np.min(v_max[moving] / np.abs(delta[moving])))
    s_ddot_max = float(np.min(a_max[moving] / np.abs(delta[moving])))
    t_accel = s_dot_max / s_ddot_max
    s_accel = 0.5 * s_dot_max * t_accel
    t_cruise = (1.0 - 2.0 * s_accel) / s_dot_max
    if t_cruise < _MIN_PHASE_S:  # too short to reach cruise speed: triangular profile
        peak = min(float(np.sqrt(s_ddot_max)), s_dot_max)
        return [(1.0 / peak, 0.5, peak), (1.0 / peak, 1.0, 0.0)]
    return [(t_accel, s_accel, s_dot_max), (t_cruise, 1.0 - s_accel, s_dot_max),
            (t_accel, 1.0, 0.0)]
