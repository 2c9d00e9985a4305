"""Relations from object boxes: on, in, directions from the robot's point of view, near."""
import numpy as np
import pytest

from griptalk.perception.relations import RelationConfig, compute_relations, support_relation
from griptalk.types import SceneObject

CONFIG = RelationConfig()


def obj(object_id, object_class, x, y, z, size, yaw=0.0):
    return SceneObject(object_id, object_class, "red", np.array([x, y, z]), yaw, np.array(size))


CUBE = (0.045, 0.045, 0.045)
BOWL = (0.16, 0.16, 0.051)


def relations(*objects):
    return {(r.subject, r.relation, r.object) for r in compute_relations(list(objects), CONFIG)}


def test_directions_are_the_robots():
    a = obj("a", "cube", 0.50, 0.20, 0.0225, CUBE)  # left of and behind b
    b = obj("b", "cube", 0.40, 0.00, 0.0225, CUBE)
    rel = relations(a, b)
    assert {("a", "left_of", "b"), ("b", "right_of", "a"), ("a", "behind", "b"), ("b", "in_front_of", "a")} <= rel
    assert not {("a", "right_of", "b"), ("a", "in_front_of", "b")} & rel


def test_small_offsets_give_no_direction():
    rel = relations(obj("a", "cube", 0.50, 0.01, 0.0225, CUBE), obj("b", "cube", 0.60, 0.0, 0.0225, CUBE))
    assert not any(r[1] in ("left_of", "right_of") for r in rel)
    assert ("a", "in_front_of", "b") in rel


def test_near_is_symmetric_and_depends_on_the_gap():
    rel = relations(obj("a", "cube", 0.50, 0.0, 0.0225, CUBE), obj("b", "cube", 0.50, 0.10, 0.0225, CUBE),
                    obj("c", "cube", 0.50, 0.30, 0.0225, CUBE))
    assert {("a", "near", "b"), ("b", "near", "a")} <= rel
    assert ("a", "near", "c") not in rel


def test_cube_in_a_bowl_is_in_it_and_nothing_else():
    bowl = obj("bowl", "bowl", 0.55, 0.0, 0.0255, BOWL)
    inside = obj("cube", "cube", 0.57, 0.02, 0.0305, CUBE)
    rel = relations(bowl, inside)
    assert ("cube", "in", "bowl") in rel
    assert not {r for r in rel if r[1] != "in"}
    beside = obj("cube", "cube", 0.55, 0.15, 0.0225, CUBE)
    assert support_relation(beside, bowl, CONFIG) == ""


def test_cube_on_a_cube_is_on_it():
    lower = obj("lower", "cube", 0.5, 0.0, 0.0225, CUBE)
    upper = obj("upper", "cube", 0.505, 0.0, 0.0675, CUBE, yaw=0.3)
    assert relations(lower, upper) == {("upper", "on", "lower")}
    floating = obj("upper", "cube", 0.5, 0.0, 0.12, CUBE)
    assert support_relation(floating, lower, CONFIG) == ""


def test_on_uses_the_rotated_footprint():
    long_box = obj("drawer", "drawer", 0.5, 0.0, 0.04, (0.22, 0.06, 0.08), yaw=np.pi / 2)
    on_end = obj("cube", "cube", 0.5, 0.09, 0.1025, CUBE)
    off_end = obj("cube", "cube", 0.59, 0.0, 0.1025, CUBE)
    assert support_relation(on_end, long_box, CONFIG) == "on"
    assert support_relation(off_end, long_box, CONFIG) == ""


def test_bad_config_is_rejected():
    with pytest.raises(ValueError):
        RelationConfig(near_gap_m=-0.1)


def test_an_object_in_the_open_drawer_is_inside_it():
    # A cabinet at x = 0.62 whose front faces the robot (yaw 180 deg), its drawer 0.15 m out.
    drawer = SceneObject("drawer", "drawer", "", np.array([0.62, 0.30, 0.06]), np.pi, np.array([0.20, 0.30, 0.12]))
    in_tray = obj("a", "cube", 0.45, 0.30, 0.0425, CUBE)  # in front of the cabinet, on the tray's floor
    on_table = obj("b", "cube", 0.45, 0.30, 0.0225, CUBE)
    rel = {(r.subject, r.relation, r.object) for r in compute_relations([drawer, in_tray], CONFIG, 0.15)}
    assert ("a", "inside_drawer", "drawer") in rel and ("a", "in", "drawer") not in rel
    assert support_relation(in_tray, drawer, CONFIG, drawer_opening_m=0.0) == ""  # closed: nothing out there
    assert support_relation(on_table, drawer, CONFIG, drawer_opening_m=0.0) == ""
    on_top = obj("c", "cube", 0.62, 0.30, 0.1425, CUBE)
    assert support_relation(on_top, drawer, CONFIG, drawer_opening_m=0.15) == "on"


def test_a_footprint_turns_with_its_object_and_grows_by_the_margin_and_forward_stretch():
    box = obj("box", "box", 0.5, 0.0, 0.04, (0.20, 0.10, 0.08), yaw=np.pi / 2)  # long side along the base's y
    assert box.over_footprint([0.5, 0.09]) and not box.over_footprint([0.59, 0.0])
    assert not box.over_footprint([0.555, 0.0])
    assert box.over_footprint([0.555, 0.0], margin_m=0.01)
    assert box.over_footprint([0.5, 0.13], forward_m=0.05)  # its +x points along the base's +y
    assert not box.over_footprint([0.5, -0.13], forward_m=0.05)
