"""Shape classification from geometry, and the support reasoning that measures heights."""
import numpy as np
import pytest

from griptalk.perception.pose import fit_box, rest_on_supports
from griptalk.perception.segmentation import SegmentationConfig, segment
from griptalk.perception.shapes import (DEFAULT_PROTOTYPES, ShapeConfig, ShapePrototype, classify_shape,
                                        floor_height, hollowness, shape_features)
from tests.unit.perception_synthetic import Box, cube, default_camera, open_box, render

CAMERA = default_camera()
CONFIG = ShapeConfig()
GREEN = (0.10, 0.65, 0.15)


def blob_and_box(boxes):
    rgb, depth = render(CAMERA, boxes)
    (blob,) = segment(rgb, depth, CAMERA, SegmentationConfig())
    return blob, rest_on_supports([fit_box(blob.points)], [None])[0]


@pytest.mark.parametrize("prototype", DEFAULT_PROTOTYPES, ids=lambda p: p.object_class)
def test_each_prototype_is_its_own_best_match(prototype):
    features = np.array([prototype.long_m, prototype.short_m, prototype.height_m, prototype.hollowness,
                         prototype.footprint_fill])
    best, confidence = classify_shape(features, CONFIG)
    assert best.object_class == prototype.object_class
    assert confidence > 0.8


def test_a_rendered_cube_is_a_cube_and_an_open_box_a_box():
    blob, box = blob_and_box([cube(0.5, 0.0, GREEN, yaw=0.4)])
    assert classify_shape(shape_features(blob.points, box, CONFIG), CONFIG)[0].object_class == "cube"
    blob, box = blob_and_box(open_box(0.55, 0.0, (0.22, 0.16, 0.08), GREEN, yaw=0.3))
    features = shape_features(blob.points, box, CONFIG)
    assert features[3] > 0.8  # hollow: the floor shows in the middle
    assert classify_shape(features, CONFIG)[0].object_class == "box"


def test_hollowness_and_floor_of_a_container():
    blob, box = blob_and_box(open_box(0.55, 0.0, (0.16, 0.16, 0.05), GREEN))
    assert hollowness(blob.points, box, 0.5) > 0.8
    assert floor_height(blob.points, box, 0.5) == pytest.approx(0.006, abs=0.002)
    solid, solid_box = blob_and_box([cube(0.5, 0.0, GREEN)])
    assert hollowness(solid.points, solid_box, 0.5) < 0.05


def test_something_that_fits_no_prototype_has_low_confidence():
    big_slab = np.array([0.5, 0.4, 0.01, 0.0, 1.0])
    assert classify_shape(big_slab, CONFIG)[1] < 0.1
    assert classify_shape(np.array([0.0, 0.0, 0.0, 0.0, 1.0]), CONFIG)[1] == 0.0


def test_objects_rest_on_their_support():
    lower = fit_box(blob_and_box([cube(0.5, 0.0, GREEN)])[0].points)
    upper_seen = fit_box(blob_and_box([cube(0.5, 0.0, GREEN, z0=0.045)])[0].points)
    lower, upper = rest_on_supports([lower, upper_seen], [None, None])
    assert lower.bottom_z == 0.0 and upper.bottom_z == pytest.approx(0.045, abs=0.002)
    # In a container it stands on the floor, however little of it is seen.
    container = fit_box(blob_and_box(open_box(0.5, 0.0, (0.16, 0.16, 0.05), GREEN))[0].points)
    half_hidden = Box((0.5, 0.0, 0.045), (0.045, 0.045, 0.02), GREEN)
    inside = fit_box(blob_and_box([half_hidden])[0].points)
    _, inside = rest_on_supports([container, inside], [0.006, None])
    assert inside.bottom_z == pytest.approx(0.006) and inside.size[2] == pytest.approx(0.049, abs=0.002)


@pytest.mark.parametrize("bad", [
    dict(object_class="", long_m=0.1, short_m=0.1, height_m=0.1, hollowness=0, footprint_fill=1, yaw_symmetry=1),
    dict(object_class="x", long_m=0.1, short_m=0.2, height_m=0.1, hollowness=0, footprint_fill=1, yaw_symmetry=1),
    dict(object_class="x", long_m=0.1, short_m=0.1, height_m=0.1, hollowness=2, footprint_fill=1, yaw_symmetry=1),
    dict(object_class="x", long_m=0.1, short_m=0.1, height_m=0.1, hollowness=0, footprint_fill=1, yaw_symmetry=-1),
])
def test_bad_prototypes_are_rejected(bad):
    with pytest.raises(ValueError):
        ShapePrototype(**bad)


def test_bad_shape_config_is_rejected():
    with pytest.raises(ValueError, match="unique"):
        ShapeConfig(prototypes=DEFAULT_PROTOTYPES + DEFAULT_PROTOTYPES[:1])
    with pytest.raises(ValueError):
        ShapeConfig(prototypes=())
    with pytest.raises(ValueError):
        ShapeConfig(hollow_threshold=1.0)
