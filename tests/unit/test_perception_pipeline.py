"""The whole pipeline on synthetic frames: scene graph, ids across frames, configuration."""
import numpy as np
import pytest

from griptalk.perception import PerceptionConfig, PerceptionPipeline
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
