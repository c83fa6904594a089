"""Watching the tree: watchdog observers (inotify, or polling where events do not come), feeding a
bounded queue; the loop does all the work."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path
from typing import Any

from reelprov.mounts import NETWORK_FS, mount_fstype
from reelprov.project import Project
from reelprov.watch.log import log

QUEUE_MAX = 20000


def inotify_limit() -> int | None:
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text().strip())
    except (OSError, ValueError):
        return None


def count_dirs(root: Path, stop_at: int) -> int:
    n = 0
    for _dirpath, dirnames, _ in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        n += 1
        if n > stop_at:
            break
    return n


def _hidden(rel: str) -> bool:
    return rel.startswith(".") or "/." in rel


class EventHandler:
    """watchdog event handler: only enqueue (rel kind, src, dest); all work happens elsewhere."""

    def __init__(
        self,
        root: str,
        q: queue.Queue[tuple[str, str, str | None, bool]],
        overflow: threading.Event,
    ) -> None:
        self.root = root
        self.q = q
        self.overflow = overflow

    def _rel(self, p: str | bytes) -> str | None:
        if isinstance(p, bytes):
            p = os.fsdecode(p)
        rel = os.path.relpath(p, self.root).replace(os.sep, "/")
        if rel.startswith("..") or rel == ".":
            return None
        return rel

    def dispatch(self, event: Any) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        src = self._rel(event.src_path)
        dest = self._rel(getattr(event, "dest_path", "") or "") if kind == "moved" else None
        # Hidden paths are never recorded, and .reelprov/ is the ledger itself: its own writes
        # during a reconcile would flood the queue. A move out of a hidden name still counts.
        src = None if src is not None and _hidden(src) else src
        dest = None if dest is not None and _hidden(dest) else dest
        if src is None and dest is None:
            return
        try:
            self.q.put_nowait((kind, src or "", dest, bool(event.is_directory)))
        except queue.Full:
            self.overflow.set()  # too much at once: a full reconcile catches up without losing anything


def with_media_of_sidecars(root: Path, rels: set[str]) -> set[str]:
    """RELS, with each sidecar (NAME.xmp, NAME.ext.reelprov.json, ...) replaced by the files it
    describes: a sidecar is not recorded itself, but adding, editing or removing one changes its
    file's evidence."""
    from reelprov.extract.sidecars import is_sidecar, media_of

    out = set()
    for rel in rels:
        if not is_sidecar(rel.rpartition("/")[2]):
            out.add(rel)
            continue
        for m in media_of(root / rel):
            out.add(m.relative_to(root).as_posix())
    return out


def choose_backend(project: Project, poll: float | None) -> str:
    """inotify where it works; polling on network shares, past the watch limit, or when asked."""
    if poll is not None or project.cfg.force_polling:
        return "polling"
    fstype = mount_fstype(project.root)
    if fstype in NETWORK_FS:
        log.info(
            "project root is on %s: network shares send no events for other hosts' writes; polling",
            fstype,
        )
        return "polling"
    limit = inotify_limit()
    if limit is not None:
        dirs = count_dirs(project.root, limit + 1)
        if dirs > limit:
            log.warning(
                "inotify watch limit %d is below the %d+ folders here; polling instead. Raise it: "
                "sudo sysctl fs.inotify.max_user_watches=%d",
                limit,
                dirs,
                max(dirs * 2, 524288),
            )
            return "polling"
    return "inotify"


def start_observer(
    project: Project,
    q: queue.Queue[tuple[str, str, str | None, bool]],
    overflow: threading.Event,
    poll: float | None,
) -> tuple[Any, str]:
    """A started watchdog observer feeding Q, and its backend ("inotify" or "polling")."""
    backend = choose_backend(project, poll)
    handler = EventHandler(str(project.root), q, overflow)
    if backend == "polling":
        from watchdog.observers.polling import PollingObserver

        obs: Any = PollingObserver(timeout=poll or 5.0)
    else:
        from watchdog.observers import Observer

        obs = Observer()
    obs.schedule(handler, str(project.root), recursive=True)
    try:
        obs.start()
    except OSError as exc:
        if backend == "polling":
            raise
        log.warning(
            "inotify could not start (%s); polling instead. If it is the watch limit, raise it: "
            "sudo sysctl fs.inotify.max_user_watches=524288",
            exc,
        )
        from watchdog.observers.polling import PollingObserver

        obs = PollingObserver(timeout=poll or 5.0)
        obs.schedule(handler, str(project.root), recursive=True)
        obs.start()
        backend = "polling"
    log.info("watching %s with %s", project.root, backend)
    return obs, backend
