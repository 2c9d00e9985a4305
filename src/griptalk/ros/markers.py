"""The scene graph as RViz markers: a box and a text label per object."""
from __future__ import annotations

from builtin_interfaces.msg import Duration, Time
from visualization_msgs.msg import Marker, MarkerArray

from griptalk.ros.conversions import make_pose
from griptalk.types import SceneGraph


def scene_markers(scene: SceneGraph, frame_id: str, stamp: Time) -> MarkerArray:
    array = MarkerArray(markers=[Marker(action=Marker.DELETEALL)])
    for i, obj in enumerate(scene.objects):
        box = Marker(ns="objects", id=i, type=Marker.CUBE, action=Marker.ADD, pose=make_pose(obj.position, obj.yaw),
                     lifetime=Duration(sec=2))
        box.header.frame_id, box.header.stamp = frame_id, stamp
        box.scale.x, box.scale.y, box.scale.z = (max(float(v), 0.005) for v in obj.size)
        box.color.r, box.color.g, box.color.b, box.color.a = (0.5, 0.5, 0.5, 0.4) if obj.stale else (0.1, 0.8, 0.9, 0.6)
        label = Marker(ns="labels", id=i, type=Marker.TEXT_VIEW_FACING, action=Marker.ADD, text=obj.id,
                       pose=make_pose(obj.position + [0.0, 0.0, obj.size[2] / 2.0 + 0.03]), lifetime=Duration(sec=2))
        label.header.frame_id, label.header.stamp = frame_id, stamp
        label.scale.z = 0.025
        label.color.r = label.color.g = label.color.b = label.color.a = 1.0
        array.markers += [box, label]
    return array
