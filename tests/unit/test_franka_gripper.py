"""The supervisor's gripper commands as franka_gripper goals (griptalk.drivers.franka_gripper)."""
from __future__ import annotations

import math

import pytest

from griptalk.drivers.franka_gripper import FrankaGripperConfig, GripperGoal, finger_width, goal_for

CONFIG = FrankaGripperConfig(speed_m_s=0.05, epsilon_inner_m=0.005, epsilon_outer_m=0.08)


def test_opening_is_a_move_at_the_configured_speed():
    assert goal_for([0.08, 15.0], 0.02, CONFIG) == GripperGoal("move", 0.08, 0.05)


def test_closing_is_a_grasp_with_the_commanded_force_and_epsilons():
    assert goal_for([0.0, 20.0], 0.08, CONFIG) == GripperGoal("grasp", 0.0, 0.05, 20.0, 0.005, 0.08)


def test_the_current_width_again_is_a_move():
    assert goal_for([0.04, 15.0], 0.04 + 5e-5, CONFIG).kind == "move"


@pytest.mark.parametrize("command", [[0.04], [0.04, 15.0, 1.0], [math.nan, 15.0], [0.09, 15.0], [-0.01, 15.0],
                                     [0.04, 0.0], [0.04, 71.0], [0.04, math.inf]])
def test_malformed_commands_are_refused_with_the_reason(command):
    with pytest.raises(ValueError, match="gripper"):
        goal_for(command, 0.04, CONFIG)


def test_unknown_current_width_is_refused():
    with pytest.raises(ValueError, match="current finger width"):
        goal_for([0.04, 15.0], math.nan, CONFIG)


@pytest.mark.parametrize("kwargs", [{"speed_m_s": 0.0}, {"speed_m_s": 0.2}, {"epsilon_inner_m": -0.001},
                                    {"epsilon_outer_m": 0.1}, {"speed_m_s": math.nan}])
def test_config_out_of_range_raises(kwargs):
    with pytest.raises(ValueError):
        FrankaGripperConfig(**kwargs)


def test_finger_width_sums_the_two_finger_joints():
    names = ["fr3_joint1", "fr3_finger_joint1", "fr3_finger_joint2"]
    assert finger_width(names, [0.3, 0.02, 0.021], ["fr3_finger_joint1", "fr3_finger_joint2"]) == pytest.approx(0.041)


def test_finger_width_is_none_without_both_fingers():
    fingers = ["fr3_finger_joint1", "fr3_finger_joint2"]
    assert finger_width(["fr3_joint1", "fr3_finger_joint1"], [0.3, 0.02], fingers) is None
    assert finger_width(["fr3_finger_joint1", "fr3_finger_joint2"], [0.02], fingers) is None
