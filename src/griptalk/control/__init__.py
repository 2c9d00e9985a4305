"""Joint-space control core: reference trajectories, time parameterization, a rate-limited tracker."""
from griptalk.control.reference import JointReference
from griptalk.control.tracker import TrackerConfig, TrackerOutput, TrajectoryTracker
from griptalk.control.trajectory import time_parameterize

__all__ = ["JointReference", "TrackerConfig", "TrackerOutput", "TrajectoryTracker", "time_parameterize"]
