"""Thin rclpy wrappers: each node declares parameters, converts messages and calls its core."""
