"""The ledger out of reach (a full disk, a held lock, the server down, the file replaced): said once,
nothing read or written meanwhile, one cheap try every LEDGER_RETRY_SECONDS, and the end said
when a read or (for a write outage) a write gets through."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from reelprov.errors import DatabaseError
from reelprov.project import Project
from reelprov.watch.log import log
from reelprov.watch.settling import WatchState

LEDGER_RETRY_SECONDS = 2.0  # how often a watcher that lost its ledger tries it again


class LedgerOutage:
    """Whether the watcher's ledger answers, and what to do while it does not."""

    def __init__(self, project: Project, state: WatchState) -> None:
        self.project = project
        self.state = state
        self.lost_at: float | None = None  # monotonic time of the last failed try of the ledger
        self.found_at = 0.0  # monotonic time the ledger last answered again after being lost
        self.lost_writing = False  # the outage showed in a write: a read is no proof it ended
        self.ledger_file = self._sqlite_ledger()  # the embedded ledger
        self.ledger_id: tuple[int, int] | None = None  # and its (device, inode)

    def remember_file(self) -> None:
        """Note which file the embedded ledger is now (file_replaced compares with it)."""
        self.ledger_id = self.file_id()

    def safe(self, fn: Callable[[], Any], *, writing: bool = True) -> Any:
        """FN(), or None when it failed: the ledger lost (said once), or any other error logged."""
        try:
            return fn()
        except DatabaseError as exc:
            self.lost(exc, writing=writing)
            return None
        except Exception as exc:  # noqa: BLE001 - the daemon keeps running; the next pass retries
            log.error("ledger work failed, will retry on the next pass: %s", exc)
            return None

    def lost(self, exc: Exception, *, writing: bool) -> None:
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
            self.lost_writing = False
        self.lost_writing |= writing
        self.lost_at = time.monotonic()

    def _sqlite_ledger(self) -> str | None:
        from reelprov.ledger.reader import dialect_of, sqlite_path

        url = self.project.database_url
        path = sqlite_path(url) if dialect_of(url) == "sqlite" else ""
        return path if path and path != ":memory:" else None

    def file_id(self) -> tuple[int, int] | None:
        """The embedded ledger file's (device, inode); None if it is not there (or on PostgreSQL)."""
        try:
            st = os.stat(self.ledger_file) if self.ledger_file else None
        except OSError:
            return None
        return (st.st_dev, st.st_ino) if st else None

    def file_replaced(self) -> bool:
        """The embedded ledger deleted or replaced while the watcher runs (its folder cleaned up, a
        backup copied over it): writing on would go into a file no one can open again, and be lost.
        Its connections are closed and the changes wait until a ledger is there again."""
        if self.ledger_file is None or self.ledger_id is None or self.file_id() == self.ledger_id:
            return False
        self.project.disconnect()
        self.lost(
            DatabaseError(
                f"{self.ledger_file}: the ledger file was deleted or replaced while the watcher ran; restore it from "
                f"a backup (or `reelprov init` a new one)"
            ),
            writing=True,
        )
        return True  # what was written since it went is in the lost file: record it again

    def _probe(self) -> bool:
        if (
            self.ledger_file is not None
        ):  # a missing file would be created empty by connecting to it
            if self.file_id() is None or self.project.reader.revision() is None:
                raise DatabaseError(f"{self.ledger_file}: no ledger there yet")
            self.ledger_id = self.file_id()
        from reelprov.ledger import queries

        return queries.answers(self.project.reader)

    def back(self) -> bool:
        """Every LEDGER_RETRY_SECONDS, one cheap query: is the ledger answering again? (A full disk or
        a held lock lets it be read: that outage is over only when a write gets through.)"""
        if time.monotonic() - self.lost_at < LEDGER_RETRY_SECONDS:  # type: ignore[operator]
            return False
        if self.safe(self._probe, writing=False) is None:
            return False
        self.lost_at = None
        self.found_at = time.monotonic()
        self.answered(writing=False)
        return True

    def answered(self, *, writing: bool) -> None:
        """A read or write got through: the end of an outage it proves over, said once."""
        since = self.state.ledger_unreachable_since
        if since is None or (self.lost_writing and not writing):
            return
        self.state.ledger_unreachable_since = None
        log.info("the ledger is reachable again (it was not from %s); recording what waited", since)
