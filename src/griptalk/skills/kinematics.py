"""Forward and inverse kinematics of the Franka Panda's tool centre point, on a private PyBullet client.

The tool centre point (TCP) is the URDF's `panda_grasptarget` link: between the fingertips,
10.5 cm beyond the hand's flange along its z axis.
"""
from __future__ import annotations

import functools
import os
import sys
import threading
from dataclasses import dataclass

import numpy as np

from griptalk.robot import PANDA_HOME, PANDA_JOINTS, PANDA_LIMITS

TCP_LINK = "panda_grasptarget"
IK_POSITION_TOLERANCE_M = 0.002
IK_ANGLE_TOLERANCE_RAD = np.radians(2.0)
# Refinement stops early once this close; the tolerances above decide success.
_IK_CONVERGED_M = 1e-4
_IK_CONVERGED_RAD = 1e-3
_IK_ROUNDS = 20
_IK_ITERATIONS_PER_ROUND = 100


def _import_pybullet():
    """Import pybullet with its C-level `pybullet build time` banner on fd 2 silenced."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import pybullet
        import pybullet_data
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return pybullet, pybullet_data


@dataclass(frozen=True)
class _PandaModel:
    client: int
    body: int
    arm_joints: tuple[int, ...]
    tcp_link: int
    links: dict[str, int]  # every link's index by its URDF name
    movable_joints: int  # every non-fixed joint: IK works on all of them (arm and fingers)
    lower: list[float]
    upper: list[float]
    ranges: list[float]
    finger_rest: list[float]
    lock: threading.Lock


@functools.cache
def _panda_model() -> _PandaModel:
    """The process's one Panda model, loaded on first use."""
    p, pybullet_data = _import_pybullet()
    client = p.connect(p.DIRECT)
    body = p.loadURDF(os.path.join(pybullet_data.getDataPath(), "franka_panda", "panda.urdf"),
                      basePosition=[0, 0, 0], useFixedBase=True, physicsClientId=client)
    joints = {}
    links = {}
    movable = []
    for index in range(p.getNumJoints(body, physicsClientId=client)):
        info = p.getJointInfo(body, index, physicsClientId=client)
        joints[info[1].decode()] = index
        links[info[12].decode()] = index
        if info[2] != p.JOINT_FIXED:
            movable.append((index, info[8], info[9]))
    arm = tuple(joints[name] for name in PANDA_JOINTS)
    if [index for index, _, _ in movable[:len(arm)]] != list(arm):
        raise RuntimeError("panda.urdf: the arm joints are not the first movable joints")
    # Arm joints use the datasheet limits; the fingers keep the URDF's.
    lower = list(PANDA_LIMITS.lower) + [lo for index, lo, _ in movable if index not in arm]
    upper = list(PANDA_LIMITS.upper) + [hi for index, _, hi in movable if index not in arm]
    finger_rest = [0.5 * (lo + hi) for lo, hi in zip(lower[len(arm):], upper[len(arm):])]
    return _PandaModel(client, body, arm, links[TCP_LINK], links, len(movable), lower, upper,
                       [hi - lo for lo, hi in zip(lower, upper)], finger_rest, threading.Lock())


def rotation_angle_between(q_a, q_b) -> float:
    """Angle [rad] of the rotation taking quaternion q_a (x, y, z, w) to q_b."""
    a = np.asarray(q_a, dtype=float)
    b = np.asarray(q_b, dtype=float)
    dot = abs(float(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b))))
    return 2.0 * float(np.arccos(min(1.0, dot)))


