"""The PyBullet world: table, Panda arm with a parallel gripper, the scene's objects and a camera.

Pure Python (no rclpy): sim_node.py wraps it in ROS. Each World owns one DIRECT client and passes
its id to every call, so several worlds can live in one process. The table top is z = 0 and the
arm's base (panda_link0) sits at the origin.
"""
from __future__ import annotations

import ctypes
import importlib.util
import math
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from griptalk.camera import CameraModel
from griptalk.paths import share_dir
from griptalk.robot import GRIPPER_MAX_SPEED_M_S, GRIPPER_MAX_WIDTH_M, PANDA_FINGER_JOINTS, PANDA_HOME, PANDA_JOINTS
from griptalk_sim.scene import COLORS, TABLE_X_M, Scene
from griptalk_sim.truth import ObjectState


_LIBC = ctypes.CDLL(None)


@contextmanager
def _quiet(*fds: int):
    """Silence output that C code writes straight to these file descriptors."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        _LIBC.fflush(None)  # C stdio buffers what it prints: flush it while the fds still go nowhere
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


with _quiet(2):  # pybullet prints its build-time banner on import
    import pybullet as pb
import pybullet_data  # noqa: E402

NEAR_M, FAR_M = 0.02, 5.0  # the camera's clipping planes
TABLE_TOP_IN_URDF_M = 0.625  # pybullet_data's table.urdf: top of its 5 cm slab at 0.6 m
ARM_JOINT_INDICES = tuple(range(7))
FINGER_INDICES = (9, 10)
TOOL_LINK = 11  # panda_grasptarget: between the fingertips, 10.5 cm below the flange
DRAWER_HANDLE_LINK = 1  # drawer_cabinet.urdf: the handle, fixed to the sliding drawer (link 0)
FINGER_FRICTION = 1.5
DRAWER_FRICTION_N = 10.0
SETTLE_STEPS = 120  # let objects come to rest before time starts
MAX_GRIP_FORCE_N = 140.0  # the Franka hand's short-term maximum
# The URDF lets each finger move at 0.2 m/s, four times the real hand's speed. At that speed a finger
# meeting a cube seen a few mm off centre knocks it, and the wrist felt up to 37 N (30 grasps with up to
# 6 mm of pose error; 15 N at the hand's speed); and the knock wedged held-out shapes in more often than
# a slow close, whose first finger pushes the object before the second meets it (44% held vs 39%).
FINGER_MAX_SPEED_M_S = GRIPPER_MAX_SPEED_M_S / 2.0



@dataclass(frozen=True)
class Asset:
    """How an object type is built: a URDF in urdf/ (project=True) or in pybullet_data."""

    urdf: str
    project: bool = True
    scale: float = 1.0
    fixed: bool = False
    mass_kg: float | None = None  # overrides the file's
    upright: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)  # body orientation standing at yaw 0


ASSETS: dict[str, Asset] = {
    "cube": Asset("cube.urdf"),
    "bowl": Asset("bowl.urdf"),
    "box": Asset("box.urdf"),
    "drawer": Asset("drawer_cabinet.urdf", fixed=True),
    # The duck's mesh is y-up: stand it on its bottom.
    "duck": Asset("duck_vhacd.urdf", project=False, scale=0.85, mass_kg=0.08,
                  upright=(math.sqrt(0.5), 0.0, 0.0, math.sqrt(0.5))),
    "mug": Asset("objects/mug.urdf", project=False, scale=0.75, mass_kg=0.25),  # the file's mug weighs 1 kg
    "lego": Asset("lego/lego.urdf", project=False, scale=1.75),  # 5.6 cm: still fits the 8 cm gripper
}
# Colourless objects keep their own look, except the mug, whose file paints it red.
_UNTINTED = {"mug": (0.92, 0.92, 0.88, 1.0), "drawer": (0.76, 0.60, 0.42, 1.0)}


def _yaw_quat(yaw_deg: float) -> tuple[float, float, float, float]:
    half = math.radians(yaw_deg) / 2.0
    return (0.0, 0.0, math.sin(half), math.cos(half))


def _rotation(quat) -> np.ndarray:
    return np.array(pb.getMatrixFromQuaternion(quat)).reshape(3, 3)


class World:
    def __init__(self, scene: Scene, camera: CameraModel, time_step: float = 1.0 / 240.0,
                 renderer: str = "auto") -> None:
        if not 1e-4 <= time_step <= 0.02:
            raise ValueError(f"time_step must be in [1e-4, 0.02] s, got {time_step}")
        if renderer not in ("auto", "egl", "tiny"):
            raise ValueError(f"renderer must be 'auto', 'egl' or 'tiny', got {renderer!r}")
        self.scene, self.camera, self.time_step = scene, camera, float(time_step)
        self.client_id = pb.connect(pb.DIRECT)
        self._steps = 0
        try:
            self.renderer = self._load_renderer(renderer)
            self._build()
        except Exception:
            self.close()  # don't leak the client, whatever failed
            raise

    # --- construction --------------------------------------------------------------------------

    def _call(self, fn, *args, **kwargs):
        return fn(*args, physicsClientId=self.client_id, **kwargs)

    def _load_renderer(self, choice: str) -> str:
        """EGL (must come before any body) when it loads, else PyBullet's CPU TinyRenderer."""
        if choice == "tiny":
            return "tiny"
        spec = importlib.util.find_spec("eglRenderer")
        plugin = -1
        if spec is not None and spec.origin:
            with _quiet(1, 2):
                plugin = self._call(pb.loadPlugin, spec.origin, "_eglRendererPlugin")
        if plugin < 0 and choice == "egl":
            raise RuntimeError("the EGL renderer plugin did not load; use renderer='tiny'")
        if plugin < 0:
            return "tiny"
        with _quiet(1):  # EGL names its driver on stdout during the first frames
            for _ in range(2):
                self._call(pb.getCameraImage, 8, 8, renderer=pb.ER_BULLET_HARDWARE_OPENGL)
        return "egl"

    def _build(self) -> None:
        c = self._call
        c(pb.setAdditionalSearchPath, pybullet_data.getDataPath())
        c(pb.setPhysicsEngineParameter, deterministicOverlappingPairs=1)
        c(pb.setGravity, 0.0, 0.0, -9.81)
        c(pb.setTimeStep, self.time_step)
        c(pb.loadURDF, "plane.urdf", basePosition=(0.0, 0.0, -TABLE_TOP_IN_URDF_M))
        table_centre_x = (TABLE_X_M[0] + TABLE_X_M[1]) / 2.0
        self.table_id = c(pb.loadURDF, "table/table.urdf", basePosition=(table_centre_x, 0.0, -TABLE_TOP_IN_URDF_M),
                          useFixedBase=True)
        self._build_robot()
        self._bodies: list[int] = []
        self._centre_offsets: list[np.ndarray] = []  # body origin -> bounding-box centre, object frame
        self.drawer_id: int | None = None
        for spec in self.scene.objects:
            self._add_object(spec)
        for _ in range(SETTLE_STEPS):
            c(pb.stepSimulation)

    def _build_robot(self) -> None:
        c = self._call
        flags = pb.URDF_USE_SELF_COLLISION | pb.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS
        self.robot_id = c(pb.loadURDF, "franka_panda/panda.urdf", basePosition=(0, 0, 0), useFixedBase=True,
                          flags=flags)
        info = [c(pb.getJointInfo, self.robot_id, j) for j in ARM_JOINT_INDICES + FINGER_INDICES]
        names = tuple(i[1].decode() for i in info)
        if names != PANDA_JOINTS + PANDA_FINGER_JOINTS:
            raise RuntimeError(f"unexpected Panda joints in panda.urdf: {names}")
        # The arm's motor limits; the fingers' come from the gripper command and FINGER_MAX_SPEED_M_S.
        self._max_force = np.array([i[10] for i in info[:len(ARM_JOINT_INDICES)]])
        self._max_velocity = np.array([i[11] for i in info[:len(ARM_JOINT_INDICES)]])
        for j, q in zip(ARM_JOINT_INDICES, PANDA_HOME):
            c(pb.resetJointState, self.robot_id, j, float(q))
        for j in FINGER_INDICES:
            c(pb.resetJointState, self.robot_id, j, GRIPPER_MAX_WIDTH_M / 2.0)
            c(pb.changeDynamics, self.robot_id, j, lateralFriction=FINGER_FRICTION, frictionAnchor=True)
        # Closed fingers meet at their joint limits; their touching would show up as a false wrist force.
        c(pb.setCollisionFilterPair, self.robot_id, self.robot_id, *FINGER_INDICES, 0)
        # PyBullet ignores <mimic>: a gear constraint keeps the fingers symmetric.
        gear = c(pb.createConstraint, self.robot_id, FINGER_INDICES[0], self.robot_id, FINGER_INDICES[1],
                 pb.JOINT_GEAR, (1, 0, 0), (0, 0, 0), (0, 0, 0))
        c(pb.changeConstraint, gear, gearRatio=-1, erp=0.1, maxForce=50)
        c(pb.enableJointForceTorqueSensor, self.robot_id, ARM_JOINT_INDICES[-1], True)
        # Everything the joint-7 sensor carries: link 7, flange, hand, fingers.
        self._sensed_links = tuple(range(ARM_JOINT_INDICES[-1], c(pb.getNumJoints, self.robot_id)))
        self._sensed_masses = np.array([c(pb.getDynamicsInfo, self.robot_id, j)[0] for j in self._sensed_links])
        self._sensed_velocity = self._sensed_com_velocities()
        self._sensed_acceleration = np.zeros((len(self._sensed_links), 3))
        self.set_arm_targets(PANDA_HOME)
        self.set_gripper(GRIPPER_MAX_WIDTH_M, 20.0)

    def _add_object(self, spec) -> None:
        c = self._call
        asset = ASSETS[spec.type]
        path = str(share_dir() / "urdf" / asset.urdf) if asset.project else asset.urdf
        body = c(pb.loadURDF, path, baseOrientation=asset.upright, globalScaling=asset.scale,
                 useFixedBase=asset.fixed)
        if asset.mass_kg is not None:
            c(pb.changeDynamics, body, -1, mass=asset.mass_kg)
        # Measure the bounding box standing at yaw 0, then stand the object on the table at its spot.
        base_position = np.array(c(pb.getBasePositionAndOrientation, body)[0])
        low, high = (np.array(v) for v in c(pb.getAABB, body, -1))
        offset = (low + high) / 2.0 - base_position  # body origin -> box centre, object frame
        centre = np.array([spec.position[0], spec.position[1], (high[2] - low[2]) / 2.0])
        yaw = _yaw_quat(spec.yaw_deg)
        _, body_quat = c(pb.multiplyTransforms, (0, 0, 0), yaw, (0, 0, 0), asset.upright)
        c(pb.resetBasePositionAndOrientation, body, tuple(centre - _rotation(yaw) @ offset), body_quat)
        rgba = COLORS.get(spec.color) or _UNTINTED.get(spec.type)
        if rgba is not None:
            links = [-1] + [j for j in range(c(pb.getNumJoints, body)) if c(pb.getJointInfo, body, j)[12] != b"handle"]
            for link in links:
                c(pb.changeVisualShape, body, link, rgbaColor=rgba)
        if spec.type == "drawer":
            # The default motor would lock the drawer: a velocity-0 motor with a small force acts as friction.
            c(pb.setJointMotorControl2, body, 0, pb.VELOCITY_CONTROL, targetVelocity=0.0, force=DRAWER_FRICTION_N)
            self.drawer_id = body
        self._bodies.append(body)
        self._centre_offsets.append(offset)

    def close(self) -> None:
        if self.client_id >= 0:
            with _quiet(1):  # the EGL plugin says goodbye on stdout
                pb.disconnect(self.client_id)
            self.client_id = -1

    def __enter__(self) -> "World":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # --- time and commands ---------------------------------------------------------------------

    @property
    def sim_time(self) -> float:
        return self._steps * self.time_step

    def step(self, n: int = 1) -> None:
        for _ in range(int(n)):
            self._call(pb.stepSimulation)
            self._steps += 1
            # The hand's acceleration, so that the wrist wrench can leave out its inertia.
            velocity = self._sensed_com_velocities()
            self._sensed_acceleration = (velocity - self._sensed_velocity) / self.time_step
            self._sensed_velocity = velocity

    def _sensed_com_velocities(self) -> np.ndarray:
        states = self._call(pb.getLinkStates, self.robot_id, list(self._sensed_links), computeLinkVelocity=1)
        return np.array([s[6] for s in states])

    def set_arm_targets(self, q7) -> None:
        """Joint position targets [rad]; the motors obey the URDF's force and velocity limits."""
        q = np.asarray(q7, dtype=float)
        if q.shape != (7,) or not np.all(np.isfinite(q)):
            raise ValueError(f"need 7 finite joint positions, got {q7!r}")
        for k, j in enumerate(ARM_JOINT_INDICES):
            self._call(pb.setJointMotorControl2, self.robot_id, j, pb.POSITION_CONTROL, targetPosition=float(q[k]),
                       force=float(self._max_force[k]), maxVelocity=float(self._max_velocity[k]))

    def set_gripper(self, width_m: float, force_n: float) -> None:
        """Drive the fingers to `width_m` apart, squeezing with at most `force_n` each."""
        if not (math.isfinite(width_m) and 0.0 <= width_m <= GRIPPER_MAX_WIDTH_M):
            raise ValueError(f"gripper width must be in [0, {GRIPPER_MAX_WIDTH_M}] m, got {width_m}")
        if not (math.isfinite(force_n) and 0.0 < force_n <= MAX_GRIP_FORCE_N):
            raise ValueError(f"grip force must be in (0, {MAX_GRIP_FORCE_N}] N, got {force_n}")
        for j in FINGER_INDICES:
            self._call(pb.setJointMotorControl2, self.robot_id, j, pb.POSITION_CONTROL, targetPosition=width_m / 2.0,
                       force=float(force_n), maxVelocity=FINGER_MAX_SPEED_M_S)

    # --- robot state ---------------------------------------------------------------------------

    def joint_state(self) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
        """Names, positions [rad, m], velocities and efforts [N·m, N] of the 7 arm and 2 finger joints."""
        states = self._call(pb.getJointStates, self.robot_id, ARM_JOINT_INDICES + FINGER_INDICES)
        pos, vel, eff = (np.array([s[i] for s in states]) for i in (0, 1, 3))
        return PANDA_JOINTS + PANDA_FINGER_JOINTS, pos, vel, eff

    def gripper_width(self) -> float:
        return float(sum(s[0] for s in self._call(pb.getJointStates, self.robot_id, FINGER_INDICES)))

    def tool_pose(self) -> tuple[np.ndarray, np.ndarray]:
        """Position and quaternion (x, y, z, w) of the point between the fingertips (panda_grasptarget)."""
        state = self._call(pb.getLinkState, self.robot_id, TOOL_LINK, computeForwardKinematics=True)
        return np.array(state[4]), np.array(state[5])

    def wrist_wrench(self) -> tuple[np.ndarray, np.ndarray]:
        """External force [N] and torque [N·m] on the hand, base frame, like Franka's O_F_ext_hat_K.

        The joint-7 sensor minus the weight and the linear inertia (m·a) of what it carries, as the
        robot's model-based estimate does: ≈ 0 at rest or moving freely with an empty hand; pushing
        the hand down onto the table reads +z. Torque is about the joint-7 origin.
        """
        c = self._call
        reaction = np.array(c(pb.getJointState, self.robot_id, ARM_JOINT_INDICES[-1])[2])
        link7 = c(pb.getLinkState, self.robot_id, ARM_JOINT_INDICES[-1], computeForwardKinematics=True)
        rotation = _rotation(link7[5])
        sensor_point, joint_origin = np.array(link7[0]), np.array(link7[4])  # Bullet reports about link 7's COM
        coms = np.array([s[0] for s in c(pb.getLinkStates, self.robot_id, list(self._sensed_links),
                                         computeForwardKinematics=True)])
        # Per link, what the sensor carries besides external contact: weight minus inertia.
        carried = self._sensed_masses[:, None] * (np.array([0.0, 0.0, -9.81]) - self._sensed_acceleration)
        force = -rotation @ reaction[:3] - carried.sum(axis=0)
        torque = (-rotation @ reaction[3:] - np.cross(coms - sensor_point, carried).sum(axis=0)
                  + np.cross(sensor_point - joint_origin, force))
        return force, torque

    # --- camera --------------------------------------------------------------------------------

    def _camera_matrices(self) -> tuple[list[float], list[float]]:
        cam = self.camera
        # OpenGL's camera looks down its -z with y up: flip the optical frame's y and z.
        pose = np.eye(4)
        pose[:3, :3] = cam.rotation @ np.diag([1.0, -1.0, -1.0])
        pose[:3, 3] = cam.position
        view = np.linalg.inv(pose)
        w, h, n, f = cam.width, cam.height, NEAR_M, FAR_M
        # Pixel (u, v) centres sit at integer coordinates, row 0 at the top.
        proj = np.array([
            [2 * cam.fx / w, 0.0, 1.0 - (2 * cam.cx + 1) / w, 0.0],
            [0.0, 2 * cam.fy / h, (2 * cam.cy + 1) / h - 1.0, 0.0],
            [0.0, 0.0, -(f + n) / (f - n), -2 * f * n / (f - n)],
            [0.0, 0.0, -1.0, 0.0]])
        return view.T.reshape(-1).tolist(), proj.T.reshape(-1).tolist()  # PyBullet wants column-major

    def _image(self, segmentation: bool, links: bool = False):
        view, proj = self._camera_matrices()
        renderer = pb.ER_BULLET_HARDWARE_OPENGL if self.renderer == "egl" else pb.ER_TINY_RENDERER
        flags = 0 if segmentation else pb.ER_NO_SEGMENTATION_MASK
        if links:  # each pixel holds body + (link + 1) << 24
            flags |= pb.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX
        return self._call(pb.getCameraImage, self.camera.width, self.camera.height, viewMatrix=view,
                          projectionMatrix=proj, renderer=renderer, flags=flags, shadow=0)

    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """RGB (H x W x 3 uint8) and metric depth (H x W float32, metres along the optical axis)."""
        _, _, rgba, depth_buffer, _ = self._image(segmentation=False)
        shape = (self.camera.height, self.camera.width)
        rgb = np.asarray(rgba, dtype=np.uint8).reshape(shape + (4,))[:, :, :3].copy()
        d = np.asarray(depth_buffer, dtype=np.float64).reshape(shape)
        depth = FAR_M * NEAR_M / (FAR_M - (FAR_M - NEAR_M) * d)
        return rgb, depth.astype(np.float32)

    def render_segmentation(self) -> np.ndarray:
        """H x W index into scene.objects of what each pixel sees (-1: table, robot, floor, nothing)."""
        seg = np.asarray(self._image(segmentation=True)[4]).reshape(self.camera.height, self.camera.width)
        index = np.full(seg.shape, -1, dtype=np.int32)
        for i, body in enumerate(self._bodies):
            index[seg == body] = i
        return index

    def drawer_handle_mask(self) -> np.ndarray:
        """H x W bool: the pixels that see the drawer's handle (none without a drawer)."""
        shape = (self.camera.height, self.camera.width)
        if self.drawer_id is None:
            return np.zeros(shape, dtype=bool)
        seg = np.asarray(self._image(segmentation=True, links=True)[4]).reshape(shape)
        return seg == self.drawer_id + ((DRAWER_HANDLE_LINK + 1) << 24)

    # --- ground truth (benchmarks and tests only) -----------------------------------------------

    def object_body(self, object_id: str) -> int:
        for spec, body in zip(self.scene.objects, self._bodies):
            if spec.id == object_id:
                return body
        raise KeyError(f"no object {object_id!r} in scene {self.scene.name!r}")

    def object_states(self) -> list[ObjectState]:
        states = []
        for spec, body, offset in zip(self.scene.objects, self._bodies, self._centre_offsets):
            position, body_quat = self._call(pb.getBasePositionAndOrientation, body)
            # The object frame stands upright: undo the asset's own base rotation.
            _, quat = self._call(pb.multiplyTransforms, (0, 0, 0), body_quat, (0, 0, 0),
                                 self._call(pb.invertTransform, (0, 0, 0), ASSETS[spec.type].upright)[1])
            rotation = _rotation(quat)
            centre = np.asarray(position) + rotation @ offset
            yaw = math.atan2(rotation[1, 0], rotation[0, 0])
            opening = self.drawer_opening_m() if body == self.drawer_id else 0.0
            states.append(ObjectState(spec.id, spec.type, spec.color, tuple(float(v) for v in centre),
                                      tuple(float(v) for v in quat), yaw, opening))
        return states

    def drawer_opening_m(self) -> float:
        """How far the drawer is pulled out [m]; 0.0 when the scene has no drawer."""
        if self.drawer_id is None:
            return 0.0
        return float(self._call(pb.getJointState, self.drawer_id, 0)[0])

    def drawer_handle_position(self) -> np.ndarray | None:
        """Base-frame centre of the drawer's handle bar, or None without a drawer."""
        if self.drawer_id is None:
            return None
        return np.array(self._call(pb.getLinkState, self.drawer_id, DRAWER_HANDLE_LINK,
                                   computeForwardKinematics=True)[4])
