"""The MPC core: the QP keeps the hard limits, follows what it can, and a failed solve never moves unsafely."""
import numpy as np
import pytest

from griptalk.control import JointReference, TrackerConfig, TrajectoryTracker, time_parameterize
from griptalk.control.mpc import JointMpc, MpcConfig, MpcSolution
from griptalk.robot import PANDA_HOME, PANDA_LIMITS

LIMITS = PANDA_LIMITS
DT = 0.01
HORIZON = MpcConfig().horizon
# The solver meets its constraints to its tolerance, not exactly (the tracker projects the step).
SOLVER_SLACK = 1e-3


def simulate(tracker, q0, steps, t0=0.0):
    q, outputs = np.array(q0, dtype=float), []
    for k in range(steps):
        out = tracker.step(t0 + k * DT, q)
        outputs.append(out)
        q = out.command_q
    return np.vstack([q0] + [o.command_q for o in outputs]), outputs


def assert_within_limits(commands, lower=LIMITS.lower, upper=LIMITS.upper):
    velocity = np.diff(commands, axis=0) / DT
    acceleration = np.diff(velocity, axis=0) / DT
    assert np.all(commands >= lower) and np.all(commands <= upper)
    assert np.all(np.abs(velocity) <= LIMITS.max_velocity * (1 + 1e-9))
    assert np.all(np.abs(acceleration) <= LIMITS.max_acceleration * (1 + 1e-9))


