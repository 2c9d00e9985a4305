"""griptalk's PyBullet simulator: scene files (scene), the world (world), ground truth (truth), the ROS node (sim_node)."""
