"""One watcher per project and host: its lock, and the status file `reelprov status` reads."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Any

from reelprov.errors import WatcherRunning
from reelprov.files import write_file_safely
from reelprov.project import Project
from reelprov.watch.log import log
from reelprov.watch.settling import WatchState


def lock_path(project: Project) -> Path:
    return project.cfg.state_dir / f"watch-{socket.gethostname()}.lock"


def status_path(project: Project) -> Path:
    return project.cfg.state_dir / f"watch-{socket.gethostname()}.json"


class WatchLock:
    """The watcher's lock file (holding its pid) and status file, on this host."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._lock_fd: int | None = None
        self._status_failed = False  # the status file could not be written (said once)

    # -- lifetime ------------------------------------------------------------------------------
    def acquire(self) -> None:
        from reelprov.errors import WatcherCannotStart
        from reelprov.ledger.reader import dialect_of, sqlite_path

        path = lock_path(self.project)
        url = self.project.database_url
        ledger = sqlite_path(url) if dialect_of(url) == "sqlite" else ""
        whose = "run it as the user who owns the project's .reelprov folder and ledger"
        if (
            ledger
            and os.path.exists(ledger)
            and not (os.access(ledger, os.W_OK) and os.access(os.path.dirname(ledger), os.W_OK))
        ):
            raise WatcherCannotStart(
                f"{ledger}: this user cannot write the ledger, and the watcher records into it; {whose}"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise WatcherCannotStart(
                f"{path}: cannot take the watcher's lock ({exc.strerror or exc}); {whose}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise WatcherRunning(
                f"{self.project.root}: a watcher is already running on this host (pid {other}); stop it first or use `reelprov status`"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is not None:
            try:
                status_path(self.project).unlink(missing_ok=True)
            finally:
                os.close(self._lock_fd)
                self._lock_fd = None

    def write_status(self, state: WatchState) -> None:
        data = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": state.started_at,
            "backend": state.backend,
            "events": state.events,
            "backlog": state.backlog,
            "last_event_at": state.last_event_at,
            "last_write_at": state.last_write_at,
            "root_missing": state.root_missing,
            "reconciled_at": state.reconciled_at,
            "ledger_unreachable_since": state.ledger_unreachable_since,
        }
        path = status_path(self.project)
        try:
            write_file_safely(path, json.dumps(data))
        except OSError as exc:
            if not self._status_failed:  # once, not every second
                log.warning("cannot write watcher status %s: %s", path, exc)
            self._status_failed = True
        else:
            self._status_failed = False


def status(project: Project) -> dict[str, Any]:
    """Is a watcher running for this project on this host, since when, with what backlog."""
    path = lock_path(project)
    running = False
    pid = None
    if path.exists():
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            running = True
        finally:
            os.close(fd)
        txt = path.read_text().strip()
        pid = int(txt) if txt.isdigit() else None
    info: dict[str, Any] = {
        "running": running,
        "pid": pid if running else None,
        "host": socket.gethostname(),
    }
    sp = status_path(project)
    if running and sp.exists():
        try:
            info.update(json.loads(sp.read_text()))
        except (OSError, ValueError):
            pass
    return info
