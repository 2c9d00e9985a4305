"""The run's event log: one JSON object a line, each flushed as it is written."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable


class EventLog:
    """Events with `t` (seconds since the log opened) and `event` (what happened); a run that is
    stopped keeps every line written before the stop."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.clock = clock
        self.start = clock()
        self.file = self.path.open("x", encoding="utf-8")  # never overwrite an earlier run's log
        self.write("opened", wall_time=datetime.now(timezone.utc).isoformat(timespec="milliseconds"))

    def elapsed(self) -> float:
        return self.clock() - self.start

    def write(self, event: str, **fields) -> dict:
        """Append one event. Raises ValueError for an empty name or a NaN, TypeError for a value JSON
        cannot hold; nothing is written then."""
        if not event:
            raise ValueError("an event needs a name")
        entry = {"t": round(self.elapsed(), 3), "event": event, **fields}
        line = json.dumps(entry, allow_nan=False)  # raises before anything is written
        self.file.write(line + "\n")
        self.file.flush()
        return entry

    def close(self) -> None:
        self.file.close()


def read_events(path: Path) -> list[dict]:
    """The events of a log. A last line cut short by a hard stop is left out; a bad line before the
    last raises ValueError."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    events = []
    for number, line in enumerate(lines, start=1):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as e:
            if number < len(lines):
                raise ValueError(f"{path}:{number}: not a JSON event: {e}") from None
    return events
