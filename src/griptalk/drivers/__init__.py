"""Adapters between griptalk's command topics and real robot drivers' interfaces (no rclpy here)."""
