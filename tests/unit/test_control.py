"""Control core: reference interpolation, time parameterization, the rate-limited tracker."""
import numpy as np
import pytest

from griptalk.control import JointReference, TrackerConfig, TrajectoryTracker, time_parameterize
from griptalk.robot import PANDA_HOME, PANDA_LIMITS

LIMITS = PANDA_LIMITS
RATE_HZ = 100.0
DT = 1.0 / RATE_HZ
# Relative slack for floating-point rounding only.
ROUNDING = 1e-9
# Where a pose is reached or held, the QP solver's accuracy [rad].
SOLVER_ATOL = 1e-6


def simulate(tracker, q0, t0, steps):
    """Ideal position-controlled plant: the arm is where it was last commanded."""
    q, t = np.array(q0, dtype=float), t0
    commands, outputs = [q.copy()], []
    for _ in range(steps):
        out = tracker.step(t, q)
        outputs.append(out)
        q = out.command_q
        commands.append(q.copy())
        t += DT
    return np.array(commands), outputs


def assert_within_limits(commands):
    velocity = np.diff(commands, axis=0) / DT
    acceleration = np.diff(velocity, axis=0) / DT
    assert np.all(commands >= LIMITS.lower) and np.all(commands <= LIMITS.upper)
    assert np.all(np.abs(velocity) <= LIMITS.max_velocity * (1 + ROUNDING))
    assert np.all(np.abs(acceleration) <= LIMITS.max_acceleration * (1 + ROUNDING))


# ---- JointReference -------------------------------------------------------------------------

def test_linear_reference_interpolates_positions_and_slopes():
    ref = JointReference([0.0, 1.0, 3.0], [[0.0] * 7, [1.0] * 7, [0.0] * 7])
    q, dq = ref.sample(0.5)
    np.testing.assert_allclose(q, 0.5)
    np.testing.assert_allclose(dq, 1.0)
    q, dq = ref.sample(2.0)
    np.testing.assert_allclose(q, 0.5)
    np.testing.assert_allclose(dq, -0.5)
    assert ref.duration == 3.0


def test_reference_rests_at_its_ends():
    ref = JointReference([0.0, 1.0], [[0.0] * 7, [1.0] * 7])
    q, dq = ref.sample(-1.0)
    np.testing.assert_allclose(q, 0.0)
    np.testing.assert_allclose(dq, 0.0)
    q, dq = ref.sample(5.0)
    np.testing.assert_allclose(q, 1.0)
    np.testing.assert_allclose(dq, 0.0)


def test_cubic_reference_matches_knot_velocities_and_a_quadratic_between():
    # q(t) = t^2 on [0, 2]: cubic Hermite reproduces it exactly from its knots.
    times = np.array([0.0, 2.0])
    ref = JointReference(times, np.repeat((times**2)[:, None], 7, axis=1),
                         np.repeat((2 * times)[:, None], 7, axis=1))
    for t in (0.0, 0.3, 1.0, 1.7):
        q, dq = ref.sample(t)
        np.testing.assert_allclose(q, t * t, atol=1e-12)
        np.testing.assert_allclose(dq, 2 * t, atol=1e-12)


@pytest.mark.parametrize("times, positions, message", [
    ([0.0, 1.0, 1.0], np.zeros((3, 7)), "strictly increasing"),
    ([0.5, 1.0], np.zeros((2, 7)), "start at 0"),
    ([0.0, 1.0], np.zeros((3, 7)), "shape"),
    ([0.0, 1.0], [[0.0] * 7, [np.nan] * 7], "finite"),
    ([], np.zeros((0, 7)), "at least one"),
])
def test_reference_rejects_bad_input(times, positions, message):
    with pytest.raises(ValueError, match=message):
        JointReference(times, positions)


def test_reference_rejects_velocities_of_the_wrong_shape():
    with pytest.raises(ValueError, match="velocities"):
        JointReference([0.0, 1.0], np.zeros((2, 7)), np.zeros((2, 6)))


# ---- time_parameterize ----------------------------------------------------------------------

WAYPOINTS = np.array([
    PANDA_HOME,
    PANDA_HOME + [0.8, 0.4, -0.5, 0.3, 0.2, -0.3, 0.9],
    PANDA_HOME + [0.81, 0.4, -0.5, 0.3, 0.2, -0.3, 0.9],  # a short hop: triangular profile
    PANDA_HOME + [0.81, 0.4, -0.5, 0.3, 0.2, -0.3, 0.9],  # a repeated waypoint
    PANDA_HOME,
])


