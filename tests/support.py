"""Helpers for tests that drive the system as a user does."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def griptalk(*args: str, env: dict[str, str], timeout: float = 400) -> subprocess.CompletedProcess:
    """Run the `griptalk` CLI in a subprocess."""
    return subprocess.run([str(BIN / "griptalk"), *args], env=env, capture_output=True, text=True, timeout=timeout)


def default_sigint() -> None:
    """`preexec_fn` of a child that a test stops with Ctrl-C (SIGINT).

    A shell that starts the suite in the background hands its children SIGINT ignored, and a Python
    started that way never raises KeyboardInterrupt.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
