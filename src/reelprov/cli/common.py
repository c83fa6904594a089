"""What every command shares: the project it opens, JSON out, errors and progress on stderr."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import json
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import typer

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import one_line as _p

if TYPE_CHECKING:
    from reelprov.project import Project


class _State:
    project_dir: str | None = None
    actor: str | None = None
    opened: list["Project"] = []  # noqa: RUF012 - closed by main() when the command ends


STATE = _State()


JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


def open_project(*, upgrade: bool = True) -> "Project":
    from reelprov.project import Project

    p = Project.open(STATE.project_dir, actor=STATE.actor, upgrade=upgrade)
    STATE.opened.append(p)
    return p


def emit(obj: Any) -> None:
    # Indented for people at a terminal; compact (and several times faster) for tools and pipes.
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(obj, indent=indent, ensure_ascii=False, default=str) + "\n")


def emit_all(items: Iterable[Any]) -> None:
    """A JSON array written item by item as they come (a million assets never sit in memory),
    the same text emit would write for the whole list."""
    indent = 2 if sys.stdout.isatty() else None
    write = sys.stdout.write
    first = True
    for item in items:
        if indent:
            text = "\n".join(
                "  " + line
                for line in json.dumps(
                    item, indent=indent, ensure_ascii=False, default=str
                ).splitlines()
            )
            write(("[\n" if first else ",\n") + text)
        else:
            write(("[" if first else ", ") + json.dumps(item, ensure_ascii=False, default=str))
        first = False
    write(("[]" if first else ("\n]" if indent else "]")) + "\n")


def where_of(p: "Project", given: str | None) -> str | None:
    """A folder, file or glob argument as a root-relative pattern, taken from where the user
    stands like every path argument; None for the whole project."""
    where = p.cfg.relpath(given) if given else "."
    return None if where == "." else where


def matching(given: str | None, where: str | None) -> str:
    """After a count: which root-relative path a path argument became, when that differs from
    what was typed."""
    return f" matching {_p(where)}" if given and where and where != given.rstrip("/") else ""


def err(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def err_first(lines: list[str], limit: int, rest: str) -> None:
    """The first LIMIT of LINES, then '... and N REST' for the others (the full list is in --json)."""
    for line in lines[:limit]:
        err(line)
    if len(lines) > limit:
        err(f"... and {len(lines) - limit:,} {rest}")


# Seconds between two redraws of a progress bar.
PROGRESS_REDRAW = 0.1


class ProgressBar:
    """A rich progress bar on stderr, only when stderr is a terminal. Redrawn as progress is
    reported (at most every PROGRESS_REDRAW), not by rich's refresh thread: a scan forks its
    examining processes only while it runs no other thread (recording/pool.py _context), else a
    server process starts them, 0.1 s later at a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.task: Any = None
        self._drawn = 0.0

    def __enter__(self) -> "ProgressBar":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=None)
        return self

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(
                self.task, description=f"{self.label}: {phase}", completed=done, total=total
            )
            now = time.monotonic()
            if now - self._drawn >= PROGRESS_REDRAW:
                self.bar.refresh()
                self._drawn = now

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
