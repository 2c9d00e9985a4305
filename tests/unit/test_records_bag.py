"""Run records: griptalk_interfaces in the rosbags typestore, and the rosbag2 writer."""
import json
from pathlib import Path

import numpy as np
import pytest
from rosbags.rosbag2 import Reader

from griptalk.records.bag import BagTopic, BagWriter
from griptalk.records.typestore import griptalk_typestore, interfaces_dir

SOURCE = Path(__file__).resolve().parents[2] / "ros2_ws" / "src" / "griptalk_interfaces"


@pytest.fixture(scope="module")
def store():
    return griptalk_typestore(SOURCE)


def scene_graph(store, n_objects: int):
    t = store.types
    header = t["std_msgs/msg/Header"](stamp=t["builtin_interfaces/msg/Time"](sec=3, nanosec=5), frame_id="base_link")
    pose = t["geometry_msgs/msg/Pose"](position=t["geometry_msgs/msg/Point"](x=0.5, y=0.1, z=0.02),
                                       orientation=t["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0))
    size = t["geometry_msgs/msg/Vector3"](x=0.045, y=0.045, z=0.045)
    objects = [t["griptalk_interfaces/msg/DetectedObject"](
        id=f"red_cube_{i}", object_class="cube", color="red", pose=pose, size=size, confidence=0.9, stale=False,
        last_seen=header.stamp) for i in range(n_objects)]
    relations = [t["griptalk_interfaces/msg/Relation"](subject="red_cube_0", relation="near", object="red_cube_1")]
    return t["griptalk_interfaces/msg/SceneGraph"](header=header, objects=objects, relations=relations,
                                                   drawer_opening_m=0.0)


def test_every_griptalk_message_is_registered(store):
    for f in (SOURCE / "msg").glob("*.msg"):
        assert f"griptalk_interfaces/msg/{f.stem}" in store.fielddefs


def test_type_hashes_match_the_ones_rosidl_built():
    """The bag's type hashes are what ROS 2 tools check: they must equal rosidl's (share/*.json)."""
    directory = interfaces_dir()
    built = {h["type_name"]: h["hash_string"] for f in directory.glob("msg/*.json")
             for h in json.loads(f.read_text())["type_hashes"] if h["type_name"].startswith("griptalk_interfaces/")}
    assert built, f"no rosidl type descriptions under {directory}/msg: the interface package is not built"
    store = griptalk_typestore(directory)
    assert {name: store.hash_rihs01(name) for name in built} == built


def test_a_missing_definitions_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no .msg files"):
        griptalk_typestore(tmp_path)


def test_bag_round_trip(tmp_path, store):
    topics = [BagTopic("/perception/scene_graph", "griptalk_interfaces/msg/SceneGraph", latched=True),
              BagTopic("/joint_states", "sensor_msgs/msg/JointState")]
    bag = BagWriter(tmp_path / "bag", store, topics)
    sent = [scene_graph(store, n) for n in (2, 3)]
    for i, msg in enumerate(sent):
        bag.write("/perception/scene_graph", 1_000 + i, bytes(store.serialize_cdr(msg, msg.__msgtype__)))
    bag.close()
    assert bag.counts == {"/perception/scene_graph": 2, "/joint_states": 0}
    with Reader(tmp_path / "bag") as reader:
        connections = {c.topic: c for c in reader.connections}
        assert connections["/perception/scene_graph"].ext.offered_qos_profiles[0].durability.name == "TRANSIENT_LOCAL"
        assert connections["/joint_states"].ext.offered_qos_profiles == []
        got = [(t, store.deserialize_cdr(raw, c.msgtype)) for c, t, raw in reader.messages()]
    assert [t for t, _ in got] == [1_000, 1_001]
    assert [len(m.objects) for _, m in got] == [2, 3]
    assert got[1][1].objects[2].id == "red_cube_2"
    assert np.isclose(got[0][1].objects[0].size.x, 0.045)


def test_bag_rejects_unknown_types_topics_and_repeats(tmp_path, store):
    with pytest.raises(ValueError, match="does not define"):
        BagWriter(tmp_path / "a", store, [BagTopic("/x", "griptalk_interfaces/msg/Nope")])
    with pytest.raises(ValueError, match="twice"):
        BagWriter(tmp_path / "b", store, [BagTopic("/x", "std_msgs/msg/String")] * 2)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    bag = BagWriter(tmp_path / "c", store, [BagTopic("/x", "std_msgs/msg/String")])
    with pytest.raises(ValueError, match="not a topic"):
        bag.write("/y", 1, b"")
    bag.close()
