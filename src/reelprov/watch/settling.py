"""Settling: a file is read once it has stopped changing (closed after writing, or its size and
time steady for the settle window), never half-written."""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path

from reelprov.watch.observers import with_media_of_sidecars

# With inotify a file is read on close-after-write. Files that appeared before a new folder's
# watch was added get no close event, so a file unchanged this many settle windows is read anyway.
INOTIFY_FALLBACK_FACTOR = 3.0

MAX_HOLD = 5.0  # longest a settled change waits for others still settling


@dataclass
class Pending:
    first: float
    size: int = -1
    mtime: int = -1
    stable_since: float = 0.0
    closed: bool = False
    walked: bool = False  # found by walking a new folder: settle by size+mtime, not by close events


@dataclass
class WatchState:
    started_at: str = ""
    backend: str = ""
    events: int = 0
    last_event_at: str | None = None
    last_write_at: str | None = None
    backlog: int = 0
    root_missing: bool = False
    reconciled_at: str | None = (
        None  # the last full reconcile finished (None: the first is running)
    )
    ledger_unreachable_since: str | None = (
        None  # the ledger stopped answering (changes wait meanwhile)
    )
    pending: dict[str, Pending] = field(default_factory=dict)


def drain(
    q: queue.Queue[tuple[str, str, str | None, bool]], state: WatchState, root: Path
) -> tuple[list[tuple[str, str]], set[str], set[str]]:
    """The queued events as renames, paths gone and new folders; every other change becomes a
    pending file in STATE."""
    from datetime import UTC, datetime

    moves: list[tuple[str, str]] = []
    gone: set[str] = set()
    dirs: set[str] = set()
    now = time.monotonic()
    while True:
        try:
            kind, src, dest, is_dir = q.get_nowait()
        except queue.Empty:
            break
        state.events += 1
        state.last_event_at = datetime.now(UTC).isoformat(timespec="seconds")
        if kind == "moved":
            if src and dest:
                moves.append((src, dest))
            if dest:
                # re-check what arrived: unknown files (e.g. renamed from a hidden temp name)
                # get examined; already-recorded ones are skipped by their size and mtime. What
                # it is, a file or a folder, is asked of the disk: polling can pair a deleted
                # folder with a new file that reused its inode number.
                if os.path.isdir(root / dest):
                    dirs.add(dest)
                else:
                    state.pending[dest] = Pending(
                        first=now, stable_since=now, closed=True, walked=True
                    )
            if src:
                _left(state, root, src, gone, now)
        elif kind == "deleted":
            _left(state, root, src, gone, now)
        elif is_dir:
            if kind == "created":
                dirs.add(src)
        else:
            p = state.pending.get(src)
            if p is None:
                p = state.pending[src] = Pending(first=now, stable_since=now)
            if kind == "closed":
                p.closed = True
                p.stable_since = now
            elif kind in ("created", "modified"):
                p.closed = False if state.backend == "inotify" else p.closed
    # A sidecar deleted or moved away: its file loses that evidence, so read the file again.
    for g in list(gone):
        files = with_media_of_sidecars(root, {g})
        if files != {g}:  # a sidecar, not a recorded file
            gone.discard(g)
            for m in files:
                state.pending.setdefault(
                    m, Pending(first=now, stable_since=now, closed=True, walked=True)
                )
    return moves, gone, dirs


def _left(state: WatchState, root: Path, rel: str, gone: set[str], now: float) -> None:
    """A path deleted or moved away. Still there (polling pairs unrelated files by reused inode
    numbers and reports the one it kept as moved away; or a new file took the name at once):
    read it again rather than forget it."""
    gone.add(rel)
    if os.path.lexists(root / rel):
        state.pending[rel] = Pending(first=now, stable_since=now, walked=True)
    else:
        state.pending.pop(rel, None)


def walk_new_folders(state: WatchState, root: Path, dirs: set[str], now: float) -> None:
    """A new (or moved-in) folder's files may still be arriving: settle them like any other."""
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(root / d):
            dirnames[:] = [x for x in dirnames if not x.startswith(".")]
            for name in filenames:
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                # Walked even if an event already queued it: a file written while its new
                # folder's watch was being added may never send a close event.
                state.pending.setdefault(rel, Pending(first=now, stable_since=now)).walked = True


def settled(state: WatchState, root: Path, settle: float, gone: set[str], now: float) -> set[str]:
    """The pending files that have settled (taken out of STATE); those no longer there go to GONE."""
    ready: set[str] = set()
    for rel, p in list(state.pending.items()):
        try:
            st = (root / rel).stat()
        except OSError:
            gone.add(rel)
            del state.pending[rel]
            continue
        if (st.st_size, st.st_mtime_ns) != (p.size, p.mtime):
            p.size, p.mtime, p.stable_since = st.st_size, st.st_mtime_ns, now
            if not p.closed:
                continue
        window = (
            settle
            if (state.backend == "polling" or p.walked)
            else max(1.0, settle * INOTIFY_FALLBACK_FACTOR)
        )
        if (
            p.closed and now - p.stable_since >= min(settle, 0.05)
        ) or now - p.stable_since >= window:
            ready.add(rel)
            del state.pending[rel]
    return ready
