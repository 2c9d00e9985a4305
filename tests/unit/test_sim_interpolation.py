import numpy as np
import pytest

from griptalk_sim.interpolation import CommandInterpolator


def test_holds_initial_position_until_commanded():
    ramp = CommandInterpolator([0.0, 1.0], period_s=0.01)
    assert np.allclose(ramp.target(5.0), [0.0, 1.0])


def test_ramps_over_the_command_period():
    ramp = CommandInterpolator([0.0], period_s=0.01)
    ramp.command(1.0, [1.0])
    assert np.allclose(ramp.target(1.005), [0.5])
    assert np.allclose(ramp.target(1.01), [1.0])
    assert np.allclose(ramp.target(9.0), [1.0])


def test_a_burst_of_commands_is_not_a_jump():
    ramp = CommandInterpolator([0.0], period_s=0.01)
    ramp.command(1.0, [1.0])
    ramp.command(1.001, [2.0])  # delivered late, right behind the previous one
    assert ramp.target(1.001)[0] == pytest.approx(0.1)
    assert ramp.target(1.006)[0] == pytest.approx(0.1 + 0.5 * 1.9)


def test_new_command_starts_from_the_current_ramp_point():
    ramp = CommandInterpolator([0.0], period_s=0.01)
    ramp.command(0.0, [1.0])
    ramp.command(0.005, [0.0])  # half-way up, turn back
    assert np.allclose(ramp.target(0.005), [0.5])
    assert ramp.target(0.0075)[0] < 0.5


def test_rejects_a_bad_period():
    with pytest.raises(ValueError):
        CommandInterpolator([0.0], period_s=0.0)
