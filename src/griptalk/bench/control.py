"""`griptalk bench control`: the MPC tracker, closed-loop on the PyBullet arm, paced in real time.

Each episode is a time-parameterized joint trajectory (the skill server's kind, at its speed)
through random reachable hand poses over the table. The tracker runs at its rate on the wall
clock, in this one process and thread; between cycles the simulated arm takes the command the way
the simulator node does (ramped over one period, 240 Hz physics). Figures:

- solve_ms_median, solve_ms_p99: OSQP's solve time per cycle [ms]
- tracking_rms_mm: RMS distance between the hand's measured position and where the reference
  puts it at the same instant [mm]
- limit_violations: commands outside the joint position, velocity or acceleration limits
  (finite differences at the command rate, with rounding slack only)
- rate_hz: control cycles achieved per wall-clock second
"""
from __future__ import annotations

import time

import numpy as np
import yaml

from griptalk.camera import CameraModel
from griptalk.control import TrackerConfig, TrajectoryTracker, time_parameterize
from griptalk.control.mpc import MpcConfig
from griptalk.paths import share_dir
from griptalk.robot import PANDA_HOME, PANDA_LIMITS
from griptalk.skills.kinematics import ArmKinematics
from griptalk_sim.interpolation import CommandInterpolator
from griptalk_sim.scene import load_scene
from griptalk_sim.world import World

DEFAULT_EPISODES = 10
WAYPOINTS_PER_EPISODE = 3
VELOCITY_SCALE = 0.4  # the skill server's default share of the joint limits
HAND_BOX_M = ((0.35, -0.25, 0.15), (0.65, 0.25, 0.40))  # where the random hand poses lie
SETTLE_S = 0.5  # tracking continues this long after each reference ends
ROUNDING = 1e-9  # relative slack on the limits for floating-point rounding


def _episode_waypoints(kin: ArmKinematics, rng: np.random.Generator, q_start: np.ndarray) -> np.ndarray:
    down = kin.fk(PANDA_HOME)[1]
    points, seed = [q_start], q_start
    while len(points) <= WAYPOINTS_PER_EPISODE:
        q = kin.ik(rng.uniform(*HAND_BOX_M), down, seed_q=seed)
        if q is not None and PANDA_LIMITS.within(q, margin=0.05):
            points.append(q)
            seed = q
    return np.array(points)


def _violations(commands: np.ndarray, period_s: float) -> int:
    limits = PANDA_LIMITS
    velocity = np.diff(commands, axis=0) / period_s
    acceleration = np.diff(velocity, axis=0) / period_s
    slack = 1.0 + ROUNDING
    return int(np.sum(np.any((commands < limits.lower) | (commands > limits.upper), axis=1))
               + np.sum(np.any(np.abs(velocity) > limits.max_velocity * slack, axis=1))
               + np.sum(np.any(np.abs(acceleration) > limits.max_acceleration * slack, axis=1)))


def configured_tracker() -> TrackerConfig:
    """The controller node's configuration, from config/controller.yaml."""
    p = yaml.safe_load((share_dir() / "config" / "controller.yaml").read_text())["controller"]["ros__parameters"]
    return TrackerConfig(rate_hz=p["rate_hz"], goal_tolerance_rad=p["goal_tolerance_rad"],
                         settle_timeout_s=p["settle_timeout_s"], lead_s=p["lead_s"],
                         mpc=MpcConfig(horizon=p["horizon"], joint_margin_rad=p["joint_margin_rad"]))


def run(episodes: int, seed: int) -> dict:
    config = configured_tracker()
    period = config.period_s
    kin = ArmKinematics()
    rng = np.random.default_rng(seed)
    camera = CameraModel.looking_at(160, 120, 50.0, [1.05, 0.0, 0.8], [0.45, 0.0, 0.0])  # never rendered
    solve_ms, errors_m, violations, cycles, wall = [], [], 0, 0, 0.0
    with World(load_scene("tabletop"), camera, renderer="tiny") as world:
        substeps = max(1, round(period / world.time_step))
        ramp = CommandInterpolator(PANDA_HOME, period)
        tracker = TrajectoryTracker(config)
        for _ in range(episodes):
            q = world.joint_state()[1][:7]
            reference = time_parameterize(_episode_waypoints(kin, rng, q), PANDA_LIMITS, VELOCITY_SCALE)
            began = world.sim_time
            tracker.start(reference, q, began)
            commands = []
            started = deadline = time.monotonic()
            while world.sim_time - began < reference.duration + SETTLE_S:
                out = tracker.step(world.sim_time, q)
                solve_ms.append(out.solve_ms)
                commands.append(out.command_q)
                ramp.command(world.sim_time, out.command_q)
                for _ in range(substeps):
                    world.set_arm_targets(ramp.target(world.sim_time))
                    world.step()
                q = world.joint_state()[1][:7]
                wanted, _ = reference.sample(world.sim_time - began)
                errors_m.append(np.linalg.norm(world.tool_pose()[0] - kin.fk(wanted)[0]))
                deadline += period
                time.sleep(max(0.0, deadline - time.monotonic()))
            wall += time.monotonic() - started
            cycles += len(commands)
            violations += _violations(np.array(commands), period)
    return {
        "solve_ms_median": round(float(np.median(solve_ms)), 3),
        "solve_ms_p99": round(float(np.percentile(solve_ms, 99)), 3),
        "tracking_rms_mm": round(float(np.sqrt(np.mean(np.square(errors_m)))) * 1e3, 2),
        "limit_violations": violations,
        "rate_hz": round(cycles / wall, 1),
        "horizon": config.mpc.horizon,
        "cycles": cycles,
    }
