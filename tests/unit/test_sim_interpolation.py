import numpy as np
import pytest

from griptalk_sim.interpolation import CommandInterpolator


def test_holds_initial_position_until_commanded():
    ramp = CommandInterpolator([0.0, 1.0])
    assert np.allclose(ramp.target(5.0), [0.0, 1.0])


def test_ramps_over_the_observed_command_period():
    ramp = CommandInterpolator([0.0])
    ramp.command(0.0, [0.0])
    ramp.command(0.01, [1.0])  # commands 10 ms apart
    assert np.allclose(ramp.target(0.015), [0.5])
    assert np.allclose(ramp.target(0.02), [1.0])
    assert np.allclose(ramp.target(1.0), [1.0])


def test_new_command_starts_from_the_current_ramp_point():
    ramp = CommandInterpolator([0.0])
    ramp.command(0.0, [0.0])
    ramp.command(0.01, [1.0])
    ramp.command(0.015, [0.0])  # half-way up, turn back
    assert np.allclose(ramp.target(0.015), [0.5])
    assert ramp.target(0.0175)[0] < 0.5


def test_long_gaps_are_capped():
    ramp = CommandInterpolator([0.0], max_period_s=0.05)
    ramp.command(0.0, [0.0])
    ramp.command(10.0, [1.0])
    assert np.allclose(ramp.target(10.05), [1.0])


def test_rejects_bad_periods():
    with pytest.raises(ValueError):
        CommandInterpolator([0.0], min_period_s=0.1, max_period_s=0.01)
