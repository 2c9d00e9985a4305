"""Skill library core: arm kinematics, grasp candidates and the motions of each skill (no rclpy)."""