@pytest.mark.parametrize("scale", [0.2, 0.5, 1.0])
def test_time_parameterization_respects_scaled_limits_and_passes_the_waypoints(scale):
    ref = time_parameterize(WAYPOINTS, LIMITS, velocity_scale=scale, acceleration_scale=scale)
    fine_dt = 1e-3
    times = np.arange(0.0, ref.duration + fine_dt, fine_dt)
    samples = [ref.sample(t) for t in times]
    q = np.array([s[0] for s in samples])
    dq = np.array([s[1] for s in samples])
    ddq = np.diff(dq, axis=0) / fine_dt
    assert np.all(np.abs(dq) <= scale * LIMITS.max_velocity * (1 + ROUNDING))
    # Finite differences straddle the phase corners, where acceleration steps: allow one sample's blur.
    assert np.all(np.abs(ddq) <= scale * LIMITS.max_acceleration * (1 + 1e-6))
    for waypoint in WAYPOINTS:  # each one is a knot, passed exactly at rest
        knot = np.argmin(np.max(np.abs(ref.positions - waypoint), axis=1))
        q_knot, dq_knot = ref.sample(ref.times_s[knot])
        np.testing.assert_allclose(q_knot, waypoint, atol=1e-12)
        np.testing.assert_allclose(dq_knot, 0.0, atol=1e-12)
    assert np.all(q >= LIMITS.lower) and np.all(q <= LIMITS.upper)
    np.testing.assert_allclose(ref.goal, WAYPOINTS[-1])
    # The slowest joint is at its scaled speed limit somewhere: the time is not padded.
    assert np.max(np.abs(dq) / (scale * LIMITS.max_velocity)) > 0.999


def test_slower_scale_takes_longer():
    fast = time_parameterize(WAYPOINTS, LIMITS, velocity_scale=1.0, acceleration_scale=1.0)
    slow = time_parameterize(WAYPOINTS, LIMITS, velocity_scale=0.25, acceleration_scale=0.25)
    assert slow.duration > 2 * fast.duration


def test_single_waypoint_gives_a_resting_reference():
    ref = time_parameterize([PANDA_HOME], LIMITS)
    assert ref.duration == 0.0
    q, dq = ref.sample(1.0)
    np.testing.assert_allclose(q, PANDA_HOME)
    np.testing.assert_allclose(dq, 0.0)


@pytest.mark.parametrize("waypoints, kwargs, message", [
    (np.zeros((2, 6)), {}, "shape"),
    ([PANDA_HOME, PANDA_HOME * np.nan], {}, "finite"),
    ([PANDA_HOME, np.zeros(7)], {}, "waypoint 1: panda_joint4"),
    ([PANDA_HOME], {"velocity_scale": 0.0}, "velocity_scale"),
    ([PANDA_HOME], {"acceleration_scale": 1.5}, "acceleration_scale"),
])
def test_time_parameterization_rejects_bad_input(waypoints, kwargs, message):
    with pytest.raises(ValueError, match=message):
        time_parameterize(waypoints, LIMITS, **kwargs)


# ---- TrackerConfig --------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"rate_hz": 20.0}, "rate_hz"),
    ({"goal_tolerance_rad": 0.0}, "goal_tolerance_rad"),
    ({"settle_timeout_s": -1.0}, "settle_timeout_s"),
    ({"correction_gain": 2.0}, "correction_gain"),
])
def test_tracker_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrackerConfig(**kwargs)


# ---- TrajectoryTracker ----------------------------------------------------------------------

def make_tracker(**kwargs):
    return TrajectoryTracker(TrackerConfig(rate_hz=RATE_HZ, limits=LIMITS, **kwargs))


def test_tracker_converges_on_a_smooth_reference_and_reports_done():
    ref = time_parameterize(WAYPOINTS[:2], LIMITS)
    tracker = make_tracker()
    tracker.start(ref, PANDA_HOME, t=10.0)
    steps = int((ref.duration + 1.0) * RATE_HZ)
    commands, outputs = simulate(tracker, PANDA_HOME, 10.0, steps)
    assert_within_limits(commands)
    assert max(o.error_rad for o in outputs) < 0.01  # follows closely all along
    done_at = next(i for i, o in enumerate(outputs) if o.done)
    assert done_at * DT >= ref.duration - DT  # not before the end
    assert outputs[-1].done and outputs[-1].failed is None and outputs[-1].progress == 1.0
    np.testing.assert_allclose(commands[-1], WAYPOINTS[1], atol=0.01)
    progress = [o.progress for o in outputs]
    assert progress[0] == 0.0 and np.all(np.diff(progress) >= 0.0)


def test_tracker_never_breaks_limits_on_a_jumpy_reference():
    rng = np.random.default_rng(7)
    tracker = make_tracker(settle_timeout_s=5.0)
    points = rng.uniform(tracker.lower, tracker.upper, size=(30, 7))
    points[0] = PANDA_HOME
    ref = JointReference(np.arange(30) * 0.05, points)  # jumps of up to 5 rad in 50 ms
    tracker.start(ref, PANDA_HOME, t=0.0)
    commands, outputs = simulate(tracker, PANDA_HOME, 0.0, 600)
    assert_within_limits(commands)
    # Fast as allowed: some joint reaches its velocity limit.
    velocity = np.diff(commands, axis=0) / DT
    assert np.max(np.abs(velocity) / LIMITS.max_velocity) > 0.99
    assert outputs[-1].done


def test_tracker_brakes_before_joint_limits():
    # Hold a target on joint 4's upper limit, half a radian away: it stops at the limit less the margin.
    tracker = make_tracker()
    q = PANDA_HOME.copy()
    q[3] = LIMITS.upper[3] - 0.5
    target = q.copy()
    target[3] = LIMITS.upper[3]
    tracker.hold(target)
    target[3] = tracker.upper[3]
    assert tracker.upper[3] == pytest.approx(LIMITS.upper[3] - tracker.config.mpc.joint_margin_rad)
    commands, _ = simulate(tracker, q, 0.0, 300)
    assert_within_limits(commands)
    # Braking early enough for any speed makes the last stretch an exponential approach.
    np.testing.assert_allclose(commands[-1], target, atol=1e-3)
    assert np.all(np.diff(commands[:, 3]) >= -SOLVER_ATOL)  # approaches without overshooting back


def test_tracker_holds_a_pose_and_first_step_holds_the_measured_one():
    tracker = make_tracker()
    commands, outputs = simulate(tracker, PANDA_HOME, 0.0, 50)
    np.testing.assert_allclose(commands, np.tile(PANDA_HOME, (51, 1)), atol=SOLVER_ATOL)
    assert not outputs[-1].done and outputs[-1].failed is None and not tracker.active

    target = PANDA_HOME + 0.3
    tracker.hold(target)
    commands, outputs = simulate(tracker, PANDA_HOME, 0.5, 200)
    assert_within_limits(commands)
    np.testing.assert_allclose(commands[-1], target, atol=SOLVER_ATOL)
    assert outputs[-1].error_rad < SOLVER_ATOL


def test_hold_mid_motion_decelerates_within_limits():
    ref = time_parameterize(WAYPOINTS[:2], LIMITS, velocity_scale=1.0, acceleration_scale=1.0)
    tracker = make_tracker()
    tracker.start(ref, PANDA_HOME, t=0.0)
    moving, _ = simulate(tracker, PANDA_HOME, 0.0, int(ref.duration * RATE_HZ / 2))
    tracker.hold(moving[-1])  # stop where the command is now, while at full speed
    stopping, _ = simulate(tracker, moving[-1], ref.duration / 2, 200)
    assert_within_limits(np.vstack([moving, stopping[1:]]))
    assert not tracker.active
    np.testing.assert_allclose(np.diff(stopping[-3:], axis=0), 0.0, atol=SOLVER_ATOL)  # come to rest


def test_reset_restarts_from_the_measured_position_at_rest():
    ref = time_parameterize(WAYPOINTS[:2], LIMITS)
    tracker = make_tracker()
    tracker.start(ref, PANDA_HOME, t=0.0)
    simulate(tracker, PANDA_HOME, 0.0, 30)  # moving
    stopped_at = PANDA_HOME + 0.05  # a safety stop left the arm elsewhere
    tracker.reset(stopped_at)
    assert not tracker.active
    np.testing.assert_allclose(tracker.step(1.0, stopped_at).command_q, stopped_at, atol=SOLVER_ATOL)


def test_tracker_reports_failure_when_the_arm_cannot_settle():
    ref = time_parameterize(WAYPOINTS[:2], LIMITS)
    tracker = make_tracker(settle_timeout_s=0.5)
    tracker.start(ref, PANDA_HOME, t=0.0)
    stuck = PANDA_HOME.copy()  # the arm never moves (blocked)
    t, outputs = 0.0, []
    while t < ref.duration + 1.0:
        outputs.append(tracker.step(t, stuck))
        t += DT
    failures = [i for i, o in enumerate(outputs) if o.failed]
    assert failures and failures[0] * DT > ref.duration + 0.5 - DT
    assert "not settled" in outputs[-1].failed and not outputs[-1].done
    # After failing it holds where the arm was measured instead of pushing on.
    assert not tracker.active
    np.testing.assert_allclose(tracker.step(t, stuck).error_rad, 0.0, atol=SOLVER_ATOL)


def test_tracker_rejects_an_unsafe_or_distant_reference():
    tracker = make_tracker()
    beyond = PANDA_HOME.copy()
    beyond[3] = 0.2  # joint 4's upper limit is -0.0698
    with pytest.raises(ValueError, match="panda_joint4"):
        tracker.start(JointReference([0.0, 1.0], [PANDA_HOME, beyond]), PANDA_HOME, 0.0)
    with pytest.raises(ValueError, match="from the measured position"):
        tracker.start(time_parameterize(WAYPOINTS[:2], LIMITS), PANDA_HOME + 0.2, 0.0)
    with pytest.raises(ValueError, match="joints"):
        tracker.start(JointReference([0.0], [[0.0] * 6]), PANDA_HOME, 0.0)
    assert not tracker.active


def test_tracker_rejects_malformed_measurements():
    tracker = make_tracker()
    with pytest.raises(ValueError, match="shape"):
        tracker.step(0.0, np.zeros(6))
    with pytest.raises(ValueError, match="finite"):
        tracker.step(0.0, PANDA_HOME * np.nan)
