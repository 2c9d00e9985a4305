import numpy as np
import pytest

from griptalk.camera import quat_to_matrix
from griptalk.robot import GRIPPER_MAX_WIDTH_M
from griptalk.skills.grasps import (MAX_TILT_RAD, NOMINAL_TILT_RAD, GraspCandidate, grasp_candidates,
                                    grasp_orientation, hand_tilt, min_tcp_z, normalize_yaw, twin_tilt, wrist_yaw)
from griptalk.types import SceneObject


def cube(yaw=0.0, position=(0.5, 0.1, 0.0225)):
    return SceneObject("red_cube", "cube", "red", position, yaw=yaw, size=[0.045] * 3)


def angle_mod(a, period):
    return abs((a + period / 2) % period - period / 2)


def test_orientation_points_down_and_closes_across_the_yaw():
    rotation = quat_to_matrix(grasp_orientation(0.4))
    np.testing.assert_allclose(rotation[:, 2], [0, 0, -1], atol=1e-9)
    np.testing.assert_allclose(rotation[:, 0], [np.cos(0.4), np.sin(0.4), 0], atol=1e-9)
    candidate = GraspCandidate([0.5, 0, 0.03], 0.4, 0.06)
    np.testing.assert_allclose(candidate.closing_direction, rotation[:2, 1], atol=1e-9)
    assert wrist_yaw(grasp_orientation(0.4)) == pytest.approx(0.4)


def test_tilt_leans_the_approach_about_the_level_closing_axis():
    yaw, tilt = 0.4, np.radians(30)
    rotation = quat_to_matrix(grasp_orientation(yaw, tilt))
    candidate = GraspCandidate([0.5, 0, 0.03], yaw, 0.06, tilt)
    np.testing.assert_allclose(rotation[:, 2], candidate.approach_direction, atol=1e-9)
    assert candidate.approach_direction[2] == pytest.approx(-np.cos(tilt))
    np.testing.assert_allclose(candidate.approach_direction[:2] / np.sin(tilt), [np.cos(yaw), np.sin(yaw)], atol=1e-9)
    np.testing.assert_allclose(rotation[:2, 1], candidate.closing_direction, atol=1e-9)  # fingers close level
    assert rotation[2, 1] == pytest.approx(0.0, abs=1e-12)
    assert wrist_yaw(candidate.orientation) == pytest.approx(yaw)
    assert hand_tilt(candidate.orientation) == pytest.approx(tilt)
    np.testing.assert_allclose(candidate.pre_grasp(0.1), candidate.position - 0.1 * candidate.approach_direction)
    # The half-turn twin with the tilt reversed is the same grasp: same approach axis, fingers swapped.
    twin = quat_to_matrix(grasp_orientation(yaw + np.pi, twin_tilt(tilt, yaw, yaw + np.pi)))
    np.testing.assert_allclose(twin[:, 2], rotation[:, 2], atol=1e-9)
    np.testing.assert_allclose(twin[:, :2], -rotation[:, :2], atol=1e-9)
    # Tilting lowers one corner of the pads: the TCP must stay higher.
    assert min_tcp_z(0.0) < min_tcp_z(np.radians(20)) < min_tcp_z(MAX_TILT_RAD)
    assert min_tcp_z(-MAX_TILT_RAD) == pytest.approx(min_tcp_z(MAX_TILT_RAD))


def test_normalize_yaw_stays_within_a_quarter_turn_of_the_wrist():
    for yaw in np.linspace(-4, 4, 17):
        for reference in (-2.0, 0.0, 1.3):
            out = normalize_yaw(yaw, reference)
            assert abs(out - reference) <= np.pi / 2 + 1e-9
            assert angle_mod(out - yaw, np.pi) < 1e-9


def test_candidates_for_a_rotated_cube_align_with_its_faces():
    obj = cube(yaw=np.radians(25))
    candidates = grasp_candidates(obj, n=16)
    assert len(candidates) == 16
    for c in candidates:
        assert angle_mod(c.yaw - obj.yaw, np.pi / 2) < 1e-9
        assert abs(c.yaw) <= np.pi / 2 + 1e-9
        assert np.linalg.norm(c.position[:2] - obj.position[:2]) <= 0.005 * np.sqrt(2) + 1e-9
        assert 0.010 - 1e-9 <= obj.top_z - c.position[2] <= 0.020 + 1e-9
        assert 0.045 < c.width_m <= GRIPPER_MAX_WIDTH_M
    yaws = {round(c.yaw, 6) for c in candidates}
    assert len(yaws) == 2  # both pairs of faces
    assert np.allclose(candidates[0].position[:2], obj.position[:2])  # nominal first
    # Top-down first, then tilted both ways, for each pair of faces.
    np.testing.assert_allclose([c.tilt for c in candidates[:6]], np.array([0, 0, 1, 1, -1, -1]) * NOMINAL_TILT_RAD)
    assert {round(c.tilt, 6) for c in candidates[6:]} <= {0.0, round(NOMINAL_TILT_RAD, 6), round(-NOMINAL_TILT_RAD, 6)}


def test_candidates_close_across_the_narrow_side_and_skip_too_wide_sides():
    bar = SceneObject("lego", "lego", "blue", [0.5, 0.0, 0.015], yaw=0.0, size=[0.12, 0.03, 0.03])
    candidates = grasp_candidates(bar, n=4)
    for c in candidates:
        assert abs(c.closing_direction[1]) == pytest.approx(1.0)  # across y, the 3 cm side
        assert c.width_m < 0.05
        assert c.position[2] >= 0.005


def test_too_wide_object_gets_no_candidates_and_flat_ones_stay_above_the_table():
    bowl = SceneObject("bowl", "bowl", "green", [0.5, 0.0, 0.025], size=[0.14, 0.14, 0.05])
    assert grasp_candidates(bowl) == []
    flat = SceneObject("tile", "lego", "red", [0.5, 0.0, 0.004], size=[0.03, 0.03, 0.008])
    assert all(c.position[2] >= 0.005 for c in grasp_candidates(flat))


def test_candidates_repeat_with_the_same_rng_and_validate():
    a = grasp_candidates(cube(), rng=np.random.default_rng(5))
    b = grasp_candidates(cube(), rng=np.random.default_rng(5))
    assert all(np.array_equal(x.position, y.position) for x, y in zip(a, b))
    with pytest.raises(ValueError):
        GraspCandidate([0.5, 0, 0.03], 0.0, 0.1)
    with pytest.raises(ValueError):
        GraspCandidate([0.5, 0, 0.03], 0.0, 0.05, tilt=MAX_TILT_RAD + 0.1)
    with pytest.raises(ValueError):
        grasp_candidates(SceneObject("x", "cube", "red", [0.5, 0, 0.02]))
