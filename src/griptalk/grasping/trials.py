"""Simulated grasp trials in the PyBullet World: one object on the table, one grasp, lift and shake.

A `GraspTrials` owns a World with an empty scene and stands one object at a time on its table
(`place`): a scene type (cube, duck, mug, lego) or a shape from pybullet_data's `random_urdfs`
(scaled to fit the gripper, dropped in a random orientation so it rests on any side). Each
placement is perceived the way the stack would, with noise: the object's box (centre, size, yaw)
from its top-down silhouette, and the scene camera's depth of its neighbourhood, rendered as
the window of the camera image that perception would crop (`heightmap.object_window`).

`attempt` runs one candidate from the placement's saved state: the arm starts back along the
grasp's approach axis (where the skill's approach ends), descends along it as the skill does
(stopping on a 20 N wrist force), closes, lifts 15 cm and shakes. Success is judged from ground
truth: the object rose with the hand and the fingers still hold it. Friction varies per placement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import yaml

from griptalk.camera import CameraModel
from griptalk.grasping.heightmap import HeightMap, object_window, window_camera
from griptalk.paths import share_dir
from griptalk.robot import GRIPPER_MAX_WIDTH_M, PANDA_HOME, PANDA_LIMITS
from griptalk.ros.calibration import camera_from_params
from griptalk.skills.grasps import GraspCandidate, grasp_orientation
from griptalk.skills.kinematics import ArmKinematics
from griptalk.skills.library import SkillConfig
from griptalk.skills.motions import (GripperSegment, MotionConfig, MoveSegment, Unreachable, cartesian_line,
                                     fixed_orientation, wrist_turns)
from griptalk.skills.world_port import WorldPort
from griptalk.types import SceneObject
from griptalk_sim.scene import Scene
from griptalk_sim.world import ARM_JOINT_INDICES, ASSETS, FINGER_INDICES, World, pb

SCENE_TYPES = ("cube", "duck", "mug", "lego")
RANDOM_URDF_COUNT = 1000  # pybullet_data/random_urdfs/000 ... 999
HELD_OUT_RANDOM = range(900, 1000)  # shapes never used in training: the benchmark's objects
TRAIN_RANDOM = range(0, 800)
RANDOM_SCALE = (0.40, 0.65)  # the files' shapes are ~10 cm: these fit the 8 cm gripper in at least one direction
RANDOM_MASS_KG = 0.1
FRICTION_RANGE = (0.4, 1.0)  # object's lateral friction, per placement
POSITION_NOISE_M = 0.003  # perceived centre, per axis (standard deviation)
YAW_NOISE_RAD = math.radians(4.0)
SIZE_NOISE_M = 0.002
PLACE_X_M, PLACE_Y_M = (0.42, 0.62), (-0.20, 0.20)
SETTLE_S = 1.0
RAY_CELL_M = 0.003  # spacing of the vertical rays that find the object's silhouette
SHAKE_TURN_RAD = np.array([0.15, 0.0, 0.0, 0.10, 0.0, 0.0, 0.6])  # base, elbow and wrist swing
SHAKE_VELOCITY_SCALE = 0.8
HELD_RISE_FRACTION = 0.5  # of the lift: the object's centre must rise at least this much
PRE_GRASP_STILL_STEPS = 12  # after the arm is put above the grasp, let the wrist's force estimate settle


class PlacementFailed(RuntimeError):
    """The object did not come to rest on the table: some of pybullet_data's random shapes are small
    enough at our scales to fall through it."""


def configured_camera() -> CameraModel:
    """The scene camera of config/camera.yaml."""
    p = yaml.safe_load((share_dir() / "config" / "camera.yaml").read_text())["/**"]["ros__parameters"]["camera"]
    return camera_from_params({f"camera.{k}": v for k, v in p.items()})


def render_depth_window(world: World, camera: CameraModel, window: tuple[int, int, int, int]) -> np.ndarray:
    """Metric depth of `window` (u0, v0, width, height) of `camera`'s image: the same pixels, rendered alone."""
    full = world.camera
    world.camera = window_camera(camera, window)
    try:
        return world.render()[1]
    finally:
        world.camera = full


def kind_names(held_out: bool) -> list[str]:
    """Object kinds for training (scene types and random shapes) or for evaluation (other random shapes)."""
    if held_out:
        return [f"random_{i:03d}" for i in HELD_OUT_RANDOM]
    return list(SCENE_TYPES) + [f"random_{i:03d}" for i in TRAIN_RANDOM]