class ArmKinematics:
    """Kinematics of the Panda's TCP in the base frame (panda_link0 at the origin).

    Every instance shares the process's one PyBullet model, so creating one is cheap;
    calls are serialised by a lock because they move that shared model.
    """

    def __init__(self) -> None:
        self._model = _panda_model()
        self._p, _ = _import_pybullet()

    def fk(self, q) -> tuple[np.ndarray, np.ndarray]:
        """TCP position (3,) [m] and orientation quaternion (x, y, z, w) for joint positions q (7,)."""
        q = self._joint_vector(q, "q")
        with self._model.lock:
            return self._fk_locked(q)

    def ik(self, position, quaternion, seed_q=None) -> np.ndarray | None:
        """Joint positions (7,) placing the TCP at `position` with `quaternion` (x, y, z, w), or None.

        Starts from `seed_q` (default: the home pose), which also biases which of the arm's
        redundant solutions is found. None unless the solution's TCP is within 2 mm and 2 degrees
        of the target and every joint is within the Panda's limits.
        """
        target_p = np.asarray(position, dtype=float).reshape(3)
        target_q = np.asarray(quaternion, dtype=float).reshape(4)
        if not (np.all(np.isfinite(target_p)) and np.all(np.isfinite(target_q))):
            raise ValueError("ik: position and quaternion must be finite")
        if np.linalg.norm(target_q) < 1e-9:
            raise ValueError("ik: quaternion has zero length")
        target_q = target_q / np.linalg.norm(target_q)
        q = PANDA_HOME.copy() if seed_q is None else self._joint_vector(seed_q, "seed_q")
        m = self._model
        with m.lock:
            for _ in range(_IK_ROUNDS):
                # Each round restarts PyBullet's solver from the last answer, with that answer
                # as the rest pose, so the null-space pull no longer drags the TCP off target.
                self._set_joints(q)
                solution = self._p.calculateInverseKinematics(
                    m.body, m.tcp_link, target_p.tolist(), target_q.tolist(),
                    lowerLimits=m.lower, upperLimits=m.upper, jointRanges=m.ranges,
                    restPoses=list(q) + m.finger_rest,
                    maxNumIterations=_IK_ITERATIONS_PER_ROUND, residualThreshold=1e-6,
                    physicsClientId=m.client)
                q = np.array(solution[:len(m.arm_joints)])
                position_error, angle_error = self._error_locked(q, target_p, target_q)
                if position_error < _IK_CONVERGED_M and angle_error < _IK_CONVERGED_RAD:
                    break
        if (position_error > IK_POSITION_TOLERANCE_M or angle_error > IK_ANGLE_TOLERANCE_RAD
                or not PANDA_LIMITS.within(q)):
            return None
        return q

    def link_origins(self, q, links: tuple[str, ...]) -> np.ndarray:
        """Base-frame origins (len(links), 3) [m] of the named URDF links for joint positions q (7,)."""
        q = self._joint_vector(q, "q")
        m = self._model
        try:
            indices = [m.links[name] for name in links]
        except KeyError as e:
            raise ValueError(f"panda.urdf has no link {e.args[0]!r}") from None
        with m.lock:
            self._set_joints(q)
            return np.array([self._p.getLinkState(m.body, index, computeForwardKinematics=True,
                                                  physicsClientId=m.client)[4] for index in indices])

    def _error_locked(self, q, target_p, target_q) -> tuple[float, float]:
        position, orientation = self._fk_locked(q)
        return float(np.linalg.norm(position - target_p)), rotation_angle_between(orientation, target_q)

    def _fk_locked(self, q) -> tuple[np.ndarray, np.ndarray]:
        m = self._model
        self._set_joints(q)
        state = self._p.getLinkState(m.body, m.tcp_link, computeForwardKinematics=True,
                                     physicsClientId=m.client)
        return np.array(state[4]), np.array(state[5])

    def _set_joints(self, q) -> None:
        m = self._model
        for index, value in zip(m.arm_joints, q):
            self._p.resetJointState(m.body, index, float(value), physicsClientId=m.client)

    @staticmethod
    def _joint_vector(q, name: str) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        if q.shape != (len(PANDA_JOINTS),) or not np.all(np.isfinite(q)):
            raise ValueError(f"{name} must be {len(PANDA_JOINTS)} finite joint positions [rad], got {q!r}")
        return q
