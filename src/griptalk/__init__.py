"""griptalk: language-instructed manipulation on ROS 2."""
