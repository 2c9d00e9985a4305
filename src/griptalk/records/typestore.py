"""A rosbags typestore that knows griptalk_interfaces' messages, built from its .msg files.

Action types are left out: rosbags cannot write the definition of a message that nests an
action part (`.../action/X_Feedback`), so the bag leaves the action's feedback topic to the
event log, which has every feedback message with its time."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

PACKAGE = "griptalk_interfaces"
_SOURCE_TREE = Path(__file__).resolve().parents[3] / "ros2_ws" / "src" / PACKAGE


def interfaces_dir() -> Path:
    """The installed griptalk_interfaces share directory, or the source package when none is installed."""
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p] + [sys.prefix]
    for prefix in prefixes:
        candidate = Path(prefix) / "share" / PACKAGE
        if (candidate / "msg").is_dir():
            return candidate
    if (_SOURCE_TREE / "msg").is_dir():
        return _SOURCE_TREE
    raise FileNotFoundError(f"cannot find the {PACKAGE} message definitions (share/{PACKAGE}/msg): "
                            "build the interface package or run from the source tree")


def griptalk_typestore(directory: Path | None = None) -> Typestore:
    """ROS 2 Jazzy's standard types plus every message of griptalk_interfaces."""
    directory = interfaces_dir() if directory is None else Path(directory)
    msg_files = sorted((directory / "msg").glob("*.msg"))
    if not msg_files:
        raise FileNotFoundError(f"{directory / 'msg'}: no .msg files")
    types: dict = {}
    for f in msg_files:
        types.update(get_types_from_msg(f.read_text(), f"{PACKAGE}/msg/{f.stem}"))
    store = get_typestore(Stores.ROS2_JAZZY)
    store.register(types)
    return store
