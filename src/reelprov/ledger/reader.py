"""Reading the ledger and its projections through the bare DB-API driver.

Read commands (`ls`, `show`, `history`, `flags`, `cut ls/show`, `report`) start without importing
SQLAlchemy, SQLModel or Alembic, which cost most of a second here: sqlite3 from the standard
library; for a shared PostgreSQL ledger psycopg, the one PostgreSQL driver (imported only when a
PostgreSQL ledger is opened). Writes are in ledger/store.py.
Every statement is a constant string with named parameters; values are always bound, never
formatted into SQL.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from reelprov.errors import DatabaseError

BUSY_TIMEOUT_MS = 30_000
# The newest migration in migrations/versions. Checked against Alembic by a test; lets every
# command confirm an up-to-date ledger with one query instead of loading Alembic.
SCHEMA_HEAD = "0012"
WAL_CHECKPOINT_PAGES = 10_000  # 4 KB pages: see connect()
WAL_KEEP_BYTES = 64 * 1024 * 1024
# Characters of a path PostgreSQL's prefix index holds (4 bytes each at most: under the btree row limit).
PATH_PREFIX = 500


_PATH_KEYS: dict[str, str] = {}  # recent paths' keys: recording a file asks four times
_PATH_KEYS_MOST = 8192


# Hex digits of a path_key taken from the hash of the path's folder (the rest from the path's own).
# The keys of one folder's files sort together, so a batch of new frames lands on a few pages of the
# two indexes keyed by them (the asset's and the scan cache's), not on a page each: 50,000 frames
# scanned in 3.9-4.1 s instead of 4.4-4.7, their commits 0.57 s instead of 0.89-0.95. Migration
# 0012 computes the same.
FOLDER_KEY = 16
_FOLDER_KEYS: dict[str, str] = {}  # recent folders' digits (a batch or a replay visits a few)


def path_key(path: str) -> str:
    """What a path is looked up by in the database: 64 hex digits, the first FOLDER_KEY of the
    SHA-256 of its folder, then the first 64 - FOLDER_KEY of the path's own. A path may be 4 KB,
    longer than a PostgreSQL btree row (~2.7 KB): a btree over the path itself stopped recording."""
    key = _PATH_KEYS.get(path)
    if key is None:
        import hashlib

        folder = path.rpartition("/")[0]
        head = _FOLDER_KEYS.get(folder)
        if head is None:
            digest = hashlib.sha256(folder.encode("utf-8", "surrogateescape")).hexdigest()
            head = _kept(_FOLDER_KEYS, folder, digest[:FOLDER_KEY])
        own = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()
        key = _kept(_PATH_KEYS, path, head + own[: 64 - FOLDER_KEY])
    return key


def remember_path_key(path: str, key: str) -> None:
    """Keep KEY as PATH's path_key (an examining process computed it, so the writer need not)."""
    _kept(_PATH_KEYS, path, key)


def _kept(cache: dict[str, str], key: str, value: str) -> str:
    """VALUE, kept in CACHE under KEY; a full cache (_PATH_KEYS_MOST) starts again empty."""
    if len(cache) >= _PATH_KEYS_MOST:
        cache.clear()
    cache[key] = value
    return value


