"""`reelprov watch`: lock, reconcile, observe, settle, batch into the ledger; never die on one file.

The loop lives here (Watcher.tick); the rest is in its own module: `observers` (watchdog, the
backend), `settling` (when a file is ready), `outage` (the ledger out of reach), `lock` (one
watcher per host, the status file), `log` (what it says). The files themselves are read and
recorded by reelprov.recording, as a scan does.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reelprov.errors import DatabaseError
from reelprov.files import inode_of
from reelprov.names import counted, one_line
from reelprov.project import Project
from reelprov.recording.report import Arrivals
from reelprov.watch.lock import WatchLock
from reelprov.watch.log import log, log_committed, log_cuts_followed
from reelprov.watch.observers import (
    QUEUE_MAX,
    start_observer,
    with_media_of_sidecars,
)
from reelprov.watch.outage import LedgerOutage
from reelprov.watch.settling import MAX_HOLD, Pending, WatchState, drain, settled, walk_new_folders

if TYPE_CHECKING:
    from reelprov.extract import Outcome


class StopRequested(BaseException):
    """Raised in the main thread by stop() to end a reconcile under way (BaseException: nothing that
    catches errors to keep going catches it)."""


# How often the watcher anchors the ledger's head outside the database, when it has moved.
ANCHOR_SECONDS = 300.0

MAX_RETRIES = 3  # quick reads again of one file that raised, before it waits RETRY_LATER

RETRY_LATER = (
    60.0,
    900.0,
)  # then it is read again after a minute, the wait doubling up to 15 minutes

# Media a cut named, arriving: its cut is matched again once the files have landed (nothing settling
# or being read), at most this often (a delivery of 30,000 frames is not 30,000 imports of the cut).
FOLLOW_ARRIVALS_EVERY = 10.0


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
        self.lock = WatchLock(project)
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
        self.outage = LedgerOutage(project, self.state)
        self._inflight: dict[str, Future[Outcome | None]] = {}
        self._failures: dict[str, int] = {}
        self._later: dict[
            str, tuple[float, float]
        ] = {}  # files that kept failing: (read again at, wait)
        self._submitted: dict[str, float] = {}  # when each read in flight was started
        self._reconcile_owed = (
            False  # a reconcile that could not finish: run it when the ledger answers
        )
        self._redo: set[str] = set()
        self._results: list[Outcome] = []
        self._arrived = (
            Arrivals()
        )  # files recorded new or moved in: cuts that named them are matched again
        self._followed_at = -FOLLOW_ARRIVALS_EVERY  # monotonic time that was last done
        self._gone: dict[str, float] = {}
        self._settings = self._settings_signature()

    # -- observing ------------------------------------------------------------------------------
    def start_observer(self) -> None:
        self.observer, self.state.backend = start_observer(
            self.project, self.q, self.overflow, self.poll
        )

    def stop_observer(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(10)
            self.observer = None

    def _log_committed(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """One log line per change and flag as it lands (bulk work logs its totals instead)."""
        if not self._bulk:
            log_committed(events)

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
        log_cuts_followed(rep)
        if rep.held:
            from reelprov.recording.report import held_deletions

            log.error(
                "%s",
                held_deletions(
                    rep, f"reelprov --project {shlex.quote(str(self.root))} scan --allow-deletions"
                ),
            )
        from datetime import UTC, datetime

        self.state.reconciled_at = datetime.now(UTC).isoformat(timespec="seconds")
        self._reconcile_owed = False
        self.outage.answered(writing=True)

    def _reconcile_safely(self) -> None:
        """A reconcile that, if the ledger fails it, is run again once the ledger answers."""
        try:
            self.reconcile()
        except DatabaseError as exc:
            self._reconcile_owed = True
            self.outage.lost(exc, writing=True)
        except Exception as exc:  # noqa: BLE001 - the daemon keeps running; events still come in
            self._reconcile_owed = (
                False  # not run again in a loop: a restart or a settings change will
            )
            log.error("reconcile failed: %s; changes are still recorded as they come", exc)

    def run(self) -> None:
        """Until stop(): reconcile, observe, settle and write. Never raises on one bad file."""
        self.lock.acquire()
        try:
            from datetime import UTC, datetime

            self.state.started_at = datetime.now(UTC).isoformat(timespec="seconds")
            if (why := self.project.ledger_sharing_warning()) is not None:
                log.warning("%s", why)
            # The reading processes are started now, by a server process of their own (never
            # forked from this one's threads, nor carrying a copy of what the reconcile loads).
            self._readers.start()
            # Observe first, then reconcile: a file written while the tree is walked is caught
            # by one or the other (recording it twice is a no-op), never by neither.
            self.start_observer()
            # a ledger that fails the first reconcile (a full disk, the server down) is waited for
            # and the reconcile run again when it answers, as later on
            self._reconcile_safely()
            self.outage.remember_file()
            last_status = last_anchor = 0.0
            while not self.stop_event.is_set():
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - one bad pass must not stop the daemon
                    log.exception("watch pass failed; continuing")
                now = time.monotonic()
                if now - last_status > 1.0:
                    if self.outage.lost_at is None:  # a settings change waits for the ledger too
                        if self.outage.file_replaced():
                            self._reconcile_owed = (
                                True  # what was written since is in the lost file
                            )
                        self.outage.safe(self._check_settings)
                    self.lock.write_status(self.state)
                    last_status = now
                if now - last_anchor > ANCHOR_SECONDS and self.outage.lost_at is None:
                    self.outage.safe(self._anchor, writing=False)
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
            self.lock.release()

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
        if self.outage.lost_at is not None and not self.outage.back():
            return  # events wait in the queue (a flood of them ends in a full reconcile)
        if self._reconcile_owed:
            self._reconcile_safely()
            return
        if self.overflow.is_set():
            self.overflow.clear()
            log.warning("event burst overflowed the queue; reconciling the whole tree")
            drain(self.q, self.state, self.root)
            self.state.pending.clear()
            self._gone.clear()
            self._reconcile_safely()
            return
        moves, gone, dirs = drain(self.q, self.state, self.root)
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
        walk_new_folders(self.state, self.root, dirs, now)
        ready = settled(self.state, self.root, self.settle, gone, now)
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
            rep = self.outage.safe(lambda: record_results(self.project, results, due))
            if rep is None:
                self._results = (
                    results + self._results
                )  # not written: keep everything for the next pass
                self.stop_event.wait(1.0)
                return
            self.outage.answered(writing=True)
            for g in due:
                self._gone.pop(g, None)
            for e in rep.errors:
                log.warning("skipped %s: %s", one_line(e["path"]), e["error"])
            log_cuts_followed(rep)
            self._arrived.extend(rep.arrived)
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

        if self.outage.safe(follow) is None:
            return  # the ledger did not answer: the arrivals wait for it
        self._arrived, self._followed_at = Arrivals(), now
        log_cuts_followed(rep)

    def _apply_moves(self, moves: list[tuple[str, str]], gone: set[str], dirs: set[str]) -> None:
        from reelprov.recording.record import apply_moves

        rep = self.outage.safe(lambda: apply_moves(self.project, moves))
        if rep is not None:
            self.outage.answered(writing=True)
            self._arrived.extend(rep.arrived)
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

        for rel in sorted(with_media_of_sidecars(self.root, ready)):
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

    def _examine(self, c: Any) -> Outcome | None:
        from reelprov.extract import ReadFailure
        from reelprov.recording.pool import examine_candidate
        from reelprov.recording.record import unchanged
        from reelprov.recording.report import ScanReport
        from reelprov.recording.walk import candidates_for

        rep = ScanReport()
        cands, _gone = candidates_for(self.project.cfg, {c.rel}, rep.errors)
        if rep.errors:
            return ReadFailure(rep.errors[0]["path"], rep.errors[0]["error"])
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
                    started > self.outage.found_at
                ):  # not a read that failed before the ledger came back
                    self.outage.lost(exc, writing=False)
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
            self.outage.answered(writing=False)
            if res is not None:
                self._results.append(res)
            if rel in self._redo:
                self._redo.discard(rel)
                self._submit({rel})


def install_signal_handlers(w: Watcher) -> None:
    """SIGTERM and SIGINT stop the watcher; SIGUSR1 writes every thread's stack to stderr (its
    log) and changes nothing: what a watcher that seems stuck is doing, without stopping it."""
    import faulthandler

    signal.signal(signal.SIGTERM, w.stop)
    signal.signal(signal.SIGINT, w.stop)
    try:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is an OSError
        pass  # a stderr with no file behind it (run inside another program): nowhere to write to
