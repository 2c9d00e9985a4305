"""Fault injection with real nodes on real topics: sim, safety_supervisor and controller as separate processes.

Every case must end with the arm stopped, nothing forwarded after the latch (the supervisor's own
hold commands are told apart by value: see griptalk.ros.fault_cases), and a clear reason in
safety/status. The cases share one graph and run in file order; each starts by bringing the arm to
a known pose with the latch cleared.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from griptalk.ros.fault_cases import CASES, FaultOutcome
from griptalk.ros.fault_rig import FaultRig, FaultRigError

pytestmark = pytest.mark.graph


@pytest.fixture(scope="module")
def rig(module_ros_env, tmp_path_factory):
    with FaultRig(tmp_path_factory.mktemp("fault_logs")) as rig:
        yield rig


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(6)


def assert_latched_and_held(outcome: FaultOutcome, reason: str) -> None:
    assert outcome.state == "stopped", outcome
    assert reason in outcome.reason, outcome.reason
    assert outcome.hold_seen, outcome
    assert outcome.commands_after_latch == 0 and outcome.forwarded_after_latch == 0, outcome
    assert outcome.arm_stopped, outcome


def test_estop_mid_trajectory_holds_the_arm_until_reset(rig, rng):
    outcome = CASES["estop_mid_trajectory"](rig, rng)
    assert_latched_and_held(outcome, "e-stop from fault test")
    assert outcome.reset_after[0], outcome.reset_after
    assert outcome.passed, outcome.failures


def test_a_force_spike_latches_at_once(rig, rng):
    outcome = CASES["force_spike"](rig, rng)
    assert_latched_and_held(outcome, "over the peak limit")
    assert outcome.reset_after[0], outcome.reset_after  # the spike is over: the cause has gone
    assert outcome.passed, outcome.failures


def test_a_reference_outside_the_fence_stops_the_arm_at_the_fence(rig, rng):
    outcome = CASES["reference_outside_fence"](rig, rng)
    assert outcome.state == "limited" and "leaves the fence" in outcome.reason, outcome
    assert outcome.commands_after_latch == 0, "a command beyond the fence reached the robot"
    assert outcome.arm_stopped
    assert outcome.passed, outcome.failures


def test_garbage_commands_never_reach_the_robot_and_each_refusal_says_why(rig, rng):
    outcome = CASES["garbage_commands"](rig, rng)
    assert outcome.commands_after_latch == 0, "garbage reached the robot's command topics"
    assert outcome.state == "limited" and "gripper force" in outcome.reason, outcome
    assert outcome.arm_stopped
    assert outcome.passed, outcome.failures  # every refusal reported and counted


def test_a_disabled_controller_commands_nothing_and_refuses_goals_until_enabled(rig):
    rig.prepare()
    p = rig.probe
    rig.disable_controller()
    quiet_from = time.monotonic() + 0.1  # commands already on their way may still arrive
    time.sleep(0.5)
    assert not p.since(p.controller_commands, quiet_from), "a disabled controller still commands the arm"
    with pytest.raises(FaultRigError, match="did not accept a trajectory"):
        rig.move(rig.poses["goal"])
    assert p.enable_controller(False, 5.0) == (True, "disabled: no commands are published (already)")
    rig.prepare()  # enables it again, clears the supervisor's latch (its command timeout) and moves
    assert rig.flowing(p.controller_commands)


@pytest.mark.parametrize("case, reason, refusal", [
    ("controller_killed", "no controller command", "controller is silent"),
    ("controller_frozen", "no controller command", "controller is silent"),
    ("stale_joint_states", "no joint state", "not fresh"),
])
def test_a_watchdog_latches_and_reset_waits_until_the_cause_is_gone(rig, rng, case, reason, refusal):
    outcome = CASES[case](rig, rng)
    assert_latched_and_held(outcome, reason)
    assert not outcome.reset_during_cause[0] and refusal in outcome.reset_during_cause[1]
    assert outcome.reset_after[0], outcome.reset_after
    assert outcome.passed, outcome.failures


def test_pressing_into_the_table_goes_no_deeper_once_touching(rig, rng):
    outcome = CASES["press_into_table"](rig, rng)
    assert outcome.state == "limited" and "pushed up" in outcome.reason, outcome
    assert outcome.commands_after_latch == 0, "a command deeper into the table reached the robot"
    assert outcome.arm_stopped
    assert outcome.force_peak_n <= rig.params["force_limit_n"] + 10.0, outcome.force_peak_n
    assert outcome.passed, outcome.failures
