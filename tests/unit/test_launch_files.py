"""Every shipped launch file loads; the robot bringup is the sim's graph on real drivers' topics."""
from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest
import yaml

from griptalk.launcher import LaunchDescription

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILES = sorted((REPO / "launch").glob("*.launch.yaml"))
ROBOTS = sorted(p.stem for p in (REPO / "config" / "robots").glob("*.yaml"))
SCRIPTS = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
# griptalk node name -> module declaring its PARAMS
NODE_MODULES = {
    "safety_supervisor": "griptalk.nodes.safety_supervisor_node",
    "controller": "griptalk.nodes.controller_node",
    "perception": "griptalk.nodes.perception_node",
    "grasp_predictor": "griptalk.nodes.grasp_predictor_node",
    "skill_server": "griptalk.nodes.skill_server_node",
    "planner": "griptalk.nodes.planner_node",
    "franka_gripper_bridge": "griptalk.nodes.franka_gripper_bridge_node",
}
# Sections for the driver's nodes (franka_ros2's controller manager), not griptalk's.
DRIVER_SECTIONS = {"arm_controller"}


@pytest.fixture(scope="module")
def bin_dir(tmp_path_factory) -> Path:
    """Stand-ins for the console scripts, so loading does not depend on the venv's install state."""
    directory = tmp_path_factory.mktemp("bin")
    for name in SCRIPTS:
        script = directory / name
        script.write_text("#!/bin/sh\n")
        script.chmod(0o755)
    return directory


def load(path: Path, bin_dir: Path, **arguments: str) -> LaunchDescription:
    return LaunchDescription.load(path, arguments, bin_dir=bin_dir)


def nodes(description: LaunchDescription) -> dict[str, list[str]]:
    return {p.name: p.argv for p in description.processes}


def remaps(argv: list[str]) -> dict[str, str]:
    rules = [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == "-r"]
    return dict(rule.split(":=", 1) for rule in rules if not rule.startswith("__"))


def params_files(argv: list[str]) -> list[Path]:
    return [Path(argv[i + 1]) for i, word in enumerate(argv[:-1]) if word == "--params-file"]


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_every_launch_file_loads_with_its_defaults(path, bin_dir):
    description = load(path, bin_dir)
    assert description.processes, f"{path.name} starts nothing"
    for process in description.processes:
        assert Path(process.argv[0]).name in SCRIPTS


def test_launch_files_are_the_sim_and_robot_bringups():
    assert {p.name for p in LAUNCH_FILES} >= {"sim.launch.yaml", "robot.launch.yaml"}


def test_robot_bringup_runs_the_sims_nodes_without_the_simulator(bin_dir):
    sim = nodes(load(REPO / "launch" / "sim.launch.yaml", bin_dir))
    robot = nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir))
    assert "sim" in sim and "sim" not in robot
    assert not any(Path(argv[0]).name == "sim_node" for argv in robot.values())
    assert set(robot) == set(sim) - {"sim"} | {"franka_gripper_bridge"}
    without_bridge = nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir, gripper_bridge="false"))
    assert set(without_bridge) == set(sim) - {"sim"}


def test_robot_bringup_uses_wall_clock_time(bin_dir):
    for argv in nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir)).values():
        assert not any(word.startswith("use_sim_time:=") and word.endswith("true") for word in argv)


@pytest.mark.parametrize("robot", ROBOTS)
def test_robot_bringup_loads_that_robots_one_parameter_file(robot, bin_dir):
    for name, argv in nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir, robot=robot)).items():
        assert params_files(argv) == [REPO / "config" / "robots" / f"{robot}.yaml"], name


def test_robot_bringup_rejects_an_unknown_robot(bin_dir):
    with pytest.raises(ValueError, match="config/robots/ur5.yaml does not exist"):
        load(REPO / "launch" / "robot.launch.yaml", bin_dir, robot="ur5")


def test_robot_bringup_remaps_camera_and_wrench_to_the_drivers_topics(bin_dir):
    robot = nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir))
    info = "camera/camera/color/camera_info"
    depth = "camera/camera/aligned_depth_to_color/image_raw"
    wrench = "franka_robot_state_broadcaster/external_wrench_in_base_frame"
    assert remaps(robot["perception"]) == {"camera/color/image_raw": "camera/camera/color/image_raw",
                                           "camera/depth/image_raw": depth, "camera/camera_info": info}
    assert remaps(robot["grasp_predictor"]) == {"camera/depth/image_raw": depth, "camera/camera_info": info}
    assert remaps(robot["safety_supervisor"]) == {"wrist/wrench": wrench, "camera/camera_info": info}
    assert remaps(robot["skill_server"]) == {"wrist/wrench": wrench}
    # joint_states and the supervisor's arm_controller/commands already have the driver's names.
    assert remaps(robot["controller"]) == remaps(robot["planner"]) == {}


def test_robot_bringup_takes_other_driver_topics_as_arguments(bin_dir):
    robot = nodes(load(REPO / "launch" / "robot.launch.yaml", bin_dir, camera="wrist_cam", wrench="ft/wrench"))
    assert remaps(robot["perception"])["camera/color/image_raw"] == "wrist_cam/color/image_raw"
    assert remaps(robot["safety_supervisor"])["wrist/wrench"] == "ft/wrench"


def robot_params(robot: str) -> dict[str, dict]:
    document = yaml.safe_load((REPO / "config" / "robots" / f"{robot}.yaml").read_text())
    assert set(document) == {"/**"}, "one section per node under /** so the stack runs in a namespace"
    return {node: body["ros__parameters"] for node, body in document["/**"].items()}


def flatten(values: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.mark.parametrize("robot", ROBOTS)
def test_robot_file_sets_declared_parameters_for_every_node(robot):
    params = robot_params(robot)
    assert set(params) == set(NODE_MODULES) | DRIVER_SECTIONS
    for node, module in NODE_MODULES.items():
        values = flatten(params[node])
        assert values.pop("use_sim_time") is False, node
        declared = {p.name for p in importlib.import_module(module).PARAMS}
        assert set(values) <= declared, f"{robot}.yaml {node}: undeclared {sorted(set(values) - declared)}"
        sim_file = REPO / "config" / f"{node}.yaml"
        if sim_file.exists():
            sim_values = flatten(next(iter(yaml.safe_load(sim_file.read_text()).values()))["ros__parameters"])
            missing = set(sim_values) - set(values)
            assert not missing, f"{robot}.yaml {node}: set {sorted(missing)} for the robot (the sim sets them)"


@pytest.mark.parametrize("robot", ROBOTS)
def test_robot_file_names_the_arm_and_finger_joints_of_one_robot(robot):
    params = robot_params(robot)
    joints = params["arm_controller"]["joints"]
    assert joints == [f"{robot}_joint{i}" for i in range(1, 8)]
    assert params["franka_gripper_bridge"]["finger_joints"] == [f"{robot}_finger_joint{i}" for i in (1, 2)]
    assert params["perception"]["base_frame"] == f"{robot}_link0"


def test_panda_and_fr3_files_differ_only_in_names():
    fr3, panda = (flatten(robot_params(robot)) for robot in ("fr3", "panda"))
    assert set(fr3) == set(panda)
    differing = {key for key in fr3 if fr3[key] != panda[key]}
    assert differing == {"perception.base_frame", "franka_gripper_bridge.finger_joints", "arm_controller.joints"}
