#!/bin/bash
# Source ROS 2 and the griptalk workspace, then run the command (default: the robot bringup).
set -e
# shellcheck source=/dev/null
source "${GRIPTALK_WS:-/griptalk/ros2_ws}/install/setup.bash"
exec "$@"
