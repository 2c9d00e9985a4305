import numpy as np
import pytest

from griptalk.grasping.heuristic import score, score_grasp
from griptalk.skills.grasps import GraspCandidate, grasp_candidates
from griptalk.types import SceneObject

CUBE = SceneObject("red_cube", "cube", "red", [0.5, 0.1, 0.0225], yaw=np.radians(20), size=[0.045] * 3)


def grasp(yaw=CUBE.yaw, offset=(0.0, 0.0), z=0.03, width=0.06):
    return GraspCandidate([0.5 + offset[0], 0.1 + offset[1], z], yaw, width)


def test_scores_lie_in_unit_interval():
    values = score(CUBE, grasp_candidates(CUBE, n=32))
    assert values.shape == (32,)
    assert np.all((values >= 0.0) & (values <= 1.0))
    assert values.max() > 0.9


def test_prefers_aligned_grasps():
    aligned = score_grasp(CUBE, grasp())
    assert aligned == pytest.approx(1.0)
    assert score_grasp(CUBE, grasp(yaw=CUBE.yaw + np.pi / 2)) == pytest.approx(aligned)
    assert score_grasp(CUBE, grasp(yaw=CUBE.yaw + np.radians(15))) < aligned
    assert score_grasp(CUBE, grasp(yaw=CUBE.yaw + np.pi / 4)) == pytest.approx(0.0, abs=1e-9)


def test_prefers_centred_grasps():
    values = [score_grasp(CUBE, grasp(offset=(d, 0.0))) for d in (0.0, 0.005, 0.01, 0.03)]
    assert values[0] > values[1] > values[2] > values[3] == 0.0


def test_width_must_clear_the_object_and_fit_the_gripper():
    assert score_grasp(CUBE, grasp(width=0.044)) == 0.0
    assert score_grasp(CUBE, grasp(width=0.05)) < score_grasp(CUBE, grasp(width=0.06))
    wide = SceneObject("box", "box", "blue", [0.5, 0.1, 0.04], size=[0.09, 0.09, 0.08])
    assert score_grasp(wide, GraspCandidate([0.5, 0.1, 0.065], 0.0, 0.08)) == 0.0


def test_depth_below_the_top():
    good = score_grasp(CUBE, grasp(z=0.03))
    assert score_grasp(CUBE, grasp(z=0.0445)) < good  # barely touching the top
    assert score_grasp(CUBE, grasp(z=0.005)) == 0.0  # fingertips in the table
    tall = SceneObject("duck", "duck", "", [0.5, 0.1, 0.06], size=[0.05, 0.05, 0.12])
    assert score_grasp(tall, GraspCandidate([0.5, 0.1, 0.07], 0.3, 0.065)) == 0.0  # palm hits the top
    assert score_grasp(tall, GraspCandidate([0.5, 0.1, 0.105], 0.3, 0.065)) == pytest.approx(1.0)
