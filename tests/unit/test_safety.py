"""Safety supervisor core: default-deny gate, latched stops, reset rules, status."""
import numpy as np
import pytest

from griptalk.robot import PANDA_HOME
from griptalk.safety import SafetyConfig, SafetySupervisor

STILL = np.zeros(7)


def toy_fk(q):
    """A stand-in kinematics: home maps to (0.5, 0, 0.4); joints 1-3 shift x, y, z one to one."""
    return np.array([0.5 + q[0], q[1] - PANDA_HOME[1], 0.4 + q[2]])


def make_supervisor(**kwargs):
    kwargs.setdefault("force_sustain_s", 0.0)
    return SafetySupervisor(SafetyConfig(**kwargs), toy_fk)


@pytest.fixture
def live():
    """A supervisor that has just measured the arm at home, at t = 1 s."""
    supervisor = make_supervisor()
    assert supervisor.on_joint_state(1.0, PANDA_HOME, STILL)
    return supervisor


def nudged(joint, delta, q=PANDA_HOME):
    q = np.array(q, dtype=float)
    q[joint] += delta
    return q


# ---- config ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"force_limit_n": 0.0}, "force_limit_n"),
    ({"force_limit_n": 200.0}, "ISO/TS 15066"),
    ({"force_peak_limit_n": 20.0}, "force_peak_limit_n"),
    ({"joint_margin_rad": -0.1}, "joint_margin_rad"),
    ({"fence_min_m": (0.9, -0.5, 0.0)}, "fence_min_m"),
    ({"fence_max_m": (0.85, 0.5)}, "three finite"),
    ({"state_timeout_s": 0.0}, "state_timeout_s"),
    ({"command_rate_hz": float("nan")}, "command_rate_hz"),
    ({"speed_limit_factor": 0.5}, "speed_limit_factor"),
    ({"camera_timeout_s": 0.0}, "camera_timeout_s"),
    ({"slow_speed_m_s": 2.0, "max_speed_m_s": 1.0}, "slow_speed_m_s"),
    ({"slow_zone_m": -0.1}, "slow_zone_m"),
    ({"contact_force_n": 30.0}, "contact_force_n"),
    ({"hand_below_tcp_m": -0.01}, "hand_below_tcp_m"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SafetyConfig(**kwargs)


def test_max_joint_step_follows_velocity_limits_and_rate():
    config = SafetyConfig(command_rate_hz=100.0, step_allowance_periods=5.0)
    np.testing.assert_allclose(config.max_joint_step, config.limits.max_velocity * 0.05)


# ---- the gate -------------------------------------------------------------------------------

def test_default_deny_before_the_first_joint_state():
    supervisor = make_supervisor()
    decision = supervisor.check_arm_command(0.0, PANDA_HOME)
    assert not decision.forward and decision.command is None
    assert "no joint state" in decision.reason
    assert not supervisor.check_gripper_command(0.0, 0.04, 10.0).forward
    status = supervisor.status(0.0)
    assert status.state == "limited" and not status.latched and status.rejected == 2


def test_forwards_a_good_command(live):
    command = nudged(0, 0.05)
    decision = live.check_arm_command(1.01, command)
    assert decision.forward and decision.reason == "ok"
    np.testing.assert_array_equal(decision.command, command)
    status = live.status(1.01)
    assert status.state == "ok" and status.forwarded == 1 and status.rejected == 0


@pytest.mark.parametrize("command, reason", [
    (nudged(3, 2.3), "panda_joint4"),  # past its upper limit (-0.0698 rad)
    (nudged(5, -1.581), "margin"),  # -0.01: inside the -0.0175 limit, not inside the margin
    (nudged(0, np.nan), "not finite"),
    (PANDA_HOME[:6], "shape"),
])
def test_rejects_unsafe_commands_without_latching(live, command, reason):
    if reason == "margin":  # place the arm near joint 6's lower limit so the step is small
        live.on_joint_state(1.0, nudged(5, -1.541), STILL)
    decision = live.check_arm_command(1.01, command)
    assert not decision.forward and decision.command is None
    assert reason in decision.reason
    assert not live.latched
    status = live.status(1.01)
    assert status.state == "limited" and status.rejected == 1 and reason in status.reason


def test_commands_are_read_by_joint_name_and_unknown_names_are_refused(live):
    command = nudged(0, 0.05)
    names = list(live.config.limits.joint_names)
    decision = live.check_arm_command(1.01, command[::-1], names[::-1])
    assert decision.forward
    np.testing.assert_array_equal(decision.command, command)
    decision = live.check_arm_command(1.02, command, [f"joint_{i}" for i in range(1, 8)])
    assert not decision.forward and "not the arm's" in decision.reason
    assert not live.check_arm_command(1.03, command[:6], names[:6]).forward


def test_a_refused_gripper_command_shows_in_the_status_until_one_passes(live):
    assert live.check_arm_command(1.01, PANDA_HOME).forward
    live.check_gripper_command(1.01, 0.5, 10.0)
    assert live.check_arm_command(1.02, PANDA_HOME).forward
    status = live.status(1.02)
    assert status.state == "limited" and "gripper width" in status.reason
    assert live.check_gripper_command(1.03, 0.04, 10.0).forward
    assert live.status(1.03).state == "ok"


def test_clips_a_command_far_ahead_of_the_arm(live):
    decision = live.check_arm_command(1.01, nudged(1, 0.3))  # 0.3 rad in one command
    assert decision.forward and "clipped" in decision.reason
    step = decision.command - PANDA_HOME
    assert step[1] == pytest.approx(live.config.max_joint_step[1])
    assert np.allclose(np.delete(step, 1), 0.0)
    status = live.status(1.01)
    assert status.state == "limited" and "clipped" in status.reason and not live.latched


def test_rejects_a_command_that_leaves_the_fence():
    live = make_supervisor(slow_speed_m_s=100.0, max_speed_m_s=100.0)  # no speed scaling in the way
    live.on_joint_state(1.0, PANDA_HOME, STILL)
    near_front = nudged(0, 0.33)  # x = 0.83, inside the 0.85 fence
    live.on_joint_state(1.0, near_front, STILL)
    assert live.check_arm_command(1.01, nudged(0, 0.01, near_front)).forward
    decision = live.check_arm_command(1.02, nudged(0, 0.03, near_front))  # x = 0.86
    assert not decision.forward and "fence" in decision.reason
    below_table = nudged(2, -0.45)  # z = -0.05
    live.on_joint_state(1.03, nudged(2, -0.38), STILL)
    assert "fence" in live.check_arm_command(1.04, below_table).reason
    assert not live.latched


def test_gripper_range_checks(live):
    assert live.check_gripper_command(1.0, 0.08, 20.0).forward
    assert "width" in live.check_gripper_command(1.0, 0.09, 20.0).reason
    assert "width" in live.check_gripper_command(1.0, float("nan"), 20.0).reason
    assert "force" in live.check_gripper_command(1.0, 0.02, 500.0).reason


# ---- latches --------------------------------------------------------------------------------

def test_estop_latches_holds_and_blocks_everything(live):
    live.on_joint_state(1.5, nudged(0, 0.02), STILL)
    live.on_estop(1.6, "operator button")
    assert live.latched
    np.testing.assert_allclose(live.hold_command(), nudged(0, 0.02))
    live.on_joint_state(1.7, nudged(0, 0.04), STILL)  # the arm drifts on: the hold stays put
    np.testing.assert_allclose(live.hold_command(), nudged(0, 0.02))
    arm = live.check_arm_command(1.7, nudged(0, 0.04))
    gripper = live.check_gripper_command(1.7, 0.08, 10.0)
    assert not arm.forward and not gripper.forward
    assert "latched" in arm.reason and "operator button" in arm.reason
    status = live.status(1.7)
    assert status.state == "stopped" and status.latched and "e-stop" in status.reason
    assert [(e.kind, e.t) for e in live.events] == [("estop", 1.6)]


def test_reset_after_estop_restores_forwarding(live):
    live.on_estop(1.1, "test")
    ok, message = live.reset(1.15)
    assert ok and "e-stop" in message
    assert not live.latched and live.hold_command() is None
    assert live.check_arm_command(1.2, PANDA_HOME).forward
    assert live.status(1.2).state == "ok"
    assert [e.kind for e in live.events] == ["estop", "reset"]


def test_force_over_limit_latches_and_reset_waits_until_it_is_gone(live):
    live.on_wrench(1.05, [0.0, 0.0, 10.0])
    assert not live.latched
    live.on_wrench(1.1, [30.0, 0.0, 0.0])
    assert live.latched and live.events[-1].kind == "force"
    np.testing.assert_allclose(live.hold_command(), PANDA_HOME)

    live.on_joint_state(1.2, PANDA_HOME, STILL)
    ok, message = live.reset(1.2)
    assert not ok and "force" in message and live.latched
    assert not live.check_arm_command(1.2, PANDA_HOME).forward

    live.on_wrench(1.25, [5.0, 0.0, 0.0])
    live.on_joint_state(1.25, PANDA_HOME, STILL)
    ok, _ = live.reset(1.25)
    assert ok and not live.latched
    assert live.check_arm_command(1.26, PANDA_HOME).forward


def test_force_must_be_sustained_unless_over_the_peak_limit():
    supervisor = make_supervisor(force_sustain_s=0.1, force_limit_n=25.0, force_peak_limit_n=60.0)
    supervisor.on_joint_state(0.0, PANDA_HOME, STILL)
    supervisor.on_wrench(0.00, [0.0, 0.0, 30.0])
    supervisor.on_wrench(0.05, [0.0, 0.0, 30.0])
    assert not supervisor.latched  # a brief contact
    supervisor.on_wrench(0.06, [0.0, 0.0, 10.0])  # back under: the count restarts
    supervisor.on_wrench(0.10, [0.0, 0.0, 30.0])
    supervisor.on_wrench(0.19, [0.0, 0.0, 30.0])
    assert not supervisor.latched
    supervisor.on_wrench(0.21, [0.0, 0.0, 30.0])
    assert supervisor.latched

    impact = make_supervisor(force_sustain_s=0.1)
    impact.on_wrench(0.0, [0.0, 70.0, 0.0])
    assert impact.latched and "peak" in impact.events[0].reason


def test_peak_force_is_tracked(live):
    for t, f in [(1.0, 5.0), (1.01, 12.0), (1.02, 7.0)]:
        live.on_wrench(t, [0.0, f, 0.0])
    status = live.status(1.02)
    assert status.force_n == pytest.approx(7.0) and status.peak_force_n == pytest.approx(12.0)
    assert status.state == "ok"


def test_stale_joint_state_latches_and_reset_needs_a_fresh_one(live):
    timeout = live.config.state_timeout_s
    assert live.check_arm_command(1.0 + timeout / 2, PANDA_HOME).forward
    decision = live.check_arm_command(1.0 + 2 * timeout, PANDA_HOME)
    assert not decision.forward and "no joint state" in decision.reason
    assert live.latched and live.events[-1].kind == "stale_state"
    np.testing.assert_allclose(live.hold_command(), PANDA_HOME)
    ok, message = live.reset(1.0 + 2 * timeout)
    assert not ok and "not fresh" in message
    live.on_joint_state(5.0, PANDA_HOME, STILL)
    assert not live.check_arm_command(5.0, PANDA_HOME).forward  # refused, but the controller is alive
    assert live.reset(5.0)[0]


def test_malformed_joint_states_do_not_refresh_the_watchdog(live):
    assert not live.on_joint_state(1.1, PANDA_HOME * np.nan, STILL)
    assert not live.on_joint_state(1.1, PANDA_HOME[:6], STILL[:6])
    live.status(1.0 + 2 * live.config.state_timeout_s)
    assert live.latched


def test_overspeed_latches(live):
    too_fast = nudged(0, 2.0 * live.config.limits.max_velocity[0], STILL)
    live.on_joint_state(1.1, PANDA_HOME, too_fast)
    assert live.latched and live.events[-1].kind == "overspeed"
    assert not live.reset(1.1)[0]
    live.on_joint_state(1.2, PANDA_HOME, STILL)
    assert live.reset(1.2)[0]


def test_only_the_first_cause_latches_and_reset_when_clear_is_a_no_op(live):
    assert live.reset(1.0) == (True, "not latched")
    live.on_estop(1.1, "a")
    live.on_estop(1.2, "b")
    live.on_wrench(1.2, [0.0, 0.0, 90.0])
    assert [e.kind for e in live.events] == ["estop"]
    assert "from a" in live.status(1.2).reason


def test_a_silent_controller_latches_and_reset_waits_for_it():
    supervisor = make_supervisor()
    timeout = supervisor.config.command_timeout_s
    supervisor.on_joint_state(10.0, PANDA_HOME, STILL)
    assert not supervisor.latched  # no command yet: no heartbeat to miss
    assert supervisor.check_arm_command(10.0, PANDA_HOME).forward
    t = 10.0 + 2 * timeout
    supervisor.on_joint_state(t, PANDA_HOME, STILL)
    status = supervisor.status(t)
    assert status.state == "stopped" and "no controller command" in status.reason
    assert supervisor.events[-1].kind == "controller_silent"
    np.testing.assert_allclose(supervisor.hold_command(), PANDA_HOME)
    ok, message = supervisor.reset(t)
    assert not ok and "controller is silent" in message
    supervisor.check_arm_command(t, PANDA_HOME)  # it speaks again (refused while latched)
    assert supervisor.reset(t)[0]


def test_a_frozen_driver_is_named_even_when_the_controller_fell_silent_first():
    supervisor = make_supervisor(state_timeout_s=0.5, command_timeout_s=0.5)
    supervisor.on_joint_state(1.0, PANDA_HOME, STILL)
    assert supervisor.check_arm_command(0.98, PANDA_HOME).forward  # its last command, just before the last state
    assert not supervisor.status(1.49).latched  # the controller is 0.51 s quiet, but so is the whole robot
    assert supervisor.status(1.51).latched and supervisor.events[-1].kind == "stale_state"


def test_a_silent_camera_latches_once_it_has_started():
    supervisor = make_supervisor(command_timeout_s=100.0)
    timeout = supervisor.config.camera_timeout_s
    supervisor.on_joint_state(10.0, PANDA_HOME, STILL)
    assert supervisor.check_arm_command(10.0, PANDA_HOME).forward  # no camera yet: not watched
    supervisor.on_camera(10.0)
    t = 10.0 + 2 * timeout
    supervisor.on_joint_state(t, PANDA_HOME, STILL)
    decision = supervisor.check_arm_command(t, PANDA_HOME)
    assert not decision.forward and "no camera frame" in decision.reason
    assert supervisor.events[-1].kind == "camera_silent"
    assert "camera is silent" in supervisor.reset(t)[1]
    supervisor.on_camera(t)
    assert supervisor.reset(t)[0]


# ---- speed scaling near surfaces ------------------------------------------------------------

def above_table(z):
    """Joint positions that put the toy hand at height z over the table."""
    return nudged(2, z - 0.4)


def test_fast_descent_near_the_table_is_slowed_not_refused():
    supervisor = make_supervisor()
    config = supervisor.config
    supervisor.on_joint_state(1.0, above_table(0.02), STILL)
    decision = supervisor.check_arm_command(1.01, above_table(0.0))  # 2 m/s down, 2 cm above the table
    assert decision.forward and "slowed" in decision.reason and "the table" in decision.reason
    allowed = config.slow_speed_m_s  # the speed allowed where the command leads: at the surface
    descent = (0.02 - toy_fk(decision.command)[2]) * config.command_rate_hz
    assert descent == pytest.approx(allowed)
    status = supervisor.status(1.01)
    assert status.state == "limited" and "slowed" in status.reason and not status.latched
    # The next step counts from the forwarded command, not the lagging measurement.
    second = supervisor.check_arm_command(1.02, above_table(0.0))
    assert toy_fk(second.command)[2] == pytest.approx(toy_fk(decision.command)[2] - allowed / config.command_rate_hz,
                                                      rel=0.05)


def test_descent_high_above_or_moving_up_is_not_slowed():
    supervisor = make_supervisor()
    supervisor.on_joint_state(1.0, above_table(0.40), STILL)
    assert supervisor.check_arm_command(1.01, above_table(0.395)).reason == "ok"  # 0.5 m/s, above the zone
    rising = make_supervisor()
    rising.on_joint_state(1.0, above_table(0.01), STILL)
    assert rising.check_arm_command(1.01, above_table(0.04)).reason == "ok"  # 3 m/s up, near the table


def test_heights_are_those_of_the_fingertips_below_the_tool_point():
    supervisor = make_supervisor(hand_below_tcp_m=0.02)
    supervisor.on_joint_state(1.0, above_table(0.03), STILL)  # fingertips 1 cm above the table
    decision = supervisor.check_arm_command(1.01, above_table(0.02))  # 1 m/s down: the tips would touch
    descent = (0.03 - toy_fk(decision.command)[2]) * supervisor.config.command_rate_hz
    assert decision.forward and descent == pytest.approx(supervisor.config.slow_speed_m_s)


def test_a_hand_pushed_up_may_rise_but_not_descend(live):
    live.on_wrench(1.0, [0.0, 0.0, 15.0])  # over contact_force_n, under the force limit: no latch
    decision = live.check_arm_command(1.01, above_table(0.39))
    assert decision.forward and "pushed up" in decision.reason and not live.latched
    np.testing.assert_allclose(decision.command, PANDA_HOME)  # held where it was
    assert live.check_arm_command(1.02, above_table(0.41)).reason == "ok"  # rising off the contact
    live.on_wrench(1.03, [0.0, 0.0, 1.0])
    assert live.check_arm_command(1.03, above_table(0.40)).reason == "ok"


def test_an_obstacle_below_raises_the_surface_but_not_one_the_hand_is_in():
    supervisor = make_supervisor()
    q = nudged(0, 0.0, above_table(0.15))  # hand at (0.5, 0, 0.15)
    supervisor.on_joint_state(1.0, q, STILL)
    assert supervisor.check_arm_command(1.01, above_table(0.145)).reason == "ok"  # 0.5 m/s, 15 cm above the table
    assert supervisor.on_obstacles([[[0.4, -0.1, 0.0], [0.6, 0.1, 0.13]]])  # a box top 2 cm below the hand
    supervisor.on_joint_state(1.02, above_table(0.145), STILL)
    decision = supervisor.check_arm_command(1.02, above_table(0.14))
    assert "slowed" in decision.reason and "an obstacle" in decision.reason
    assert supervisor.on_obstacles([[[0.4, -0.1, 0.0], [0.6, 0.1, 0.2]]])  # the hand is inside this one
    supervisor.on_joint_state(1.03, above_table(0.145), STILL)
    supervisor.check_arm_command(1.03, above_table(0.145))
    assert supervisor.check_arm_command(1.04, above_table(0.14)).reason == "ok"


def test_malformed_obstacles_change_nothing():
    supervisor = make_supervisor()
    assert supervisor.on_obstacles([[[0.4, -0.1, 0.0], [0.6, 0.1, 0.13]]])
    assert not supervisor.on_obstacles([[[0.4, -0.1, 0.0], [0.3, 0.1, 0.13]]])  # min above max
    assert not supervisor.on_obstacles([[[np.nan, -0.1, 0.0], [0.6, 0.1, 0.13]]])
    assert supervisor.on_obstacles([])
