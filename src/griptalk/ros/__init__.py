"""ROS 2 plumbing shared by the nodes: parameters, QoS, message conversions, the node runner."""
