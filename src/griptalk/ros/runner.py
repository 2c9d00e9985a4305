"""Start, spin and stop a node the same way everywhere."""
from __future__ import annotations

import os
import sys
from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.node import Node

from griptalk.ros.params import ParameterError


def run_node(make_node: Callable[[], Node], threads: int = 1, args=None) -> int:
    """Create the node, spin until shutdown, return the process exit code.

    A bad parameter ends the node with one line on stderr and exit code 2, not a stack trace.
    """
    # One torch/BLAS thread per node: this stack shares two cores between all of its processes.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rclpy.init(args=args if args is not None else sys.argv)
    node = None
    code = 0
    try:
        node = make_node()
        executor = SingleThreadedExecutor() if threads <= 1 else MultiThreadedExecutor(num_threads=threads)
        executor.add_node(node)
        executor.spin()
    except ParameterError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    except (KeyboardInterrupt, ExternalShutdownException):
        code = 0  # Ctrl-C or the launcher's SIGINT: a normal stop
    finally:
        if node is not None:
            close = getattr(node, "close", None)
            if close:
                close()
            node.destroy_node()
        if rclpy.ok():
            rclpy.try_shutdown()
    return code
