"""Grasp scoring: how likely a grasp candidate is to hold its object (no rclpy)."""