@pytest.mark.parametrize("kwargs, message", [
    ({"horizon": 5}, "horizon"),
    ({"horizon": 12.5}, "horizon"),
    ({"joint_margin_rad": -0.01}, "joint_margin_rad"),
    ({"position_scale_rad": 0.0}, "position_scale_rad"),
    ({"tolerance": float("nan")}, "tolerance"),
    ({"max_iterations": 3}, "max_iterations"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MpcConfig(**kwargs)


def test_bad_period_and_inputs_are_refused():
    with pytest.raises(ValueError, match="period_s"):
        JointMpc(MpcConfig(), 0.0)
    mpc = JointMpc(MpcConfig(), DT)
    reference = np.tile(PANDA_HOME, (HORIZON, 1))
    with pytest.raises(ValueError, match="shape"):
        mpc.solve(PANDA_HOME, np.zeros(7), reference[:-1], np.zeros_like(reference))
    with pytest.raises(ValueError, match="initial state"):
        mpc.solve(PANDA_HOME * np.nan, np.zeros(7), reference, np.zeros_like(reference))
    with pytest.raises(ValueError, match="finite"):
        mpc.solve(PANDA_HOME, np.zeros(7), reference + np.inf, np.zeros_like(reference))


def test_plan_toward_a_far_target_keeps_every_constraint_over_the_horizon():
    mpc = JointMpc(MpcConfig(), DT)
    target = np.clip(PANDA_HOME + 1.0, mpc.lower, mpc.upper)
    v0 = -0.5 * LIMITS.max_velocity  # moving away from it
    solution = mpc.solve(PANDA_HOME, v0, np.tile(target, (HORIZON, 1)), np.zeros((HORIZON, 7)))
    assert solution.ok and solution.status.startswith("solved") and solution.iterations > 0
    q = np.vstack([PANDA_HOME, solution.positions])
    v = np.vstack([v0, solution.velocities])
    np.testing.assert_allclose(np.diff(q, axis=0) / DT, v[1:], atol=1e-9)  # the model's own velocities
    assert np.all(np.abs(v) <= LIMITS.max_velocity + SOLVER_SLACK)
    assert np.all(np.abs(np.diff(v, axis=0) / DT) <= LIMITS.max_acceleration * (1 + SOLVER_SLACK))
    braking_reach = q + mpc.braking_s * v
    assert np.all(braking_reach <= mpc.upper + SOLVER_SLACK) and np.all(braking_reach >= mpc.lower - SOLVER_SLACK)
    assert np.all(v[-1] * np.sign(target - PANDA_HOME) > 0.0)  # turned round towards the target


def test_admissible_box_contains_braking_and_keeps_the_position_limits():
    mpc = JointMpc(MpcConfig(), DT)
    rng = np.random.default_rng(3)
    for _ in range(200):
        v0 = rng.uniform(-1, 1, 7) * LIMITS.max_velocity
        # A state that satisfies the braking bound, anywhere in range.
        q0 = rng.uniform(mpc.lower + np.maximum(0, -v0) * mpc.braking_s, mpc.upper - np.maximum(0, v0) * mpc.braking_s)
        low, high = mpc.admissible_velocity(q0, v0)
        assert np.all(low <= high)
        braking = mpc.braking_velocity(v0)
        assert np.all(low <= braking) and np.all(braking <= high)
        for v1 in (low, high):
            q1 = q0 + DT * v1
            assert np.all(q1 >= mpc.lower - 1e-12) and np.all(q1 <= mpc.upper + 1e-12)


def test_tracker_reports_diagnostics_and_follows_a_feasible_reference_closely():
    ref = time_parameterize([PANDA_HOME, PANDA_HOME + 0.5], LIMITS, 0.5, 0.5)
    tracker = TrajectoryTracker(TrackerConfig())
    tracker.start(ref, PANDA_HOME, 0.0)
    commands, outputs = simulate(tracker, PANDA_HOME, int(ref.duration / DT) + 50)
    assert_within_limits(commands)
    assert all(o.solved and o.solver_status.startswith("solved") for o in outputs)
    assert all(o.predicted_q.shape == (HORIZON, 7) and o.solve_ms > 0.0 for o in outputs)
    # An ideal arm (it is where it was commanded) stays on a reference that keeps the limits.
    errors = [np.max(np.abs(ref.sample((k + 1) * DT)[0] - c)) for k, c in enumerate(commands[1:])]
    assert max(errors) < 1e-3
    assert outputs[-1].done


def test_lead_previews_the_reference_earlier():
    ref = time_parameterize([PANDA_HOME, PANDA_HOME + 0.5], LIMITS, 0.5, 0.5)
    # Without error correction: on this ideal arm the command, not a lagging arm, is what is measured.
    late = TrajectoryTracker(TrackerConfig(correction_gain=0.0))
    early = TrajectoryTracker(TrackerConfig(correction_gain=0.0, lead_s=0.03))
    late.start(ref, PANDA_HOME, 0.0)
    early.start(ref, PANDA_HOME, 0.0)
    halfway = int(ref.duration / 2 / DT)
    late_commands, _ = simulate(late, PANDA_HOME, halfway)
    early_commands, _ = simulate(early, PANDA_HOME, halfway)
    ahead = early_commands[-1] - late_commands[-1]
    expected = ref.sample(halfway * DT + 0.03)[0] - ref.sample(halfway * DT)[0]
    np.testing.assert_allclose(ahead, expected, atol=2e-3)


def test_failed_solves_brake_within_limits_then_fail_the_motion(monkeypatch):
    ref = time_parameterize([PANDA_HOME, PANDA_HOME + 0.8], LIMITS, 1.0, 1.0)
    tracker = TrajectoryTracker(TrackerConfig(max_failed_solves=3))
    tracker.start(ref, PANDA_HOME, 0.0)
    moving, _ = simulate(tracker, PANDA_HOME, int(ref.duration / 2 / DT))  # at full speed
    failed = MpcSolution(False, "primal infeasible", None, None, 0.0, 7)
    monkeypatch.setattr(JointMpc, "solve", lambda *args: failed)
    stopping, outputs = simulate(tracker, moving[-1], 100, t0=len(moving) * DT)
    assert_within_limits(np.vstack([moving, stopping[1:]]))
    assert not any(o.solved for o in outputs)
    assert all(o.solver_status == "primal infeasible" for o in outputs)
    assert outputs[1].failed is None and "MPC solve failed 3 times" in outputs[2].failed
    assert not tracker.active and outputs[-1].progress == 1.0
    np.testing.assert_allclose(np.diff(stopping[-3:], axis=0), 0.0, atol=1e-12)  # at rest
    speeds = np.abs(np.diff(stopping, axis=0)) / DT
    assert np.all(np.diff(np.max(speeds / LIMITS.max_velocity, axis=1)) <= 1e-12)  # only ever slowing


def test_tracker_refuses_a_reference_inside_the_margin():
    tracker = TrajectoryTracker(TrackerConfig())
    close = PANDA_HOME.copy()
    close[6] = LIMITS.upper[6] - 0.01  # inside the limits, inside the 0.025 rad margin
    with pytest.raises(ValueError, match="margin"):
        tracker.start(JointReference([0.0, 1.0], [PANDA_HOME, close]), PANDA_HOME, 0.0)
