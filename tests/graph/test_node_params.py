"""A node started with a bad parameter stops with one line naming it, not a stack trace."""
from __future__ import annotations

import subprocess

import pytest

from tests.support import BIN

pytestmark = pytest.mark.graph


@pytest.mark.parametrize("parameter, message", [
    ("detector_precision:=half", "precision must be one of auto, float32, bfloat16, got 'half'"),
    ("detector_weights:=/nonexistent/detector.pt", "detector weights not found: /nonexistent/detector.pt"),
    ("detector_min_confidence:=5.0", "detector_min_confidence out of range Min: 0.01, Max: 0.99"),
])
def test_the_perception_node_refuses_a_bad_parameter_in_one_line(ros_env, parameter, message):
    done = subprocess.run([str(BIN / "perception_node"), "--ros-args", "-p", parameter],
                          env=ros_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr
