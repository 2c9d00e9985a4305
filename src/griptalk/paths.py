"""Where the project's shared files (launch, config, urdf) live: the source tree or the ament share."""
from __future__ import annotations

import os
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def share_dir() -> Path:
    """The `griptalk` share directory: the repository root when running from source."""
    if (_SOURCE_ROOT / "launch").is_dir() and (_SOURCE_ROOT / "config").is_dir():
        return _SOURCE_ROOT
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        candidate = Path(prefix) / "share" / "griptalk"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("cannot find the griptalk share directory (launch/, config/, urdf/); "
                            "run from the source tree or source the workspace's install/setup.bash")
