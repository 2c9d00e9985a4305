"""Joint-space control core: reference trajectories, time parameterization, MPC tracking under the arm's limits."""
from griptalk.control.mpc import JointMpc, MpcConfig, MpcSolution
from griptalk.control.reference import JointReference
from griptalk.control.tracker import TrackerConfig, TrackerOutput, TrajectoryTracker
from griptalk.control.trajectory import time_parameterize

__all__ = ["JointMpc", "JointReference", "MpcConfig", "MpcSolution", "TrackerConfig", "TrackerOutput",
           "TrajectoryTracker", "time_parameterize"]
