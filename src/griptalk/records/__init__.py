"""Run records (`griptalk run --record DIR`): event log, rosbag2, annotated video and limits plot.

Every part but `recorder` (the ROS subscriber) is pure and written as the run goes, so a run that
fails or is stopped keeps what happened up to that moment.
"""
