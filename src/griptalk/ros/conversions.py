"""Conversions between griptalk_interfaces messages and the cores' plain data."""
from __future__ import annotations

import math

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Pose, Vector3
from sensor_msgs.msg import CameraInfo, Image

from griptalk import types
from griptalk.camera import CameraModel
from griptalk_interfaces.msg import (DetectedObject, ObjectRef, PlanStep, Relation, SceneGraph,
                                     StepResult)


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


def quaternion_to_yaw(q) -> float:
    return math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))


def seconds_to_time(t: float) -> Time:
    sec = int(math.floor(t))
    return Time(sec=sec, nanosec=int(round((t - sec) * 1e9)) % 1_000_000_000)


def time_to_seconds(t: Time) -> float:
    return t.sec + t.nanosec * 1e-9


def make_pose(position, yaw: float = 0.0) -> Pose:
    pose = Pose()
    pose.position.x, pose.position.y, pose.position.z = (float(v) for v in position)
    q = yaw_to_quaternion(yaw)
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = q
    return pose


# --- scene graph ---------------------------------------------------------------------------

def object_to_msg(o: types.SceneObject) -> DetectedObject:
    msg = DetectedObject(id=o.id, object_class=o.object_class, color=o.color,
                         confidence=float(o.confidence), stale=bool(o.stale))
    msg.pose = make_pose(o.position, o.yaw)
    msg.size = Vector3(x=float(o.size[0]), y=float(o.size[1]), z=float(o.size[2]))
    return msg


def object_from_msg(msg: DetectedObject) -> types.SceneObject:
    p = msg.pose.position
    return types.SceneObject(id=msg.id, object_class=msg.object_class, color=msg.color,
                             position=np.array([p.x, p.y, p.z]), yaw=quaternion_to_yaw(msg.pose.orientation),
                             size=np.array([msg.size.x, msg.size.y, msg.size.z]),
                             confidence=msg.confidence, stale=msg.stale)


def scene_to_msg(scene: types.SceneGraph, frame_id: str = "base_link") -> SceneGraph:
    msg = SceneGraph(objects=[object_to_msg(o) for o in scene.objects],
                     relations=[Relation(subject=r.subject, relation=r.relation, object=r.object)
                                for r in scene.relations],
                     drawer_opening_m=float(scene.drawer_opening_m))
    msg.header.frame_id = frame_id
    msg.header.stamp = seconds_to_time(scene.stamp_s)
    return msg


def scene_from_msg(msg: SceneGraph) -> types.SceneGraph:
    return types.SceneGraph(objects=[object_from_msg(o) for o in msg.objects],
                            relations=[types.Relation(r.subject, r.relation, r.object) for r in msg.relations],
                            drawer_opening_m=msg.drawer_opening_m, stamp_s=time_to_seconds(msg.header.stamp))


# --- plans ---------------------------------------------------------------------------------

def ref_to_msg(ref: types.ObjectRef | None) -> ObjectRef:
    return ObjectRef() if ref is None else ObjectRef(id=ref.id, object_class=ref.object_class, color=ref.color)


def ref_from_msg(msg: ObjectRef) -> types.ObjectRef | None:
    return types.ObjectRef(msg.id, msg.object_class, msg.color) if msg.id else None


def step_to_msg(step: types.PlanStep) -> PlanStep:
    return PlanStep(skill=step.skill, object=ref_to_msg(step.object), target=ref_to_msg(step.target),
                    relation=step.relation)


def step_from_msg(msg: PlanStep) -> types.PlanStep:
    """Raises ValueError for an unknown skill."""
    return types.PlanStep(msg.skill, ref_from_msg(msg.object), ref_from_msg(msg.target), msg.relation)


def step_result_to_dict(r: StepResult) -> dict:
    return {**step_from_msg(r.step).to_dict(), "ok": r.ok, "attempts": r.attempts,
            "seconds": round(r.seconds, 2), "message": r.message}


# --- images --------------------------------------------------------------------------------

def rgb_to_msg(rgb: np.ndarray, stamp: Time, frame_id: str) -> Image:
    h, w, _ = rgb.shape
    msg = Image(height=h, width=w, encoding="rgb8", is_bigendian=0, step=3 * w)
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.data = np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()
    return msg


def depth_to_msg(depth: np.ndarray, stamp: Time, frame_id: str) -> Image:
    h, w = depth.shape
    msg = Image(height=h, width=w, encoding="32FC1", is_bigendian=0, step=4 * w)
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.data = np.ascontiguousarray(depth, dtype=np.float32).tobytes()
    return msg


def image_from_msg(msg: Image) -> np.ndarray:
    """rgb8/bgr8 -> HxWx3 uint8 RGB; 32FC1 -> HxW float32 metres; 16UC1 -> metres (millimetre units)."""
    if msg.encoding in ("rgb8", "bgr8"):
        img = np.frombuffer(msg.data, np.uint8).reshape(msg.height, msg.step)[:, :msg.width * 3]
        img = img.reshape(msg.height, msg.width, 3)
        return img[..., ::-1] if msg.encoding == "bgr8" else img
    if msg.encoding == "32FC1":
        return np.frombuffer(msg.data, np.float32).reshape(msg.height, msg.step // 4)[:, :msg.width]
    if msg.encoding == "16UC1":
        mm = np.frombuffer(msg.data, np.uint16).reshape(msg.height, msg.step // 2)[:, :msg.width]
        return mm.astype(np.float32) / 1000.0
    raise ValueError(f"unsupported image encoding '{msg.encoding}'")


def camera_info_to_msg(camera: CameraModel, stamp: Time, frame_id: str) -> CameraInfo:
    msg = CameraInfo(width=camera.width, height=camera.height, distortion_model="plumb_bob")
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.d = [0.0] * 5
    msg.k = [camera.fx, 0.0, camera.cx, 0.0, camera.fy, camera.cy, 0.0, 0.0, 1.0]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [camera.fx, 0.0, camera.cx, 0.0, 0.0, camera.fy, camera.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg


def camera_from_info(info: CameraInfo, position, orientation) -> CameraModel:
    """Intrinsics from camera_info, extrinsics (optical frame in the base frame) from calibration."""
    k = info.k
    return CameraModel(info.width, info.height, k[0], k[4], k[2], k[5], tuple(position), tuple(orientation))
