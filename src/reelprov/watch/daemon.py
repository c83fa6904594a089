"""`reelprov watch`: lock, reconcile, observe, settle, batch into the ledger; never die on one file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import shlex
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelprov.errors import DatabaseError, WatcherRunning
from reelprov.files import inode_of, write_file_safely
from reelprov.mounts import NETWORK_FS, mount_fstype
from reelprov.names import counted, one_line, printable
from reelprov.project import Project


class StopRequested(BaseException):
    """Raised in the main thread by stop() to end a reconcile under way (BaseException: nothing that
    catches errors to keep going catches it)."""


log = logging.getLogger("reelprov.watch")
# How often the watcher anchors the ledger's head outside the database, when it has moved.
ANCHOR_SECONDS = 300.0


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

QUEUE_MAX = 20000
# With inotify a file is read on close-after-write. Files that appeared before a new folder's
# watch was added get no close event, so a file unchanged this many settle windows is read anyway.
INOTIFY_FALLBACK_FACTOR = 3.0
MAX_HOLD = 5.0  # longest a settled change waits for others still settling
MAX_RETRIES = 3  # quick reads again of one file that raised, before it waits RETRY_LATER
RETRY_LATER = (
    60.0,
    900.0,
)  # then it is read again after a minute, the wait doubling up to 15 minutes
# Media a cut named, arriving: its cut is matched again once the files have landed (nothing settling
# or being read), at most this often (a delivery of 30,000 frames is not 30,000 imports of the cut).
FOLLOW_ARRIVALS_EVERY = 10.0
LEDGER_RETRY_SECONDS = 2.0  # how often a watcher that lost its ledger tries it again


def _log_cuts_followed(rep: Any) -> None:
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


def lock_path(project: Project) -> Path:
    return project.cfg.state_dir / f"watch-{socket.gethostname()}.lock"


def status_path(project: Project) -> Path:
    return project.cfg.state_dir / f"watch-{socket.gethostname()}.json"


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


def _hidden(rel: str) -> bool:
    return rel.startswith(".") or "/." in rel


class _Handler:
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


def _with_media_of_sidecars(root: Path, rels: set[str]) -> set[str]:
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


class Watcher:
    def __init__(
        self, project: Project, *, poll: float | None = None, settle: float | None = None
    ) -> None:
        self.project = project
        self.root = project.root
        self.settle = settle if settle is not None else project.cfg.settle_seconds
        self.poll = poll if poll is not None else project.cfg.poll_seconds
        self.stop_event = threading.Event()
        self.q: queue.Queue[tuple[str, str, str | None, bool]] = queue.Queue(maxsize=QUEUE_MAX)
        self.overflow = threading.Event()
        self.state = WatchState()
        self._lock_fd: int | None = None
        self.observer: Any = None
        from concurrent.futures import Future, ThreadPoolExecutor

        from reelprov.recording.pool import Readers

        workers = project.cfg.workers or max(2, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reelprov-examine")
        # the files themselves are read in processes: a reader library crashing on a hostile file
        # ends one of those, not the watcher
        self._readers = Readers(workers, project.cfg.read_timeout)
        self._bulk = False  # a reconcile or a policy re-evaluation: totals, not a line per change
        self._reconciling = False  # a reconcile under way in the main thread: stop() interrupts it
        self._anchored: tuple[int, str] | None = None  # the last head anchored
        project.listeners.append(self._log_committed)
        self._inflight: dict[str, Future[dict[str, Any] | None]] = {}
        self._failures: dict[str, int] = {}
        self._later: dict[
            str, tuple[float, float]
        ] = {}  # files that kept failing: (read again at, wait)
        self._ledger_lost: float | None = (
            None  # monotonic time of the last failed try of the ledger
        )
        self._ledger_found = 0.0  # monotonic time the ledger last answered again after being lost
        self._lost_writing = (
            False  # the outage showed in a write (a full disk, a lock): a read is no proof it ended
        )
        self._submitted: dict[str, float] = {}  # when each read in flight was started
        self._reconcile_owed = (
            False  # a reconcile that could not finish: run it when the ledger answers
        )
        self._ledger_file = self._sqlite_ledger()  # the embedded ledger
        self._ledger_id: tuple[int, int] | None = None  # and its (device, inode)
        self._status_failed = False  # the status file could not be written (said once)
        self._redo: set[str] = set()
        self._results: list[dict[str, Any]] = []
        self._arrived: list[
            str
        ] = []  # files recorded new or moved in: cuts that named them are matched again
        self._followed_at = -FOLLOW_ARRIVALS_EVERY  # monotonic time that was last done
        self._gone: dict[str, float] = {}
        self._settings = self._settings_signature()

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
                f"{self.root}: a watcher is already running on this host (pid {other}); stop it first or use `reelprov status`"
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

    def choose_backend(self) -> str:
        if self.poll is not None or self.project.cfg.force_polling:
            return "polling"
        fstype = mount_fstype(self.root)
        if fstype in NETWORK_FS:
            log.info(
                "project root is on %s: network shares send no events for other hosts' writes; polling",
                fstype,
            )
            return "polling"
        limit = inotify_limit()
        if limit is not None:
            dirs = count_dirs(self.root, limit + 1)
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

    def start_observer(self) -> None:
        backend = self.choose_backend()
        handler = _Handler(str(self.root), self.q, self.overflow)
        if backend == "polling":
            from watchdog.observers.polling import PollingObserver

            obs: Any = PollingObserver(timeout=self.poll or 5.0)
        else:
            from watchdog.observers import Observer

            obs = Observer()
        obs.schedule(handler, str(self.root), recursive=True)
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

            obs = PollingObserver(timeout=self.poll or 5.0)
            obs.schedule(handler, str(self.root), recursive=True)
            obs.start()
            backend = "polling"
        self.observer = obs
        self.state.backend = backend
        log.info("watching %s with %s", self.root, backend)

    def stop_observer(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(10)
            self.observer = None

    def _log_committed(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One log line per change and flag as it lands (bulk work logs its totals instead)."""
        if self._bulk:
            return
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

    @contextlib.contextmanager
    def _in_bulk(self) -> Iterator[None]:
        """Work that logs its totals: no line per change while it runs."""
        self._bulk = True
        try:
            yield
        finally:
            self._bulk = False

    def reconcile(self) -> None:
        from reelprov.recording.scan import scan

        with self._in_bulk(), self._interruptible():
            rep = scan(self.project)
        log.info(
            "reconciled: %s, %d new, %d changed, %d moved, %d deleted, %s%s%s",
            counted(rep.files, "file"),
            rep.seen,
            rep.changed,
            rep.moved,
            rep.deleted,
            counted(len(rep.errors), "error"),
            rep.extras(),
            f"; {rep.symlinks} symbolic links not followed ([scan] follow_symlinks)"
            if rep.symlinks
            else "",
        )
        for e in rep.errors:
            log.warning("skipped %s: %s", one_line(e["path"]), e["error"])
        _log_cuts_followed(rep)
        if rep.held:
            from reelprov.recording.report import held_deletions

            log.error(
                "%s", held_deletions(rep, f"reelprov --project {shlex.quote(str(self.root))} scan")
            )
        from datetime import UTC, datetime

        self.state.reconciled_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._reconcile_owed = False
        self._ledger_answered(writing=True)

    def _reconcile_safely(self) -> None:
        """A reconcile that, if the ledger fails it, is run again once the ledger answers."""
        try:
            self.reconcile()
        except DatabaseError as exc:
            self._reconcile_owed = True
            self._lost_ledger(exc, writing=True)
        except Exception as exc:  # noqa: BLE001 - the daemon keeps running; events still come in
            self._reconcile_owed = (
                False  # not run again in a loop: a restart or a settings change will
            )
            log.error("reconcile failed: %s; changes are still recorded as they come", exc)

    def run(self) -> None:
        """Until stop(): reconcile, observe, settle and write. Never raises on one bad file."""
        self.acquire()
        try:
            from datetime import UTC, datetime

            self.state.started_at = datetime.now(UTC).isoformat(timespec="seconds")
            if (why := self.project.ledger_sharing_warning()) is not None:
                log.warning("%s", why)
            # Observe first, then reconcile: a file written while the tree is walked is caught
            # by one or the other (recording it twice is a no-op), never by neither.
            self.start_observer()
            # a ledger that fails the first reconcile (a full disk, the server down) is waited for
            # and the reconcile run again when it answers, as later on
            self._reconcile_safely()
            self._ledger_id = self._file_id()
            last_status = last_anchor = 0.0
            while not self.stop_event.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - one bad pass must not stop the daemon
                    log.exception("watch pass failed; continuing")
                now = time.monotonic()
                if now - last_status > 1.0:
                    if self._ledger_lost is None:  # a settings change waits for the ledger too
                        self._check_ledger_file()
                        self._safe(self._check_settings)
                    self.write_status()
                    last_status = now
                if now - last_anchor > ANCHOR_SECONDS and self._ledger_lost is None:
                    self._safe(self._anchor, writing=False)
                    last_anchor = now
                self.stop_event.wait(0.1)
        except StopRequested:
            log.info(
                "stopping in the middle of a reconcile: what it recorded so far stays; the next start reconciles again"
            )
        finally:
            self.stop_observer()
            self._readers.close(now=self.stop_event.is_set())
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.release()

    def _anchor(self) -> None:
        """Keep the ledger's head outside the database (ledger/anchor.py) when it has moved."""
        from reelprov.ledger.anchor import record

        head = self.project.reader.head(self.project.cfg.project_id)
        if head == self._anchored:
            return
        res = record(self.project.cfg, *head)
        self._anchored = head
        for fail in res.failures:
            log.warning("cannot anchor the ledger head #%d in %s", head[0], fail)

    def stop(self, *_: Any) -> None:
        """Stop soon (SIGTERM, SIGINT). A reconcile under way in the main thread is interrupted at
        once (its open batch rolls back, its readers are ended), so that a stop never waits for a
        walk of the whole tree or a file stalling a reader."""
        self.stop_event.set()
        if self._reconciling and threading.current_thread() is threading.main_thread():
            self._reconciling = False
            raise StopRequested

    @contextlib.contextmanager
    def _interruptible(self) -> Iterator[None]:
        self._reconciling = threading.current_thread() is threading.main_thread()
        try:
            if self._reconciling and self.stop_event.is_set():
                raise StopRequested
            yield
        finally:
            self._reconciling = False

    # -- settings --------------------------------------------------------------------------------
    def _settings_signature(self) -> tuple[tuple[str, int, int] | None, ...]:
        out: list[tuple[str, int, int] | None] = []
        for f in self.project.settings_files():
            try:
                st = f.stat()
                out.append((str(f), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return tuple(out)

    def _check_settings(self) -> None:
        """reelprov.toml, the policy or the trust anchors edited while watching: use the new
        settings at once (a broken edit is logged and the previous settings stay), then bring the
        ledger in line with them: files the ignore list now admits, flags under the new policy."""
        sig = self._settings_signature()
        if sig == self._settings:
            return
        from reelprov.errors import ReelprovError

        try:
            self.project.reload_settings()
        except ReelprovError as exc:
            self._settings = sig  # said once; the next edit is looked at again
            log.error(
                "settings changed but cannot be used: %s; the previous settings stay in force", exc
            )
            return
        log.info("settings changed: reloaded; reconciling and re-evaluating the policy")
        self._readers.deadline = self.project.cfg.read_timeout
        self.reconcile()
        from reelprov.policy.check import policy_check

        with self._in_bulk():
            counts = policy_check(self.project)
        log.info(
            "policy re-evaluated on %s: %d raised, %d reopened, %d resolved, %d with a new reason",
            counted(counts["assets"], "asset"),
            counts["raised"],
            counts["reopened"],
            counts["resolved"],
            counts["updated"],
        )
        # Only now: if the ledger could not be written, the next pass tries again. The files
        # themselves may have changed too (another policy file named).
        self._settings = self._settings_signature()

    # -- the loop ------------------------------------------------------------------------------
    def tick(self) -> None:
        from datetime import UTC, datetime

        if not self.root.is_dir():
            if not self.state.root_missing:
                log.error(
                    "project root %s is gone (unmounted?); waiting for it to come back", self.root
                )
                self.state.root_missing = True
                self.stop_observer()
            return
        if self.state.root_missing:
            log.info("project root %s is back; reconciling", self.root)
            self.state.root_missing = False
            self.start_observer()
            self._reconcile_safely()
        if self._ledger_lost is not None and not self._ledger_back():
            return  # events wait in the queue (a flood of them ends in a full reconcile)
        if self._reconcile_owed:
            self._reconcile_safely()
            return
        if self.overflow.is_set():
            self.overflow.clear()
            log.warning("event burst overflowed the queue; reconciling the whole tree")
            self._drain()
            self.state.pending.clear()
            self._gone.clear()
            self._reconcile_safely()
            return
        moves, gone, dirs = self._drain()
        now = time.monotonic()
        for rel, (retry_at, _wait) in list(self._later.items()):
            if not os.path.lexists(self.root / rel):
                del self._later[rel]  # gone meanwhile: its deletion is recorded like any other
            elif retry_at <= now:
                self.state.pending.setdefault(
                    rel, Pending(first=now, stable_since=now, walked=True)
                )
        if moves:
            self._apply_moves(moves, gone, dirs)
        for d in dirs:
            # A new (or moved-in) folder's files may still be arriving: settle them like any other.
            for dirpath, dirnames, filenames in os.walk(self.root / d):
                dirnames[:] = [x for x in dirnames if not x.startswith(".")]
                for name in filenames:
                    rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(
                        os.sep, "/"
                    )
                    # Walked even if an event already queued it: a file written while its new
                    # folder's watch was being added may never send a close event.
                    self.state.pending.setdefault(
                        rel, Pending(first=now, stable_since=now)
                    ).walked = True
        ready: set[str] = set()
        for rel, p in list(self.state.pending.items()):
            full = self.root / rel
            try:
                st = full.stat()
            except OSError:
                gone.add(rel)
                del self.state.pending[rel]
                continue
            if (st.st_size, st.st_mtime_ns) != (p.size, p.mtime):
                p.size, p.mtime, p.stable_since = st.st_size, st.st_mtime_ns, now
                if not p.closed:
                    continue
            window = (
                self.settle
                if (self.state.backend == "polling" or p.walked)
                else max(1.0, self.settle * INOTIFY_FALLBACK_FACTOR)
            )
            if (
                p.closed and now - p.stable_since >= min(self.settle, 0.05)
            ) or now - p.stable_since >= window:
                ready.add(rel)
                del self.state.pending[rel]
        for g in gone:
            self._gone.setdefault(g, now)
        self._submit(ready)
        self._collect()
        self.state.backlog = len(self.state.pending) + len(self._inflight)
        # Deletions wait while files are settling or being read (up to MAX_HOLD): a delete + create
        # pair (polling, copies) then lands in one write, matches by hash and stays one asset.
        busy = bool(self._inflight or self.state.pending)
        due = {g for g, t in self._gone.items() if not busy or now - t >= MAX_HOLD}
        if self._results or due:
            from reelprov.recording.record import record_results

            results, self._results = self._results, []
            rep = self._safe(lambda: record_results(self.project, results, due))
            if rep is None:
                self._results = (
                    results + self._results
                )  # not written: keep everything for the next pass
                self.stop_event.wait(1.0)
                return
            self._ledger_answered(writing=True)
            for g in due:
                self._gone.pop(g, None)
            for e in rep.errors:
                log.warning("skipped %s: %s", one_line(e["path"]), e["error"])
            _log_cuts_followed(rep)
            self._arrived += rep.arrived
            self.state.last_write_at = datetime.now(UTC).isoformat(timespec="seconds")
        if (
            self._arrived
            and not (busy or self._results)
            and now - self._followed_at >= FOLLOW_ARRIVALS_EVERY
        ):
            self._follow_arrivals(now)

    def _follow_arrivals(self, now: float) -> None:
        """Cuts that named media which has arrived are matched again (cut.follow_cuts)."""
        from reelprov.recording.report import ScanReport

        rep = ScanReport(arrived=self._arrived)

        def follow() -> object:
            rep.follow_cuts(self.project)
            return rep

        if self._safe(follow) is None:
            return  # the ledger did not answer: the arrivals wait for it
        self._arrived, self._followed_at = [], now
        _log_cuts_followed(rep)

    def _apply_moves(self, moves: list[tuple[str, str]], gone: set[str], dirs: set[str]) -> None:
        from reelprov.recording.record import apply_moves

        rep = self._safe(lambda: apply_moves(self.project, moves))
        if rep is not None:
            self._ledger_answered(writing=True)
            self._arrived += rep.arrived
        else:
            for src, dest in moves:  # fall back to delete + examine, which still matches by hash
                gone.add(src)
                dirs.add(dest) if (self.root / dest).is_dir() else self.state.pending.setdefault(
                    dest,
                    Pending(first=time.monotonic(), stable_since=time.monotonic(), walked=True),
                )

    def _submit(self, ready: set[str]) -> None:
        """Hash and extract settled files on the worker pool; the loop thread stays the one writer."""
        from reelprov.recording.walk import Candidate

        for rel in sorted(_with_media_of_sidecars(self.root, ready)):
            if rel in self._inflight:
                self._redo.add(rel)  # changed again while being read: read it once more afterwards
                continue
            full = self.root / rel
            try:
                st = full.stat()
            except OSError:
                self._gone.setdefault(rel, time.monotonic())
                continue
            c = Candidate(
                rel, str(full), st.st_size, st.st_mtime_ns, True, st.st_ctime_ns, inode_of(st)
            )
            self._inflight[rel] = self._pool.submit(self._examine, c)
            self._submitted[rel] = time.monotonic()

    def _examine(self, c: Any) -> dict[str, Any] | None:
        from reelprov.recording.pool import examine_candidate
        from reelprov.recording.record import unchanged
        from reelprov.recording.report import ScanReport
        from reelprov.recording.walk import candidates_for

        rep = ScanReport()
        cands, _gone = candidates_for(self.project.cfg, {c.rel}, rep.errors)
        if rep.errors:
            return rep.errors[0]
        cand = cands.get(c.rel)
        if cand is None or unchanged(self.project, cand):
            return None  # ignored name, sidecar, or a moved file whose content is already recorded
        return examine_candidate(cand, self.project.trust_anchors, self._readers)

    def _collect(self) -> None:
        for rel, fut in list(self._inflight.items()):
            if not fut.done():
                continue
            del self._inflight[rel]
            started = self._submitted.pop(rel, 0.0)
            now = time.monotonic()
            try:
                res = fut.result()
            except (
                DatabaseError
            ) as exc:  # the ledger, not the file: it waits for the ledger, however long
                if (
                    started > self._ledger_found
                ):  # not a read that failed before the ledger came back
                    self._lost_ledger(exc, writing=False)
                self.state.pending.setdefault(
                    rel, Pending(first=now, stable_since=now, closed=True, walked=True)
                )
                continue
            except Exception as exc:  # noqa: BLE001 - one file's failure is logged, not fatal
                tries = self._failures[rel] = self._failures.get(rel, 0) + 1
                if tries <= MAX_RETRIES:
                    log.warning(
                        "could not read %s (%s); trying again (%d of %d)",
                        rel,
                        exc,
                        tries,
                        MAX_RETRIES,
                    )
                    self.state.pending.setdefault(
                        rel, Pending(first=now, stable_since=now, walked=True)
                    )
                else:
                    wait = self._later.get(rel, (0.0, RETRY_LATER[0] / 2))[1] * 2
                    wait = min(wait, RETRY_LATER[1])
                    log.error(
                        "could not read %s after %d tries (%s); trying again in %g s",
                        rel,
                        tries,
                        exc,
                        wait,
                    )
                    self._failures.pop(rel, None)
                    self._later[rel] = (now + wait, wait)
                continue
            self._failures.pop(rel, None)
            self._later.pop(rel, None)
            self._ledger_answered(writing=False)
            if res is not None:
                self._results.append(res)
            if rel in self._redo:
                self._redo.discard(rel)
                self._submit({rel})

    def _left(self, rel: str, gone: set[str], now: float) -> None:
        """A path deleted or moved away. Still there (polling pairs unrelated files by reused inode
        numbers and reports the one it kept as moved away; or a new file took the name at once):
        read it again rather than forget it."""
        gone.add(rel)
        if os.path.lexists(self.root / rel):
            self.state.pending[rel] = Pending(first=now, stable_since=now, walked=True)
        else:
            self.state.pending.pop(rel, None)

    def _drain(self) -> tuple[list[tuple[str, str]], set[str], set[str]]:
        from datetime import UTC, datetime

        moves: list[tuple[str, str]] = []
        gone: set[str] = set()
        dirs: set[str] = set()
        now = time.monotonic()
        while True:
            try:
                kind, src, dest, is_dir = self.q.get_nowait()
            except queue.Empty:
                break
            self.state.events += 1
            self.state.last_event_at = datetime.now(UTC).isoformat(timespec="seconds")
            if kind == "moved":
                if src and dest:
                    moves.append((src, dest))
                if dest:
                    # re-check what arrived: unknown files (e.g. renamed from a hidden temp name)
                    # get examined; already-recorded ones are skipped by their size and mtime. What
                    # it is, a file or a folder, is asked of the disk: polling can pair a deleted
                    # folder with a new file that reused its inode number.
                    if os.path.isdir(self.root / dest):
                        dirs.add(dest)
                    else:
                        self.state.pending[dest] = Pending(
                            first=now, stable_since=now, closed=True, walked=True
                        )
                if src:
                    self._left(src, gone, now)
            elif kind == "deleted":
                self._left(src, gone, now)
            elif is_dir:
                if kind == "created":
                    dirs.add(src)
            else:
                p = self.state.pending.get(src)
                if p is None:
                    p = self.state.pending[src] = Pending(first=now, stable_since=now)
                if kind == "closed":
                    p.closed = True
                    p.stable_since = now
                elif kind in ("created", "modified"):
                    p.closed = False if self.state.backend == "inotify" else p.closed
        # A sidecar deleted or moved away: its file loses that evidence, so read the file again.
        for g in list(gone):
            files = _with_media_of_sidecars(self.root, {g})
            if files != {g}:  # a sidecar, not a recorded file
                gone.discard(g)
                for m in files:
                    self.state.pending.setdefault(
                        m, Pending(first=now, stable_since=now, closed=True, walked=True)
                    )
        return moves, gone, dirs

    def _safe(self, fn: Any, *, writing: bool = True) -> Any:
        try:
            return fn()
        except DatabaseError as exc:
            self._lost_ledger(exc, writing=writing)
            return None
        except Exception as exc:  # noqa: BLE001 - the daemon keeps running; the next pass retries
            log.error("ledger work failed, will retry on the next pass: %s", exc)
            return None

    def _lost_ledger(self, exc: Exception, *, writing: bool) -> None:
        """The ledger did not answer: said once per outage; nothing is read or written until a try
        every LEDGER_RETRY_SECONDS gets an answer."""
        from datetime import UTC, datetime

        if self.state.ledger_unreachable_since is None:
            log.error(
                "%s; changes wait here and are recorded when the ledger answers (tried every %g s)",
                exc,
                LEDGER_RETRY_SECONDS,
            )
            self.state.ledger_unreachable_since = datetime.now(UTC).isoformat(timespec="seconds")
            self._lost_writing = False
        self._lost_writing |= writing
        self._ledger_lost = time.monotonic()

    def _sqlite_ledger(self) -> str | None:
        from reelprov.ledger.reader import dialect_of, sqlite_path

        url = self.project.database_url
        path = sqlite_path(url) if dialect_of(url) == "sqlite" else ""
        return path if path and path != ":memory:" else None

    def _file_id(self) -> tuple[int, int] | None:
        """The embedded ledger file's (device, inode); None if it is not there (or on PostgreSQL)."""
        try:
            st = os.stat(self._ledger_file) if self._ledger_file else None
        except OSError:
            return None
        return (st.st_dev, st.st_ino) if st else None

    def _check_ledger_file(self) -> None:
        """The embedded ledger deleted or replaced while the watcher runs (its folder cleaned up, a
        backup copied over it): writing on would go into a file no one can open again, and be lost.
        Its connections are closed and the changes wait until a ledger is there again."""
        if (
            self._ledger_file is None
            or self._ledger_id is None
            or self._file_id() == self._ledger_id
        ):
            return
        self.project.reader.close()
        if "ledger" in self.project.__dict__:
            self.project.ledger.close()
        self._reconcile_owed = (
            True  # what was written since it went is in the lost file: record it again
        )
        self._lost_ledger(
            DatabaseError(
                f"{self._ledger_file}: the ledger file was deleted or replaced while the watcher ran; restore it from "
                f"a backup (or `reelprov init` a new one)"
            ),
            writing=True,
        )

    def _probe(self) -> bool:
        if (
            self._ledger_file is not None
        ):  # a missing file would be created empty by connecting to it
            if self._file_id() is None or self.project.reader.revision() is None:
                raise DatabaseError(f"{self._ledger_file}: no ledger there yet")
            self._ledger_id = self._file_id()
        from reelprov.ledger import queries

        return queries.answers(self.project.reader)

    def _ledger_back(self) -> bool:
        """Every LEDGER_RETRY_SECONDS, one cheap query: is the ledger answering again? (A full disk or
        a held lock lets it be read: that outage is over only when a write gets through.)"""
        if time.monotonic() - self._ledger_lost < LEDGER_RETRY_SECONDS:  # type: ignore[operator]
            return False
        if self._safe(self._probe, writing=False) is None:
            return False
        self._ledger_lost = None
        self._ledger_found = time.monotonic()
        self._ledger_answered(writing=False)
        return True

    def _ledger_answered(self, *, writing: bool) -> None:
        """A read or write got through: the end of an outage it proves over, said once."""
        since = self.state.ledger_unreachable_since
        if since is None or (self._lost_writing and not writing):
            return
        self.state.ledger_unreachable_since = None
        log.info("the ledger is reachable again (it was not from %s); recording what waited", since)

    def write_status(self) -> None:
        data = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": self.state.started_at,
            "backend": self.state.backend,
            "events": self.state.events,
            "backlog": self.state.backlog,
            "last_event_at": self.state.last_event_at,
            "last_write_at": self.state.last_write_at,
            "root_missing": self.state.root_missing,
            "reconciled_at": self.state.reconciled_at,
            "ledger_unreachable_since": self.state.ledger_unreachable_since,
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


def install_signal_handlers(w: Watcher) -> None:
    signal.signal(signal.SIGTERM, w.stop)
    signal.signal(signal.SIGINT, w.stop)


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