# Columns stored as JSON text (SQLite) or json (PostgreSQL), and booleans SQLite keeps as 0/1.
# tests/ledger/test_reader.py checks both sets against models.py.
JSON_COLUMNS = frozenset(
    {
        "tools",
        "evidence",
        "tags",
        "declarations",
        "cuts",
        "events",
        "unmatched",
        "trail",
        "scope",
        "answers",
        "escalated",
    }
)
BOOL_COLUMNS = frozenset({"deleted", "c2pa_present"})
# Every table's columns in order (ledger_entry without its database-numbered id), for the writer's
# inserts and updates; tests/ledger/test_reader.py checks them against models.py.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ledger_entry": (
        "project",
        "seq",
        "asset",
        "kind",
        "payload",
        "actor",
        "host",
        "ts",
        "prev_hash",
        "entry_hash",
    ),
    "asset": (
        "id",
        "project",
        "path",
        "path_key",
        "sha256",
        "size",
        "media_type",
        "deleted",
        "origin",
        "tools",
        "evidence",
        "evidence_sha256",
        "c2pa_present",
        "c2pa_state",
        "tags",
        "stage_override",
        "declarations",
        "cuts",
        "first_seq",
        "last_seq",
    ),
    "flag": (
        "project",
        "id",
        "asset",
        "rule",
        "area",
        "severity",
        "status",
        "reason",
        "sha256",
        "decided_by",
        "ref",
        "note",
        "decided_at",
        "raised_seq",
        "last_seq",
        "decided_severity",
        "trail",
    ),
    "cut": (
        "project",
        "name",
        "source",
        "rate",
        "imported_at",
        "imported_seq",
        "events",
        "unmatched",
    ),
    "intended_use": (
        "project",
        "id",
        "number",
        "tool",
        "purpose",
        "area",
        "risk",
        "matrix_risk",
        "scope",
        "answers",
        "escalated",
        "note",
        "proposed_by",
        "proposed_at",
        "proposed_seq",
        "status",
        "decided_by",
        "ref",
        "decided_at",
        "closed_by",
        "closed_at",
        "closed_seq",
        "last_seq",
        "trail",
    ),
    "file_state": (
        "project",
        "path_key",
        "path",
        "size",
        "mtime_ns",
        "sha256",
        "ctime_ns",
        "inode",
    ),
}
_NAMED = re.compile(r"(?<![:\w]):(\w+)")
# A list bound as one parameter: written for SQLite (a JSON array read by json_each), rewritten
# for PostgreSQL as = ANY(array). Lets every statement stay one constant string.
_IN_LIST = re.compile(r"\bIN \(SELECT value FROM json_each\(:(\w+)\)\)")
# Rows looked up by key in a list of text keys: `(project, path) IN (SELECT :p, value FROM
# json_each(:paths))`, rewritten for PostgreSQL as a set of rows. Its planner, without statistics
# on a table (just filled, or a server running without autovacuum) and even with them for a long
# list, takes `project = $1 AND path = ANY($2)` as matching most rows and reads the whole project
# (186 ms for 500 paths among 460,000 assets); the rows of a set it looks up one by one in the
# (project, path) index (1.3 ms). SQLite plans both forms alike.
_IN_KEYED = re.compile(r"\bIN \(SELECT :(\w+), value FROM json_each\(:(\w+)\)\)")


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """A statement written with :name parameters (and json_each lists) in psycopg's style."""
    sql = _IN_KEYED.sub(r"IN (SELECT :\1, unnest(CAST(:\2 AS text[])))", sql)
    return _NAMED.sub(r"%(\1)s", _IN_LIST.sub(r"= ANY(:\1)", sql))


