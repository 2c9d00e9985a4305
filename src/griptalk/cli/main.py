"""griptalk run | plan | bench | estop | reset: carry out or plan an instruction in the simulated cell, and more.

Exit codes: 0 success, 1 the task failed, 2 refused or clarification needed, 3 bad usage or bad input.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from griptalk.bench import SUITES, load_suite
from griptalk.launcher import interrupt_on_sigterm

EXIT_USAGE = 3  # the other codes follow the report's status (griptalk.cli.report.EXIT_CODES)


class UsageError(Exception):
    """Bad usage or bad input: one line, exit code 3."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> Parser:
    parser = Parser(prog="griptalk", description="Language-instructed manipulation on ROS 2.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, text in (("run", "carry out an instruction in the simulator"),
                       ("plan", "plan an instruction against the scene without moving anything")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("instruction", help='e.g. "put the red cube in the green bowl"')
        p.add_argument("--scene", help="a shipped scene name or a scene YAML file (default: tabletop)")
        p.add_argument("--seed", type=int, help="generate a random valid scene from this seed (instead of --scene)")
        p.add_argument("--json", action="store_true", help="print one JSON object (CONTRACTS.md)")
        p.add_argument("--verbose", action="store_true", help="show the nodes' logs")
        p.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds (default 300)")
        if name == "run":
            p.add_argument("--record", metavar="DIR", help="keep the run in DIR (new or empty): event log, rosbag2, "
                                                          "annotated video and a plot of force and speeds")
    bench = sub.add_parser("bench", help="run a benchmark suite and print its figures",
                           description="run a benchmark suite and print its figures")
    bench.add_argument("suite", help="the suite: " + (", ".join(sorted(SUITES)) or "none yet"))
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--episodes", type=int, help="episodes to run (default: the suite's own)")
    bench.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    bench.add_argument("--logs", metavar="DIR", help="keep the node logs of every episode that went wrong in DIR "
                                                     "(suites that start the graph: tasks)")
    estop = sub.add_parser("estop", help="latch the safety supervisor's stop (on this ROS_DOMAIN_ID)",
                           description="latch the safety supervisor's stop (on this ROS_DOMAIN_ID)")
    estop.add_argument("--reason", default="operator (griptalk estop)", help="who or why, shown in the status")
    reset = sub.add_parser("reset", help="ask the safety supervisor to clear its latched stop",
                           description="ask the safety supervisor to clear its latched stop; refused while "
                                       "the cause persists (exit 1)")
    for p in (estop, reset):
        p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the supervisor (default 5)")
    return parser


def run_bench(args) -> int:
    import inspect
    import time
    try:
        suite = load_suite(args.suite)
    except KeyError as e:
        raise UsageError(e.args[0]) from None
    episodes = suite.DEFAULT_EPISODES if args.episodes is None else args.episodes
    if episodes < 1 or args.seed < 0:
        raise UsageError("--episodes must be >= 1 and --seed >= 0")
    options = {}
    if args.logs is not None:
        if "log_dir" not in inspect.signature(suite.run).parameters:
            raise UsageError(f"--logs: the {args.suite} suite starts no graph, so it has no node logs")
        options["log_dir"] = Path(args.logs)
    start = time.monotonic()
    try:
        metrics = suite.run(episodes, args.seed, **options)
    except RuntimeError as e:  # the rig broke (a node died, a deadline passed): say so, no traceback
        print(f"error: the {args.suite} benchmark could not finish: {e}", file=sys.stderr)
        return 1
    result = {"suite": args.suite, "episodes": episodes, "seed": args.seed, "metrics": metrics,
              "seconds": round(time.monotonic() - start, 2)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.suite}: {episodes} episodes from seed {args.seed} in {result['seconds']} s")
        width = max((len(k) for k in metrics), default=0)
        for key, value in metrics.items():
            print(f"  {key:<{width}}  {value}")
    return 0


def run_safety_command(args) -> int:
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")
    from griptalk.cli import safety_commands
    if args.command == "reset":
        return safety_commands.reset(args.timeout)
    if not args.reason.strip():
        raise UsageError("--reason is empty: say who or why, e.g. --reason \"hand in the cell\"")
    return safety_commands.estop(args.reason.strip(), args.timeout)


def resolve_scene(args):
    """The scene to run: --scene, --seed, or the default. Raises UsageError."""
    from griptalk_sim.scene import SceneError, load_scene, random_scene
    if args.scene is not None and args.seed is not None:
        raise UsageError("give either --scene or --seed (which generates a random scene), not both")
    try:
        if args.seed is not None:
            if args.seed < 0:
                raise UsageError(f"--seed must be >= 0, got {args.seed}")
            return random_scene(args.seed)
        return load_scene(args.scene or "tabletop")
    except SceneError as e:
        raise UsageError(str(e)) from None


def resolve_record(args) -> Path | None:
    """The `run --record DIR` directory, checked before anything starts. Raises UsageError."""
    if getattr(args, "record", None) is None:
        return None
    from griptalk.records.run_record import check_directory
    try:
        return check_directory(Path(args.record))
    except ValueError as e:
        raise UsageError(str(e)) from None


def main(argv=None) -> int:
    """Ctrl-C or SIGTERM shut the graph down (each `with` block closes) and exit 130, without a traceback."""
    previous = signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("interrupted: the graph was shut down", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "bench":
            return run_bench(args)
        if args.command in ("estop", "reset"):
            return run_safety_command(args)
        if not args.instruction.strip():
            raise UsageError("the instruction is empty: say what to do, e.g. \"put the red cube in the green bowl\"")
        if args.timeout <= 0:
            raise UsageError(f"--timeout must be positive, got {args.timeout}")
        scene = resolve_scene(args)
        record_dir = resolve_record(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE

    from griptalk.cli.episode import run_episode
    report = run_episode(scene, args.instruction.strip(), execute=args.command == "run", timeout_s=args.timeout,
                         verbose=args.verbose, progress=sys.stderr if args.json else sys.stdout,
                         record_dir=record_dir)
    if args.json:
        if report.logs:
            print(report.logs, file=sys.stderr)
        print(json.dumps(report.to_dict()))
    else:
        print(report.summary())
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
