"""QoS profiles used across the graph."""
from rclpy.qos import (DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)

# Camera frames and high-rate state: newest sample wins.
SENSOR = qos_profile_sensor_data

# Commands to the robot and the supervisor's inputs: reliable, shallow.
COMMAND = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)

# State that a late joiner must see at once (scene graph, safety status).
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)

# Joint states: reliable so no controller cycle works on a gap.
STATE = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE, history=HistoryPolicy.KEEP_LAST)