def redact(url: str) -> str:
    """URL with any password replaced by ***, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return url


def sqlite_path(url: str) -> str:
    return url.split("///", 1)[1] if "///" in url else ""


def driver_error(where: str, message: str) -> DatabaseError:
    """One clear error for a driver failure: full disk, corrupt file, or cannot connect."""
    orig = (message.strip().splitlines() or [""])[0]
    if "disk is full" in orig or "No space left" in orig or "could not extend file" in orig:
        return DatabaseError(
            f"{where}: the disk holding the ledger is full ({orig}); free space and run the "
            "command again (this transaction was not written)"
        )
    if "database is locked" in orig or "lock timeout" in orig:
        return DatabaseError(
            f"{where}: the ledger is busy: another process has held its write lock for {BUSY_TIMEOUT_MS // 1000} s "
            f"(a scan or the watcher writing a large batch, or a program keeping the file open); nothing was written: "
            f"run the command again when it is done"
        )
    if "not a database" in orig or "malformed" in orig:
        return DatabaseError(
            f"{where}: the ledger file is corrupt ({orig}); restore it from backup"
        )
    if "permission denied for" in orig:
        return DatabaseError(
            f"{where}: this database user may read the ledger but not record in it ({orig}); reading commands "
            "(ls, show, flags, verify, report) work, recording needs a role allowed to insert and update its tables"
        )
    if "readonly database" in orig:
        return DatabaseError(
            f"{where}: the ledger is read-only for this user ({orig}); reading commands (ls, show, flags, "
            "verify, a report written elsewhere) work, recording needs write access to the ledger file and its "
            "folder: run it as the user who owns them (the watcher's)"
        )
    return DatabaseError(
        f"{where}: cannot open the ledger database ({orig}); check the server / database_url"
    )


def _driver_errors() -> tuple[type[BaseException], ...]:
    errs: list[type[BaseException]] = [sqlite3.Error]
    for module in ("psycopg",):
        loaded = sys.modules.get(module)
        if loaded is not None:
            errs.append(loaded.Error)
    return tuple(errs)


def _decoder(names: list[str]) -> Any:
    """A row-to-dict function for one result shape: only the JSON and boolean columns are touched."""
    json_cols = [n for n in names if n in JSON_COLUMNS]
    bool_cols = [n for n in names if n in BOOL_COLUMNS]
    loads = json.loads
    if not json_cols and not bool_cols:

        def plain(row: tuple[Any, ...]) -> dict[str, Any]:
            return dict(zip(names, row))  # noqa: B905 - the cursor gives exactly len(names) values

        return plain

    def decode(row: tuple[Any, ...]) -> dict[str, Any]:
        out = dict(zip(names, row))  # noqa: B905 - the cursor gives exactly len(names) values
        for k in json_cols:
            v = out[k]
            if v == "[]":  # most lists are empty: skip the parser
                out[k] = []
            elif isinstance(v, str):
                out[k] = loads(v)
        for k in bool_cols:
            if out[k] is not None:
                out[k] = bool(out[k])
        return out

    return decode


def dialect_of(url: str) -> str:
    """ "sqlite" for the embedded ledger, "postgresql" for a shared one."""
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# libpq settings a shared ledger's connections get unless its URL sets them (`?keepalives_idle=60`):
# a server that went away without a word (powered off, a firewall or NAT dropping the connection) is
# noticed within about a minute, where a query would otherwise wait on the dead connection for ever
# and a watcher running for weeks would stop recording. Idle connections stay: the server's TCP
# answers the keepalive probes.
PG_DEFAULTS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60000,
}


def connect(url: str, *, write: bool = False) -> Any:
    """A DB-API connection for URL in autocommit mode (transactions are begun explicitly).
    SQLite: busy timeout, and for writers WAL with synchronous=FULL: a committed entry survives a
    power cut or an OS crash too, not only a killed process (NORMAL may lose the last commits).
    PostgreSQL: psycopg with keepalives."""
    if dialect_of(url) == "sqlite":
        path = sqlite_path(url)
        if write and path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        target, uri = path, False
        if not write and path != ":memory:":
            target, uri = _read_only_uri(path)
        conn = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            uri=uri,
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if write:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # 32 MB of page cache for a writer (SQLite's default is 2 MB): a scan's inserts reach
            # index pages across the whole ledger (content hashes, path keys), and with 2 MB each
            # commit read them back from the OS and wrote more: a 100,000-file cold scan took
            # 32 s instead of 26. Bounded, so memory stays flat however large the ledger.
            conn.execute("PRAGMA cache_size=-32000")
            conn.execute("PRAGMA foreign_keys=ON")
            # Checkpoint the WAL into the database every ~40 MB of it, not every 4 MB (SQLite's
            # default): a cold scan's batch writes ~3 MB, so each commit also copied its pages
            # into the database and waited for a second fsync (10% of the scan's own time at
            # 20,000 files). The WAL is as durable; after a checkpoint it is cut back to 64 MB.
            conn.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
        return conn
    conninfo = re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", url)
    try:
        import psycopg
    except ImportError:
        raise DatabaseError(
            f"{redact(url)}: PostgreSQL needs psycopg; run `pip install 'reelprov[postgres]'`"
        ) from None
    from psycopg.conninfo import conninfo_to_dict

    given = conninfo_to_dict(conninfo)
    settings: dict[str, Any] = {k: v for k, v in PG_DEFAULTS.items() if k not in given}
    options = str(given.get("options") or "")
    if write and "lock_timeout" not in options:
        # a writer waits for the project's lock as long as SQLite's busy timeout: behind a writer stuck
        # holding it (a suspended process) it fails saying so, instead of waiting for ever
        settings["options"] = f"{options} -c lock_timeout={int(BUSY_TIMEOUT_MS)}".strip()
    pg = psycopg.connect(conninfo, autocommit=True, **settings)
    # JSON columns come as text, decoded by _decoder as on SQLite (most are "[]", which skips the
    # parser): psycopg's own loader parsed every value from bytes, a fifth of `verify`'s time
    from psycopg.types.string import TextLoader

    for name in ("json", "jsonb"):
        pg.adapters.register_loader(name, TextLoader)
    return pg


def _read_only_uri(path: str) -> tuple[str, bool]:
    """How a reader opens a ledger it may not be able to write (an archived project, a share
    mounted read-only, a project owned by the watcher's user): (target, is_uri).

    A WAL-mode reader needs the `-shm` index beside the file. Where this user cannot create it,
    SQLite refuses even to read ("attempt to write a readonly database"), so: open read-only while
    a writer keeps the index there, else as immutable (no writer is active: with none, the WAL
    has been checkpointed into the file and removed, so the file alone is the whole ledger).
    """
    from urllib.parse import quote

    folder = os.path.dirname(os.path.abspath(path))
    if os.access(folder, os.W_OK) or not os.path.exists(path):
        return path, False
    mode = "mode=ro" if os.path.exists(path + "-shm") else "immutable=1"
    return f"file:{quote(os.path.abspath(path))}?{mode}", True


class PerThread:
    """One DB-API connection per thread, opened on first use; close() closes them all."""

    def __init__(self, url: str, *, write: bool = False) -> None:
        self.url = url
        self.write = write
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.url, write=self.write)
            with self._lock:
                self._all.append(conn)
        return conn

    def discard(self) -> None:
        """Drop this thread's connection (after an error that may have broken it)."""
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None:
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            _quiet_close(conn)

    def drop_if_broken(self) -> bool:
        """After an error: drop this thread's connection if the server end is gone (PostgreSQL restarted,
        the network to it cut, an idle timeout), so the next use connects again instead of failing for
        ever. True if it was dropped."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and (getattr(conn, "broken", False) or getattr(conn, "closed", False)):
            self.discard()
            return True
        return False

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            _quiet_close(conn)
        self._local = threading.local()


def _quiet_close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001, S110 - a connection of a finished thread, or a broken one
        pass


class Statements:
    """Constant SQL with :name parameters run on a DB-API connection; rows come back as dicts."""

    dialect: str
    where: str

    def _connect(self) -> Any:
        raise NotImplementedError

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except _driver_errors() as exc:
            raise driver_error(self.where, str(exc)) from None

    # -- statements ------------------------------------------------------------------------------
    def _prepare(self, sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Named parameters as :name in the source (psycopg wants %(name)s); lists as one value."""
        if self.dialect == "sqlite":
            return sql, {
                k: json.dumps(v) if isinstance(v, list | tuple) else v for k, v in params.items()
            }
        return pyformat(sql), {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}

    def iter(self, sql: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Rows as dicts (JSON columns decoded, booleans as bool), fetched in chunks."""
        conn = self._connect()
        with self.guard():
            cur = self._cursor(conn)
            try:
                cur.execute(*self._prepare(sql, params))
                decode = _decoder([d[0] for d in cur.description])
                while True:
                    chunk = cur.fetchmany(2000)
                    if not chunk:
                        return
                    for row in chunk:
                        yield decode(row)
            finally:
                cur.close()

    def _cursor(self, conn: Any) -> Any:
        return conn.cursor()

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.iter(sql, **params))

    def one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        for r in self.iter(sql, **params):
            return r
        return None

    def execute(self, sql: str, **params: Any) -> None:
        """A statement whose result is not needed (writes)."""
        with self.guard():
            self._connect().execute(*self._prepare(sql, params))

    def head(self, project: str) -> tuple[int, str]:
        from reelprov.ledger.chain import GENESIS_HASH

        r = self.one(
            "SELECT seq, entry_hash FROM ledger_entry WHERE project = :p ORDER BY seq DESC LIMIT 1",
            p=project,
        )
        return (r["seq"], r["entry_hash"]) if r else (0, GENESIS_HASH)

    def many(self, sql: str, rows: list[dict[str, Any]] | list[list[Any]]) -> None:
        """One statement over many parameter sets (executemany): dicts for a statement written with
        :name parameters, lists for one written in the dialect's own positional marks (? or %s,
        store._shape). Lists inside a parameter set are not converted here."""
        if not rows:
            return
        with self.guard():
            cur = self._connect().cursor()
            try:
                cur.executemany(
                    sql if self.dialect == "sqlite" else self._prepare(sql, {})[0], rows
                )
            finally:
                cur.close()


class Reader(Statements):
    """A read-only view of one ledger database. Connects on first use, one connection per thread
    (the watcher reads from its worker threads; a snapshot is a transaction on its connection);
    close() when done."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redact(url)
        self.dialect = dialect_of(url)
        self._conns = PerThread(url)
        self._local = threading.local()  # snapshot depth
        self._cursors = itertools.count(1)  # names of server-side cursors

    def _cursor(self, conn: Any) -> Any:
        """Inside a snapshot on PostgreSQL, a server-side cursor: reading a million rows holds one
        chunk in memory, not the whole result (psycopg's default cursor fetches everything at
        once); several such iterations may run side by side in the snapshot's transaction."""
        if self.dialect != "sqlite" and bool(getattr(self._local, "depth", 0)):
            return conn.cursor(name=f"reelprov_{next(self._cursors)}")
        return conn.cursor()

    # -- connection ------------------------------------------------------------------------------
    def exists(self) -> bool:
        """False for an embedded ledger file not created yet (PostgreSQL: always True)."""
        return self.dialect != "sqlite" or Path(sqlite_path(self.url)).is_file()

    def _connect(self) -> Any:
        with self.guard():
            return self._conns.get()

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            with super().guard():
                yield
        except DatabaseError:
            self._local.dropped = self._conns.drop_if_broken()
            raise

    def iter(self, sql: str, **params: Any) -> Iterator[dict[str, Any]]:
        """As Statements.iter; a connection the server dropped since its last use (it restarted, an
        idle-session timeout) is replaced once, unseen, when no row was read and no snapshot is open."""
        self._local.dropped = False
        read = False
        try:
            for row in super().iter(sql, **params):
                read = True
                yield row
            return
        except DatabaseError:
            if read or bool(getattr(self._local, "depth", 0)) or not self._local.dropped:
                raise
        yield from super().iter(sql, **params)

    def close(self) -> None:
        """Close every connection this reader opened, in any thread."""
        self._conns.close()
        self._local = threading.local()

    @contextmanager
    def snapshot(self) -> Iterator[Reader]:
        """Several statements that must see one state of the ledger (one read transaction).
        Nested snapshots in one thread share the outer one."""
        conn = self._connect()
        if getattr(self._local, "depth", 0):
            self._local.depth += 1
            try:
                yield self
            finally:
                self._local.depth -= 1
            return
        self._local.depth = 1
        try:
            with contextlib.ExitStack() as stack:
                for attempt in (
                    0,
                    1,
                ):  # a connection the server dropped is replaced once, at the start
                    self._local.dropped = False
                    try:
                        stack.enter_context(
                            self._outermost(conn if attempt == 0 else self._connect())
                        )
                        break
                    except DatabaseError:
                        if attempt or not self._local.dropped:
                            raise
                yield self
        finally:
            self._local.depth = 0

    @contextmanager
    def _outermost(self, conn: Any) -> Iterator[None]:
        with self.guard():
            if self.dialect == "sqlite":
                conn.execute("BEGIN")
                try:
                    yield
                finally:
                    conn.execute("ROLLBACK")
            else:
                with conn.transaction():
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    yield

    # -- ledger-level reads -----------------------------------------------------------------------
    def revision(self) -> str | None:
        """The Alembic revision of this ledger, or None (no file, no table)."""
        if not self.exists():
            return None
        try:
            r = self.one("SELECT version_num FROM alembic_version")
        except DatabaseError as exc:
            if "alembic_version" in str(exc) and (
                "no such table" in str(exc) or "does not exist" in str(exc)
            ):
                return None
            raise
        return r["version_num"] if r else None

    def entries(self, project: str, *, asset: str, chunk: int = 5000) -> Iterator[dict[str, Any]]:
        """One asset's entries in chain order, as the JSON of `reelprov history` (payload decoded)."""
        last = 0
        while True:
            rows = self.rows(
                "SELECT seq, asset, kind, payload, actor, host, ts, prev_hash, entry_hash FROM ledger_entry "
                "WHERE project = :p AND asset = :a AND seq > :last ORDER BY seq LIMIT :n",
                p=project,
                a=asset,
                last=last,
                n=chunk,
            )
            if not rows:
                return
            for r in rows:
                r["payload"] = json.loads(r["payload"])
                yield r
            last = rows[-1]["seq"]
