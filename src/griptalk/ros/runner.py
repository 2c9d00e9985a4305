"""Start, spin and stop a node the same way everywhere."""
from __future__ import annotations

import gc
import os
import sys
from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node

from griptalk.ros.params import ParameterError


def run_node(make_node: Callable[[], Node], args=None,
             spin: Callable[[Node, SingleThreadedExecutor], None] | None = None) -> int:
    """Create the node, spin it on one thread until shutdown, return the process exit code.

    `spin(node, executor)` replaces `executor.spin()` for a node that drives its own loop (the simulator).
    A bad parameter ends the node with one line on stderr and exit code 2, not a stack trace.
    """
    # One torch/BLAS thread per node: this stack shares two cores between all of its processes.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rclpy.init(args=args if args is not None else sys.argv)
    node = None
    code = 0
    try:
        node = make_node()
        # What start-up made (modules, models, the node) lives as long as the process: frozen, it is left
        # out of the collector's full passes, one of which stalled the safety supervisor for 100 ms.
        gc.freeze()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        if spin is None:
            executor.spin()
        else:
            spin(node, executor)
    except ParameterError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    except (KeyboardInterrupt, ExternalShutdownException):
        code = 0  # Ctrl-C or the launcher's SIGINT: a normal stop
    except Exception:
        if rclpy.ok():
            raise
        code = 0  # the SIGINT shut the context down under a running callback (its publish or wait set failed)
    finally:
        if node is not None:
            close = getattr(node, "close", None)
            if close:
                close()
            node.destroy_node()
        if rclpy.ok():
            rclpy.try_shutdown()
    return code
