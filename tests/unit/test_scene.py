"""Scene files: parsing, defaults, every rejection (naming the object), named and random scenes."""
from __future__ import annotations

import pytest
import yaml

from griptalk_sim.scene import (COLORS, OBJECT_TYPES, ObjectSpec, Scene, SceneError, layout_problem, load_scene,
                                parse_scene, random_scene, scene_names, scene_to_yaml)


def objects(*items) -> dict:
    return {"objects": list(items)}


def test_defaults_fill_ids_colours_and_yaw():
    scene = parse_scene(objects({"type": "cube", "color": "red", "position": [0.5, 0.1]},
                                {"type": "cube", "color": "red", "position": [0.4, -0.2], "yaw_deg": 30},
                                {"type": "duck", "position": [0.6, -0.1]},
                                {"id": "target", "type": "bowl", "color": "green", "position": [0.45, 0.3]}), "s")
    assert [o.id for o in scene.objects] == ["red_cube", "red_cube_2", "duck", "target"]
    assert scene.objects[0] == ObjectSpec("red_cube", "cube", "red", (0.5, 0.1), 0.0)
    assert scene.objects[1].yaw_deg == 30.0
    assert scene.objects[2].color == ""
    assert scene.seed is None and scene.name == "s"


def test_contract_example_parses():
    text = """
seed: 3
objects:
  - {id: red_cube, type: cube, color: red, position: [0.50, 0.10], yaw_deg: 15}
  - {type: bowl, color: green, position: [0.45, -0.15]}
  - {type: drawer, position: [0.62, 0.30], yaw_deg: 180}
  - {type: duck, position: [0.40, 0.25]}
"""
    scene = parse_scene(yaml.safe_load(text), "example")
    assert scene.seed == 3
    assert [o.id for o in scene.objects] == ["red_cube", "green_bowl", "drawer", "duck"]


@pytest.mark.parametrize("item, expected", [
    ({"type": "sphere", "color": "red", "position": [0.5, 0.0]}, "object 2: unknown type 'sphere'"),
    ({"type": "cube", "color": "magenta", "position": [0.5, 0.0]}, "object 2: unknown colour 'magenta'"),
    ({"type": "cube", "position": [0.5, 0.0]}, "object 2: a cube needs a colour"),
    ({"type": "cube", "color": "red"}, "object 2: missing field 'position'"),
    ({"color": "red", "position": [0.5, 0.0]}, "object 2: missing field 'type'"),
    ({"type": "cube", "color": "red", "position": [0.5, 0.0], "size": 3}, "object 2: unknown field 'size'"),
    ({"type": "cube", "color": "red", "position": [0.5]}, "object 2 'red_cube': position must be [x, y]"),
    ({"type": "cube", "color": "red", "position": "here"}, "object 2 'red_cube': position must be [x, y]"),
    ({"type": "cube", "color": "red", "position": [0.5, 0.0], "yaw_deg": "north"}, "yaw_deg must be a number"),
    ({"id": "blue_cube", "type": "cube", "color": "red", "position": [0.5, 0.0]}, "object 2 'blue_cube': duplicate id"),
    ({"id": "3d cube", "type": "cube", "color": "red", "position": [0.5, 0.0]}, "object 2 '3d cube': id must be"),
    ({"type": "cube", "color": "red", "position": [1.2, 0.0]},
     "object 2 'red_cube': position [1.20, 0.00] is out of reach (0.25–0.80 m from the base)"),
    ({"type": "cube", "color": "red", "position": [0.1, 0.0]}, "object 2 'red_cube': position [0.10, 0.00] is out of reach"),
    ({"type": "box", "color": "red", "position": [0.3, 0.45]}, "object 2 'red_box': at [0.30, 0.45] it does not fit on the table"),
    ({"type": "cube", "color": "red", "position": [0.52, -0.19]}, "object 2 'red_cube': overlaps object 1 'blue_cube'"),
    (["cube"], "object 2: expected a mapping"),
])
def test_bad_object_is_rejected_naming_it(item, expected):
    first = {"type": "cube", "color": "blue", "position": [0.5, -0.2]}
    with pytest.raises(SceneError) as error:
        parse_scene(objects(first, item), "s")
    message = str(error.value)
    assert expected in message
    assert "\n" not in message


def test_open_drawer_path_is_checked_only_on_request():
    drawer = {"type": "drawer", "position": [0.62, 0.30], "yaw_deg": 180}
    in_its_way = {"type": "cube", "color": "red", "position": [0.38, 0.30]}  # where the open drawer slides to
    scene = parse_scene(objects(drawer, in_its_way), "s")
    assert "object 2 'red_cube': overlaps or blocks object 1 'drawer'" in layout_problem(scene, swept=True)
    on_the_handle = {"type": "cube", "color": "red", "position": [0.45, 0.30]}
    with pytest.raises(SceneError, match="object 2 'red_cube': overlaps object 1 'drawer'"):
        parse_scene(objects(drawer, on_the_handle), "s")


