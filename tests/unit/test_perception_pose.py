"""Pose: rotated-rectangle footprint, top-face height, yaw folded by symmetry."""
import numpy as np
import pytest

from griptalk.perception.pose import fit_box, object_yaw_and_size, rest_on_supports, symmetric_yaw, wrap_angle
from griptalk.perception.segmentation import SegmentationConfig, segment
from tests.unit.perception_synthetic import Box, cube, default_camera, render

CAMERA = default_camera()


def only_blob(boxes):
    rgb, depth = render(CAMERA, boxes)
    blobs = segment(rgb, depth, CAMERA, SegmentationConfig())
    assert len(blobs) == 1
    return blobs[0]


@pytest.mark.parametrize("x, y, yaw_deg", [(0.5, 0.1, 0.0), (0.4, -0.25, 20.0), (0.7, 0.3, 40.0), (0.6, 0.0, -30.0)])
def test_cube_centre_and_yaw_come_from_the_footprint_not_the_visible_points(x, y, yaw_deg):
    blob = only_blob([cube(x, y, (0.85, 0.1, 0.1), yaw=np.radians(yaw_deg))])
    box = on_table(fit_box(blob.points))
    np.testing.assert_allclose(box.center, [x, y, 0.0225], atol=0.003)
    np.testing.assert_allclose(box.size, [0.045, 0.045, 0.045], atol=0.004)
    error = symmetric_yaw(box.yaw_rad - np.radians(yaw_deg), 4)
    assert abs(np.degrees(error)) < 3.0
    # The visible points lean toward the camera (+x): the centroid is off, the box is not.
    assert blob.points[:, 0].mean() > x + 0.003


def test_long_side_gives_the_yaw_of_a_rectangle():
    yaw = np.radians(25.0)
    blob = only_blob([Box((0.55, -0.1, 0.03), (0.20, 0.08, 0.06), (0.1, 0.25, 0.85), yaw)])
    seen = fit_box(blob.points)
    assert 0.004 < seen.bottom_z < 0.012  # the lowest millimetres are not foreground
    box = on_table(seen)
    assert box.size[0] == pytest.approx(0.20, abs=0.005)
    assert box.size[1] == pytest.approx(0.08, abs=0.005)
    assert box.top_z == pytest.approx(0.06, abs=0.001)
    assert box.bottom_z == 0.0
    assert abs(np.degrees(wrap_angle(box.yaw_rad - yaw, np.pi))) < 2.0
    assert box.footprint_fill == pytest.approx(1.0, abs=0.05)


def on_table(box):
    return rest_on_supports([box], [None])[0]


def test_an_object_standing_on_another_keeps_its_own_bottom():
    upper = cube(0.5, 0.0, (0.85, 0.1, 0.1), z0=0.045)
    box = fit_box(only_blob([upper]).points)
    assert box.bottom_z == pytest.approx(0.045, abs=0.004)
    assert box.center[2] == pytest.approx(0.0675, abs=0.003)


def test_to_local_xy_puts_the_long_side_on_x():
    box = fit_box(only_blob([Box((0.5, 0.0, 0.03), (0.2, 0.08, 0.06), (0.1, 0.25, 0.85), np.pi / 2)]).points)
    local = box.to_local_xy(np.array([[0.5, 0.09]]))
    assert abs(local[0, 0]) == pytest.approx(0.09, abs=0.002)
    assert abs(local[0, 1]) < 0.002


def test_a_front_facing_the_robot_picks_the_footprint_axis_toward_it():
    # A 0.30 (along y) x 0.28 (along x) cabinet at +x whose front faces the robot (yaw 180 deg).
    box = on_table(fit_box(only_blob([Box((0.6, 0.0, 0.06), (0.28, 0.30, 0.12), (0.76, 0.6, 0.42))]).points))
    yaw, size = object_yaw_and_size(box, 1, facing_xy=(0.0, 0.0))
    assert abs(np.degrees(wrap_angle(yaw - np.pi, 2 * np.pi))) < 2.0
    np.testing.assert_allclose(size, [0.28, 0.30, 0.12], atol=0.005)


def test_symmetric_yaw():
    assert np.degrees(symmetric_yaw(np.radians(100.0), 4)) == pytest.approx(10.0)
    assert np.degrees(symmetric_yaw(np.radians(-50.0), 4)) == pytest.approx(40.0)
    assert np.degrees(symmetric_yaw(np.radians(100.0), 2)) == pytest.approx(-80.0)
    assert symmetric_yaw(1.0, 0) == 0.0
    assert symmetric_yaw(1.0, 1) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        symmetric_yaw(1.0, -1)


def test_too_few_points_are_rejected():
    with pytest.raises(ValueError):
        fit_box(np.zeros((2, 3)))


def test_a_cabinet_with_its_drawer_out_gives_the_cabinet_and_the_opening():
    from griptalk.perception.pose import BoxFit, cabinet_pose

    # Cabinet (0.20 deep) at x = 0.62 facing -x, drawer 0.12 out: the footprint spans x 0.40..0.72.
    seen = BoxFit(np.array([0.56, 0.30, 0.06]), 0.0, np.array([0.32, 0.30, 0.12]), 1.0)
    centre, size, opening = cabinet_pose(seen, np.pi, np.array([0.32, 0.30, 0.12]), 0.20)
    np.testing.assert_allclose(centre, [0.62, 0.30, 0.06], atol=1e-9)
    np.testing.assert_allclose(size, [0.20, 0.30, 0.12])
    assert opening == pytest.approx(0.12)
    assert cabinet_pose(seen, np.pi, np.array([0.19, 0.30, 0.12]), 0.20)[2] == 0.0
    # The shut drawer's front panel, 1.5 cm proud of the cabinet, is not an opening.
    assert cabinet_pose(seen, np.pi, np.array([0.215, 0.30, 0.12]), 0.20, front_m=0.015)[2] == pytest.approx(0.0)
    assert cabinet_pose(seen, np.pi, np.array([0.32, 0.30, 0.12]), 0.20, front_m=0.015)[2] == pytest.approx(0.105)
    with pytest.raises(ValueError):
        cabinet_pose(seen, np.pi, np.array([0.32, 0.30, 0.12]), 0.0)
