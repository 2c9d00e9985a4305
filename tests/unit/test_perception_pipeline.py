"""The whole pipeline on synthetic frames: scene graph, ids across frames, configuration."""
import numpy as np
import pytest

from griptalk.perception import PerceptionConfig, PerceptionPipeline
from griptalk.perception.detector import Detection
from griptalk.perception.pipeline import carve_detections
from griptalk.perception.pose import fit_box
from griptalk.perception.segmentation import SegmentationConfig, segment
from griptalk.perception.tracker import TrackerConfig
from tests.unit.perception_synthetic import cube, default_camera, open_box, render

CAMERA = default_camera()
RED, BLUE, GREEN = (0.85, 0.10, 0.10), (0.10, 0.25, 0.85), (0.10, 0.65, 0.15)


def test_a_frame_becomes_a_scene_graph():
    rgb, depth = render(CAMERA, [cube(0.45, 0.10, RED, yaw=0.26), cube(0.40, -0.12, BLUE)]
                        + open_box(0.62, -0.05, (0.22, 0.16, 0.08), GREEN, yaw=0.5))
    graph = PerceptionPipeline().process(rgb, depth, CAMERA, stamp_s=12.5)
    assert graph.stamp_s == 12.5 and graph.drawer_opening_m == 0.0
    assert sorted(o.id for o in graph.objects) == ["blue_cube", "green_box", "red_cube"]
    red = graph.get("red_cube")
    np.testing.assert_allclose(red.position, [0.45, 0.10, 0.0225], atol=0.003)
    assert np.degrees(red.yaw) == pytest.approx(np.degrees(0.26), abs=3.0)
    assert np.degrees(graph.get("green_box").yaw) == pytest.approx(np.degrees(0.5), abs=3.0)
    assert graph.has_relation("red_cube", "left_of", "blue_cube")


def test_a_cube_in_a_box_is_in_it():
    rgb, depth = render(CAMERA, [cube(0.55, 0.0, RED, z0=0.006)] + open_box(0.55, 0.0, (0.22, 0.16, 0.08), GREEN))
    graph = PerceptionPipeline().process(rgb, depth, CAMERA, 0.0)
    assert graph.has_relation("red_cube", "in", "green_box")
    assert graph.get("red_cube").position[2] == pytest.approx(0.0285, abs=0.003)


def image_box(x, y, z0, edge=0.045):
    """The image box around a cube standing at (x, y) on height z0."""
    h = edge / 2
    corners = np.array([[x + dx, y + dy, z] for dx in (-h, h) for dy in (-h, h) for z in (z0, z0 + edge)])
    uv = CAMERA.project(corners)
    return np.concatenate([uv.min(axis=0), uv.max(axis=0)])


def test_a_detection_inside_another_blob_is_carved_out_of_it():
    # Same colour, standing on the floor: neither colour nor depth separates the cube from the box.
    rgb, depth = render(CAMERA, [cube(0.55, 0.0, GREEN, z0=0.006)] + open_box(0.55, 0.0, (0.22, 0.16, 0.08), GREEN))
    blobs = segment(rgb, depth, CAMERA, SegmentationConfig())
    assert len(blobs) == 1
    carved, labels = carve_detections(blobs, [None], [Detection("cube", 0.9, image_box(0.55, 0.0, 0.006))], 0.01, 60)
    assert len(carved) == 2 and labels[0] is None and labels[1].object_class == "cube"
    footprint = fit_box(carved[1].points)
    np.testing.assert_allclose(footprint.center[:2], [0.55, 0.0], atol=0.005)
    np.testing.assert_allclose(footprint.size[:2], [0.045, 0.045], atol=0.005)
    assert len(carved[0]) + len(carved[1]) == len(blobs[0])


def test_nothing_is_carved_where_nothing_stands_out():
    rgb, depth = render(CAMERA, open_box(0.55, 0.0, (0.22, 0.16, 0.08), GREEN))
    blobs = segment(rgb, depth, CAMERA, SegmentationConfig())
    carved, labels = carve_detections(blobs, [None], [Detection("cube", 0.9, image_box(0.55, 0.0, 0.006))], 0.01, 60)
    assert [len(b) for b in carved] == [len(blobs[0])] and labels == [None]


class FixedDetector:
    """Stands in for the trained detector: the same detections for every frame."""

    classes = ("cube", "bowl", "box", "drawer", "handle", "duck", "mug", "lego")

    def __init__(self, detections):
        self.detections = detections

    def detect(self, rgb, depth, camera, points=None):
        return list(self.detections)


def test_the_pipeline_finds_a_detected_cube_that_depth_and_colour_do_not_separate():
    rgb, depth = render(CAMERA, [cube(0.55, 0.0, GREEN, z0=0.006)] + open_box(0.55, 0.0, (0.22, 0.16, 0.08), GREEN))
    (whole,) = segment(rgb, depth, CAMERA, SegmentationConfig())
    box = Detection("box", 0.9, np.array([whole.cols.min(), whole.rows.min(), whole.cols.max() + 1, whole.rows.max() + 1]))
    cube_box = image_box(0.55, 0.0, 0.006)
    # A second, less sure class for the same cube must not make a second object.
    detector = FixedDetector([box, Detection("cube", 0.8, cube_box), Detection("duck", 0.6, cube_box + 1.0)])
    graph = PerceptionPipeline(PerceptionConfig(), detector).process(rgb, depth, CAMERA, 0.0)
    assert sorted(o.id for o in graph.objects) == ["green_box", "green_cube"]
    np.testing.assert_allclose(graph.get("green_cube").position, [0.55, 0.0, 0.0285], atol=0.004)
    assert graph.has_relation("green_cube", "in", "green_box")


def test_ids_persist_and_a_vanished_object_goes_stale():
    pipeline = PerceptionPipeline(PerceptionConfig(tracker=TrackerConfig(stale_after_frames=1)))
    both = render(CAMERA, [cube(0.45, 0.10, RED), cube(0.45, -0.10, RED)])
    first = pipeline.process(*both, CAMERA, 0.0)
    assert sorted(o.id for o in first.objects) == ["red_cube", "red_cube_2"]
    kept = next(o for o in first.objects if o.position[1] < 0)
    second = pipeline.process(*render(CAMERA, [cube(0.45, -0.10, RED)]), CAMERA, 1.0)
    gone = ({"red_cube", "red_cube_2"} - {kept.id}).pop()
    assert {o.id: o.stale for o in second.objects} == {kept.id: False, gone: True}
    assert second.relations == []  # stale objects take part in no relation
    pipeline.reset()
    assert pipeline.process(*render(CAMERA, []), CAMERA, 2.0).objects == []


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        PerceptionConfig(min_shape_confidence=1.5)
    with pytest.raises(ValueError):
        PerceptionConfig(max_hidden_height_m=0.0)
    with pytest.raises(ValueError):
        PerceptionConfig(carve_height_m=0.0)
