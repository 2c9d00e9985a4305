"""Segmentation: foreground above the table, robot excluded, blobs split along depth jumps and colours."""
import numpy as np
import pytest

from griptalk.perception.segmentation import SegmentationConfig, base_frame_points, segment
from tests.unit.perception_synthetic import Box, cube, default_camera, open_box, render

RED, GREEN, BLUE = (0.85, 0.10, 0.10), (0.10, 0.65, 0.15), (0.10, 0.25, 0.85)
CAMERA = default_camera()
CONFIG = SegmentationConfig()


def blobs_of(boxes, config=CONFIG):
    rgb, depth = render(CAMERA, boxes)
    return segment(rgb, depth, CAMERA, config)


def mean_rgb(blob):
    return blob.rgb.astype(float).mean(axis=0)


def test_table_points_lie_on_the_table_plane():
    _, depth = render(CAMERA, [])
    points = base_frame_points(depth, CAMERA)
    assert np.nanmax(np.abs(points[..., 2])) < 1e-4


def test_empty_table_has_no_blobs():
    assert blobs_of([]) == []


def test_separate_cubes_give_one_blob_each_with_their_points():
    blobs = blobs_of([cube(0.5, 0.15, RED), cube(0.45, -0.15, BLUE)])
    assert len(blobs) == 2
    for blob in blobs:
        assert len(blob) > 200
        assert blob.points[:, 2].max() == pytest.approx(0.045, abs=1e-3)
        assert blob.points[:, 2].min() > CONFIG.min_height_m
        assert blob.rgb.shape == (len(blob), 3) and blob.rgb.dtype == np.uint8


def test_robot_and_things_high_above_the_table_are_not_objects():
    near_base = cube(0.12, 0.0, RED)
    arm_link = Box((0.55, 0.0, 0.45), (0.08, 0.08, 0.15), (0.9, 0.9, 0.9))
    assert blobs_of([near_base, arm_link]) == []


def test_objects_off_the_table_area_are_ignored():
    config = SegmentationConfig(table_y_range_m=(-0.2, 0.2))
    assert len(blobs_of([cube(0.5, 0.3, RED), cube(0.5, 0.0, BLUE)], config)) == 1


def test_touching_cubes_of_different_colours_are_split():
    blobs = blobs_of([cube(0.5, 0.0225, RED), cube(0.5, -0.0225, GREEN)])
    assert len(blobs) == 2
    reds = [b for b in blobs if mean_rgb(b)[0] > mean_rgb(b)[1]]
    assert len(reds) == 1
    assert np.all(reds[0].points[:, 1] > -0.002)


def test_cube_in_a_container_is_its_own_blob():
    blobs = blobs_of([cube(0.55, 0.0, RED, z0=0.006)] + open_box(0.55, 0.0, (0.16, 0.16, 0.05), GREEN))
    assert len(blobs) == 2
    red = max(blobs, key=lambda b: mean_rgb(b)[0] - mean_rgb(b)[1])
    assert red.points[:, 2].max() == pytest.approx(0.051, abs=1e-3)
    assert np.abs(red.points[:, :2] - [0.55, 0.0]).max() < 0.035


def test_an_occluding_object_is_cut_from_the_one_behind_it():
    # Same colour, touching in the image only: the near cube hides the tall box's lower part.
    tall = Box((0.40, 0.0, 0.06), (0.05, 0.05, 0.12), BLUE)
    blobs = blobs_of([tall, cube(0.50, 0.0, BLUE)])
    assert sorted(round(float(b.points[:, 2].max()), 3) for b in blobs) == [0.045, 0.12]


def test_tiny_blobs_are_dropped():
    assert blobs_of([cube(0.5, 0.0, RED, edge=0.008)]) == []


@pytest.mark.parametrize("change", [
    {"table_x_range_m": (0.9, 0.2)}, {"min_height_m": 0.5}, {"robot_radius_m": -0.1},
    {"depth_jump_m": 0.0}, {"min_blob_px": 0}, {"split_chromaticity": 1.5}])
def test_config_rejects_bad_values(change):
    with pytest.raises(ValueError):
        SegmentationConfig(**change)


def test_depth_of_the_wrong_size_is_rejected():
    rgb, depth = render(CAMERA, [])
    with pytest.raises(ValueError, match="depth image"):
        segment(rgb, depth[:100], CAMERA, CONFIG)