@dataclass
class Placement:
    kind: str
    truth: SceneObject  # from the silhouette, no noise
    perceived: SceneObject  # what candidates are generated from
    height_map: HeightMap
    body: int
    state: int  # pybullet saved state to restart each attempt from


class GraspTrials:
    def __init__(self, camera: CameraModel | None = None, renderer: str = "auto") -> None:
        self.camera = camera or configured_camera()
        self.world = World(Scene((), None, "grasp_trials"), self.camera, renderer=renderer)
        self.kin = ArmKinematics()
        self.motion = MotionConfig()
        self.skill = SkillConfig()
        self.port = WorldPort(self.world, scorer=lambda obj, candidates: np.zeros(len(candidates)))
        self.shaker = WorldPort(self.world, scorer=self.port.scorer, velocity_scale=SHAKE_VELOCITY_SCALE)
        self.placement: Placement | None = None

    def close(self) -> None:
        self.world.close()

    def __enter__(self) -> "GraspTrials":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def _call(self, fn, *args, **kwargs):
        return fn(*args, physicsClientId=self.world.client_id, **kwargs)

    # --- placements ----------------------------------------------------------------------------

    def place(self, kind: str, rng: np.random.Generator) -> Placement:
        """Stand a `kind` object at a random spot (replacing the last one) and perceive it.

        Raises PlacementFailed (and leaves the table empty) when the object does not stay on the table.
        """
        self._clear()
        c = self._call
        body = self._load(kind, rng)
        c(pb.changeDynamics, body, -1, lateralFriction=float(rng.uniform(*FRICTION_RANGE)))
        self._reset_arm(PANDA_HOME, GRIPPER_MAX_WIDTH_M)
        self.world.step(int(SETTLE_S / self.world.time_step))
        try:
            truth = self._silhouette(body, kind)
        except PlacementFailed:
            c(pb.removeBody, body)
            raise
        perceived = SceneObject(
            truth.id, truth.object_class, "", truth.position + rng.normal(0.0, POSITION_NOISE_M, 3),
            truth.yaw + float(rng.normal(0.0, YAW_NOISE_RAD)),
            np.maximum(truth.size + rng.normal(0.0, SIZE_NOISE_M, 3), 0.005))
        window = object_window(self.camera, perceived)
        depth = render_depth_window(self.world, self.camera, window)
        height_map = HeightMap.from_depth(depth, window_camera(self.camera, window), perceived.position[:2])
        self.placement = Placement(kind, truth, perceived, height_map, body, c(pb.saveState))
        return self.placement

    def _load(self, kind: str, rng: np.random.Generator) -> int:
        c = self._call
        xy = (rng.uniform(*PLACE_X_M), rng.uniform(*PLACE_Y_M))
        yaw = rng.uniform(-np.pi, np.pi)
        if kind in SCENE_TYPES:
            asset = ASSETS[kind]
            path = str(share_dir() / "urdf" / asset.urdf) if asset.project else asset.urdf
            upright = asset.upright
            _, orientation = c(pb.multiplyTransforms, (0, 0, 0), (0, 0, math.sin(yaw / 2), math.cos(yaw / 2)),
                               (0, 0, 0), upright)
            body = c(pb.loadURDF, path, basePosition=(xy[0], xy[1], 0.3), baseOrientation=orientation,
                     globalScaling=asset.scale)
            if asset.mass_kg is not None:
                c(pb.changeDynamics, body, -1, mass=asset.mass_kg)
        elif kind.startswith("random_") and 0 <= int(kind[7:]) < RANDOM_URDF_COUNT:
            index = int(kind[7:])
            orientation = tuple(_random_quaternion(rng))
            body = c(pb.loadURDF, f"random_urdfs/{index:03d}/{index:03d}.urdf", basePosition=(xy[0], xy[1], 0.3),
                     baseOrientation=orientation, globalScaling=float(rng.uniform(*RANDOM_SCALE)))
            c(pb.changeDynamics, body, -1, mass=RANDOM_MASS_KG)
        else:
            raise ValueError(f"unknown object kind {kind!r}: {', '.join(SCENE_TYPES)} or random_000 ... random_999")
        # Lower it until its lowest point is just above the table, then let it fall into a rest.
        low = c(pb.getAABB, body, -1)[0][2]
        position, orientation = c(pb.getBasePositionAndOrientation, body)
        c(pb.resetBasePositionAndOrientation, body, (position[0], position[1], position[2] - low + 0.002), orientation)
        return body

    def _silhouette(self, body: int, kind: str) -> SceneObject:
        """The object's box as seen from straight above: the smallest rectangle around its top-down silhouette."""
        c = self._call
        low, high = (np.array(v) for v in c(pb.getAABB, body, -1))
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and high[2] > 0.0):
            # Below the table, or fallen so far that the physics gave up (a non-finite box).
            raise PlacementFailed(f"the {kind} is not on the table after settling (its box spans z = "
                                  f"{low[2]:.2f} to {high[2]:.2f} m)")
        xs = np.arange(low[0] - RAY_CELL_M, high[0] + RAY_CELL_M, RAY_CELL_M)
        ys = np.arange(low[1] - RAY_CELL_M, high[1] + RAY_CELL_M, RAY_CELL_M)
        grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
        top, bottom = high[2] + 0.05, -0.001
        hits = c(pb.rayTestBatch, [(x, y, top) for x, y in grid], [(x, y, bottom) for x, y in grid])
        points = np.array([h[3] for h in hits if h[0] == body])
        if len(points) < 3:
            raise PlacementFailed(f"the {kind} is not on the table after settling (no ray from above hits it)")
        (cx, cy), (w, h), angle = cv2.minAreaRect((points[:, :2] * 1000.0).astype(np.float32))
        height = float(points[:, 2].max())
        return SceneObject(kind, kind if kind in SCENE_TYPES else "object", "", [cx / 1000.0, cy / 1000.0, height / 2],
                           yaw=math.radians(angle), size=[w / 1000.0, h / 1000.0, height])

    def _clear(self) -> None:
        if self.placement is not None:
            self._call(pb.removeState, self.placement.state)
            self._call(pb.removeBody, self.placement.body)
            self.placement = None

    def _reset_arm(self, q7, width_m: float) -> None:
        c = self._call
        for j, q in zip(ARM_JOINT_INDICES, q7):
            c(pb.resetJointState, self.world.robot_id, j, float(q))
        for j in FINGER_INDICES:
            c(pb.resetJointState, self.world.robot_id, j, width_m / 2.0)
        self.world.set_arm_targets(q7)
        self.world.set_gripper(width_m, self.motion.grip_force_n)

    # --- attempts ------------------------------------------------------------------------------

    def attempt(self, candidate: GraspCandidate) -> bool | None:
        """Whether `candidate` lifts and holds the placed object through a shake; None when it is out of reach."""
        if self.placement is None:
            raise RuntimeError("attempt before place")
        grasp = candidate.position
        pre_grasp = candidate.pre_grasp(self.motion.approach_height_m)
        turns = wrist_turns(self.kin, PANDA_HOME, pre_grasp, candidate.yaw, candidate.tilt)
        if not turns:
            return None
        hand = grasp_orientation(*turns[0])
        q_pre = self.kin.ik(pre_grasp, hand, seed_q=PANDA_HOME)
        if q_pre is None:
            return None
        try:
            descend = cartesian_line(self.kin, q_pre, grasp, fixed_orientation(hand), 0.0, self.motion,
                                     steps=self.motion.descend_steps)
            lift = cartesian_line(self.kin, descend[-1], grasp + [0.0, 0.0, self.motion.lift_height_m],
                                  fixed_orientation(hand), 0.0, self.motion)
        except Unreachable:
            return None
        self._call(pb.restoreState, self.placement.state)
        self._reset_arm(q_pre, candidate.width_m)
        self.world.step(PRE_GRASP_STILL_STEPS)
        start_z = self._object_z()
        limit = self.skill.collision_force_n
        if self.port.move(MoveSegment("descend", descend), limit).stopped_on_force:
            return False  # the skill stops here: the hand hit the object or the table
        self.port.set_gripper(GripperSegment("close", 0.0, self.motion.grip_force_n))
        if self.world.gripper_width() < self.skill.min_held_width_m:
            return False  # closed on nothing: no need to lift and shake
        if self.port.move(MoveSegment("lift", lift), limit).stopped_on_force:
            return False
        top = lift[-1]
        # Near a joint's stop the shake swings less far that way.
        shake = np.clip([top, top + SHAKE_TURN_RAD, top - SHAKE_TURN_RAD, top], PANDA_LIMITS.lower, PANDA_LIMITS.upper)
        self.shaker.move(MoveSegment("lift", shake), float("inf"))
        held = self.world.gripper_width() >= self.skill.min_held_width_m
        return bool(held and self._object_z() - start_z >= HELD_RISE_FRACTION * self.motion.lift_height_m)

    def _object_z(self) -> float:
        return float(self._call(pb.getBasePositionAndOrientation, self.placement.body)[0][2])


def _random_quaternion(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=4)
    return q / np.linalg.norm(q)
