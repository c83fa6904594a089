"""What the watcher says: a line per committed change and flag, cut re-imports, JSON or text logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from reelprov.names import counted, one_line, printable

log = logging.getLogger("reelprov.watch")


def _tools(tools: list[str] | None) -> str:
    return f" [{printable(', '.join(tools))}]" if tools else ""


_CHANGE_WORDS = {
    "seen": "new",
    "moved": "moved",
    "restored": "restored",
    "reread": "new evidence for",
}


def _where(e: dict[str, Any]) -> str:
    """The path an event is about; FROM -> TO for a move."""
    return f"{one_line(e['from'])} -> {one_line(e['path'])}" if "from" in e else one_line(e["path"])


# What the watcher says about each committed event: (format, *args) for log.info.
_EVENT_LINES: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "asset-recorded": lambda e: (
        "%s %s: %s%s",
        _CHANGE_WORDS.get(e["change"], e["change"]),
        _where(e),
        e["origin"],
        _tools(e["tools"]),
    ),
    "asset-deleted": lambda e: ("deleted %s", one_line(e["path"])),
    "flag-raised": lambda e: (
        "flag %s raised on %s: %s %s",
        e["flag"]["id"],
        one_line(e["asset"]["path"]),
        e["flag"]["severity"],
        e["flag"]["rule"],
    ),
    "flag-reopened": lambda e: (
        "flag %s reopened on %s: %s %s",
        e["flag"]["id"],
        one_line(e["asset"]["path"]),
        e["flag"]["severity"],
        e["flag"]["rule"],
    ),
    "flag-resolved": lambda e: (
        "flag %s resolved on %s: %s",
        e["flag"]["id"],
        one_line(e["asset"]["path"]),
        e["flag"]["rule"],
    ),
    "flag-updated": lambda e: (
        "flag %s on %s now reads: %s %s: %s",
        e["flag"]["id"],
        one_line(e["asset"]["path"]),
        e["flag"]["severity"],
        e["flag"]["rule"],
        one_line(e["flag"]["reason"]),
    ),
}


def log_committed(events: list[tuple[str, dict[str, Any]]]) -> None:
    """One log line per change and flag as it lands (bulk work logs its totals instead)."""
    for name, e in events:
        line = _EVENT_LINES.get(name)
        if line is None:
            continue
        try:
            log.info(*line(e))
        except (
            KeyError,
            TypeError,
        ):  # an event shape this line does not know: not worth a crash
            log.info("%s", name)


def log_cuts_followed(rep: Any) -> None:
    """A line for each cut imported again from its changed timeline file, or not (a scan report's)."""
    for c in rep.cuts_followed:
        log.info(
            "cut %r imported again from %s: %s matched, %d unmatched, %s left the cut",
            c["name"],
            one_line(c["why"]),
            counted(len(c["events"]), "event"),
            len(c["unmatched"]),
            counted(len(c["left"]), "asset"),
        )
    for c in rep.cut_errors:
        log.error(
            "cut %r not imported again from %s: %s; the previous import stands",
            c["cut"],
            one_line(c["why"]),
            c["error"],
        )


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "msg": record.getMessage(),
            },
            ensure_ascii=False,
        )


def setup_logging(fmt: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("reelprov")
    root.handlers[:] = [handler]
    root.setLevel(level)
