"""Perception core (no ROS): RGB-D frame -> scene graph of classified, coloured, tracked objects."""
from griptalk.perception.pipeline import PerceptionConfig, PerceptionPipeline

__all__ = ["PerceptionConfig", "PerceptionPipeline"]
