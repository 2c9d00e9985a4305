"""Grasp candidates as griptalk_interfaces messages."""
from __future__ import annotations

import numpy as np

from griptalk.skills.grasps import GraspCandidate, hand_tilt, wrist_yaw
from griptalk_interfaces.msg import GraspCandidate as GraspCandidateMsg


def candidate_to_msg(c: GraspCandidate) -> GraspCandidateMsg:
    msg = GraspCandidateMsg(width_m=float(c.width_m))
    msg.pose.position.x, msg.pose.position.y, msg.pose.position.z = (float(v) for v in c.position)
    o = msg.pose.orientation
    o.x, o.y, o.z, o.w = (float(v) for v in c.orientation)
    return msg


def candidate_from_msg(msg: GraspCandidateMsg) -> GraspCandidate:
    """Raises ValueError for a malformed candidate (non-finite pose, impossible width)."""
    p, o = msg.pose.position, msg.pose.orientation
    quaternion = [o.x, o.y, o.z, o.w]
    return GraspCandidate(np.array([p.x, p.y, p.z]), wrist_yaw(quaternion), msg.width_m, hand_tilt(quaternion))
