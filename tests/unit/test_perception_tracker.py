"""Tracker: ids like scene files, stable across frames, stale then dropped when unseen."""
import numpy as np
import pytest

from griptalk.perception.tracker import ObjectTracker, TrackerConfig
from griptalk.types import SceneObject


def det(object_class, color, x, y):
    return SceneObject("", object_class, color, np.array([x, y, 0.02]))


def ids(objects):
    return [o.id for o in objects]


def test_ids_follow_the_scene_file_convention():
    tracker = ObjectTracker(TrackerConfig())
    out = tracker.update([det("cube", "red", 0.5, 0.0), det("cube", "red", 0.4, 0.2), det("duck", "", 0.6, 0.1)])
    assert ids(out) == ["duck", "red_cube", "red_cube_2"]


def test_ids_stay_with_their_objects_when_they_move_a_little():
    tracker = ObjectTracker(TrackerConfig())
    frame = [det("cube", "red", 0.5, 0.0), det("cube", "red", 0.4, 0.2)]
    first = {o.id: o.position[:2].copy() for o in tracker.update(frame)}
    out = tracker.update([det("cube", "red", 0.41, 0.21), det("cube", "red", 0.51, 0.0)])  # other order
    for o in out:
        assert np.linalg.norm(o.position[:2] - first[o.id]) < 0.02


def test_an_object_moved_out_of_sight_keeps_its_id():
    tracker = ObjectTracker(TrackerConfig(stale_after_frames=1))
    tracker.update([det("cube", "red", 0.5, 0.0)])
    assert tracker.update([])[0].stale
    out = tracker.update([det("cube", "red", 0.3, -0.2)])
    assert ids(out) == ["red_cube"] and not out[0].stale
    assert out[0].position[0] == pytest.approx(0.3)


def test_unseen_objects_go_stale_then_disappear():
    tracker = ObjectTracker(TrackerConfig(stale_after_frames=2, drop_after_frames=4))
    tracker.update([det("cube", "red", 0.5, 0.0), det("cube", "blue", 0.4, 0.0)])
    blue_only = [det("cube", "blue", 0.4, 0.0)]
    assert [o.stale for o in tracker.update(blue_only)] == [False, False]
    out = tracker.update(blue_only)
    assert {o.id: o.stale for o in out} == {"blue_cube": False, "red_cube": True}
    tracker.update(blue_only)
    assert ids(tracker.update(blue_only)) == ["blue_cube"]


def test_a_freed_id_is_reused_and_reset_forgets_everything():
    tracker = ObjectTracker(TrackerConfig(stale_after_frames=1, drop_after_frames=1))
    tracker.update([det("cube", "red", 0.5, 0.0), det("cube", "red", 0.4, 0.2)])
    assert ids(tracker.update([det("cube", "red", 0.4, 0.2)])) == ["red_cube_2"]
    again = [det("cube", "red", 0.4, 0.2), det("cube", "red", 0.6, 0.0)]
    assert ids(tracker.update(again)) == ["red_cube", "red_cube_2"]
    tracker.reset()
    assert tracker.update([]) == []


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        TrackerConfig(match_distance_m=0.0)
    with pytest.raises(ValueError):
        TrackerConfig(stale_after_frames=5, drop_after_frames=2)