def test_second_drawer_is_rejected():
    with pytest.raises(SceneError, match="object 2 'drawer_2': a scene holds at most one drawer"):
        parse_scene(objects({"type": "drawer", "position": [0.62, 0.30], "yaw_deg": 180},
                            {"type": "drawer", "position": [0.62, -0.30], "yaw_deg": 180}), "s")


@pytest.mark.parametrize("data, expected", [
    ([1, 2], "expected a mapping"),
    ({"objects": []}, "'objects' must be a non-empty list"),
    ({"objects": [{"type": "duck", "position": [0.5, 0]}], "light": 1}, "unknown field 'light'"),
    ({"objects": [{"type": "duck", "position": [0.5, 0]}], "seed": "x"}, "seed must be an integer"),
])
def test_bad_scene_structure_is_rejected(data, expected):
    with pytest.raises(SceneError, match=expected):
        parse_scene(data, "s")


def test_files_errors(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("objects:\n  - {type: cube, color: red, position: [0.5, 0.1]\n")
    with pytest.raises(SceneError, match=r"broken.yaml: invalid YAML at line \d+"):
        load_scene(str(broken))
    with pytest.raises(SceneError, match="scene file not found: .*missing.yaml"):
        load_scene(str(tmp_path / "missing.yaml"))
    with pytest.raises(SceneError, match="unknown scene 'kitchen'; known scenes: clutter, drawer, tabletop"):
        load_scene("kitchen")


def test_scene_file_by_path(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("seed: 7\nobjects:\n  - {type: lego, color: cyan, position: [0.5, 0.0]}\n")
    scene = load_scene(str(path))
    assert scene.name == "mine" and scene.seed == 7 and scene.objects[0].id == "cyan_lego"


def test_named_scenes_are_valid_and_well_separated():
    assert scene_names() == ["clutter", "drawer", "tabletop"]
    for name in scene_names():
        scene = load_scene(name)
        assert scene.name == name
        assert layout_problem(scene, gap_m=0.08, swept=True) is None, name


def test_named_scenes_hold_what_the_tasks_need():
    pairs = {name: {(o.type, o.color) for o in load_scene(name).objects} for name in scene_names()}
    assert {("cube", "red"), ("bowl", "green"), ("cube", "blue"), ("bowl", "yellow"), ("duck", "")} <= pairs["tabletop"]
    assert any(t == "box" for t, _ in pairs["tabletop"])
    assert {"drawer", "cube", "bowl", "mug"} <= {t for t, _ in pairs["drawer"]}
    clutter = load_scene("clutter").objects
    assert 6 <= len(clutter) <= 8
    assert {"duck", "mug", "lego"} <= {o.type for o in clutter}


def test_random_scenes_are_valid_deterministic_and_varied():
    required = [("cube", "red"), ("bowl", "green")]
    scenes = [random_scene(seed, required=required) for seed in range(25)]
    for seed, scene in enumerate(scenes):
        assert random_scene(seed, required=required) == scene
        assert layout_problem(scene, swept=True) is None
        assert {("cube", "red"), ("bowl", "green")} <= {(o.type, o.color) for o in scene.objects}
        assert len({(o.type, o.color) for o in scene.objects}) == len(scene.objects)
        assert parse_scene(yaml.safe_load(scene_to_yaml(scene)), scene.name) == scene
    assert len({s.objects for s in scenes}) == len(scenes)
    assert any(o.type == "drawer" for s in scenes for o in s.objects)


def test_random_scene_size_and_bad_requests():
    assert len(random_scene(4, n_objects=8).objects) == 8
    with pytest.raises(SceneError, match="cannot make a required object"):
        random_scene(1, required=[("cube", "")])
    with pytest.raises(SceneError, match="n_objects must be in 2..8"):
        random_scene(1, n_objects=1, required=[("cube", "red"), ("duck", "")])


def test_yaml_round_trip_of_named_scene():
    scene = load_scene("clutter")
    again = parse_scene(yaml.safe_load(scene_to_yaml(scene)), "clutter")
    assert again == Scene(scene.objects, scene.seed, "clutter")


def test_palette_and_types_cover_the_contract():
    assert {"red", "green", "blue", "yellow", "orange", "purple", "pink", "white", "brown", "gray", "cyan"} <= set(COLORS)
    assert {"cube", "bowl", "box", "drawer", "duck", "mug", "lego"} <= set(OBJECT_TYPES)
    assert all(len(rgba) == 4 and all(0.0 <= v <= 1.0 for v in rgba) for rgba in COLORS.values())
