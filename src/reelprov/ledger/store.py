"""Appending to the ledger: one locked transaction per batch, chain and projection kept together.

Writes go through the bare DB-API driver like reads (ledger/reader.py): constant statements with
bound values, one explicit transaction per batch. SQLAlchemy is only needed for migrations.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from reelprov.errors import DatabaseError
from reelprov.ledger import queries
from reelprov.ledger.chain import canonical, entry_hash
from reelprov.ledger.entries import Payload
from reelprov.ledger.ids import time_ordered_id
from reelprov.ledger.projection import Projection
from reelprov.ledger.reader import (
    COLUMNS,
    JSON_COLUMNS,
    PerThread,
    Statements,
    dialect_of,
    path_key,
    redact,
)
from reelprov.ledger.records import AssetState, FlagState, UseState
from reelprov.progress import Progress

if TYPE_CHECKING:
    from reelprov.events import Event


_SECOND: tuple[int, str] = (-1, "")  # the last whole second written out, and its text


def now_iso() -> str:
    """The time now as `datetime.now(UTC).isoformat(timespec="microseconds")` writes it
    (2026-12-06T22:41:13.123456+00:00), the date and time of day formatted once a second: a
    datetime per entry was 3% of a cold scan's writer."""
    global _SECOND
    sec, us = divmod(time.time_ns() // 1000, 1_000_000)
    if _SECOND[0] != sec:
        _SECOND = (sec, datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return f"{_SECOND[1]}.{us:06d}+00:00"


class Tx(Statements):
    """One write transaction on one connection: SQLite BEGIN IMMEDIATE (writers queue on the lock
    up front); PostgreSQL BEGIN plus a transaction advisory lock per project chain, shared by every
    host on the database."""

    def __init__(self, conn: Any, dialect: str, where: str) -> None:
        self.conn = conn
        self.dialect = dialect
        self.where = where
        self._named = False  # inside stream(): a server-side cursor on PostgreSQL
        self._streams = 0  # names given to such cursors

    def _connect(self) -> Any:
        return self.conn

    def begin(self, project: str) -> None:
        with self.guard():
            if self.dialect == "sqlite":
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                self.conn.execute("BEGIN")
                key = int.from_bytes(
                    hashlib.sha256(project.encode()).digest()[:8], "big", signed=True
                )
                self.execute("SELECT pg_advisory_xact_lock(:k)", k=key)

    def commit(self) -> None:
        with self.guard():
            self.conn.execute("COMMIT")

    def stream(self, sql: str, **params: Any) -> Iterator[dict[str, Any]]:
        """As iter, for a result too large to hold: on PostgreSQL a server-side cursor in this
        transaction (psycopg's default cursor fetches every row at once)."""
        self._named = self.dialect != "sqlite"
        try:
            yield from self.iter(sql, **params)
        finally:
            self._named = False

    def _cursor(self, conn: Any) -> Any:
        if self._named:
            self._streams += 1
            return conn.cursor(name=f"reelprov_tx_{self._streams}")
        return conn.cursor()

    def rollback(self) -> None:
        try:
            self.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001, S110 - the connection may be broken already; the error that got us here matters
            pass


@dataclass
class Batch:
    """One transaction: entries appended here are chained, projected and committed together."""

    conn: Tx
    project: str
    actor: str
    host: str
    head_seq: int
    head_hash: str
    proj: Projection
    entries: list[dict[str, Any]] = field(default_factory=list)
    # Events for hooks and listeners (events.py), queued by emit. Built only when HEARD: with
    # nothing to hear them (no hook installed, no listener), a batch builds none (and a scan never
    # loads events.py: 23 classes, ~10 ms of a 2,000-file scan).
    heard: bool = True
    events: list[Event] = field(default_factory=list)  # their payloads are built only if heard
    touched_assets: set[str] = field(default_factory=set)
    before_commit: list[Callable[[Batch], None]] = field(default_factory=list)
    # a person's change made in this batch (tag, stage, declaration): the policy engine asks it
    # before resolving an escalate or block flag, and names it in the resolution (policy.Clearance)
    clearance: Any = None
    _paths: dict[str, set[str]] | None = None  # preloaded path -> live asset ids
    _flags_loaded: set[str] = field(default_factory=set)
    _next_flag: int | None = None

    def new_asset_id(self, minted: str = "") -> str:
        """An id for a new asset: MINTED (an examining process made it) or one made now."""
        aid = minted or time_ordered_id()
        self.proj.fresh.add(aid)
        self._flags_loaded.add(aid)
        return aid

    def preload_paths(self, paths: list[str]) -> None:
        """One query for the assets at PATHS (live, or deleted there and maybe coming back), so
        per-file lookups stay in memory."""
        index: dict[str, set[str]] = {p: set() for p in paths}
        for i in range(0, len(paths), 500):
            for r in self.conn.rows(
                "SELECT id, path FROM asset"
                " WHERE (project, path_key) IN (SELECT :p, value FROM json_each(:keys))",
                p=self.project,
                keys=[path_key(p) for p in paths[i : i + 500]],
            ):
                if r["path"] in index:
                    index[r["path"]].add(r["id"])
        self._paths = index

    def preload_assets(self, asset_ids: list[str]) -> None:
        """One query per 500 of ASSET_IDS instead of one per asset (a cut of 30,000 frames)."""
        todo = [a for a in asset_ids if a not in self.proj.assets]
        for i in range(0, len(todo), 500):
            # By the primary key alone: with `project = :p` SQLite's planner walks the project's
            # index (every asset) for each chunk.
            for row in self.conn.rows(
                "SELECT * FROM asset WHERE id IN (SELECT value FROM json_each(:ids))",
                ids=todo[i : i + 500],
            ):
                if row["project"] == self.project:
                    self.proj.remember_asset(cast("AssetState", row))

    def preload_flags(self, asset_ids: list[str]) -> None:
        """One query for the flags of ASSET_IDS (policy evaluation needs them all)."""
        todo = [a for a in asset_ids if a not in self._flags_loaded]
        for row in queries.flags_of(self.conn, self.project, todo):
            self.proj.remember_flag(row)
        self._flags_loaded.update(todo)

    def append(
        self,
        kind: str,
        asset: str | None,
        payload: Payload,
        *,
        actor: str | None = None,
        body: str | None = None,
    ) -> None:
        """Chain and project one entry. BODY: canonical(PAYLOAD), when another process wrote it."""
        seq = self.head_seq + 1
        ts = now_iso()
        if body is None:
            body = canonical(payload)
        who = actor or self.actor
        h = entry_hash(
            project=self.project,
            seq=seq,
            asset=asset,
            kind=kind,
            payload=body,
            actor=who,
            host=self.host,
            ts=ts,
            prev_hash=self.head_hash,
        )
        self.entries.append(
            {
                "project": self.project,
                "seq": seq,
                "asset": asset,
                "kind": kind,
                "payload": body,
                "actor": who,
                "host": self.host,
                "ts": ts,
                "prev_hash": self.head_hash,
                "entry_hash": h,
            }
        )
        self.proj.apply(seq=seq, asset_id=asset, kind=kind, payload=payload, ts=ts, actor=who)
        if asset:
            self.touched_assets.add(asset)
        self.head_seq, self.head_hash = seq, h

    def emit(self, event: Event) -> None:
        """Queue an event (events.py) for hooks; they run only after the transaction commits. The
        scan's per-file and policy events are built only if the batch is `heard`."""
        self.events.append(event)

    # -- lookups that see both committed rows and this batch's changes --------------------------
    def _ids_at(self, path: str) -> set[str]:
        """The assets recorded at PATH, live or deleted (a set not to be changed)."""
        here = self.proj.by_path.get(path)
        if self._paths is not None and path in self._paths:
            ids = self._paths[path]  # most paths of a cold scan: new, in neither
        else:
            ids = {
                r["id"]
                for r in self.conn.rows(
                    "SELECT id, path FROM asset WHERE project = :p AND path_key = :k",
                    p=self.project,
                    k=path_key(path),
                )
                if r["path"] == path
            }
        return ids | here if here else ids

    def asset_ids_at(self, path: str) -> list[str]:
        """The live assets at PATH."""
        return [
            i
            for i in self._ids_at(path)
            if (a := self.proj.asset(i)) and a["path"] == path and not a["deleted"]
        ]

    def deleted_asset_at(self, path: str, sha256: str) -> str | None:
        """The asset deleted from PATH whose content was SHA256 (the latest, if several): a file
        restored there is that asset again, with its history, approvals and cuts."""
        best: tuple[int, str] | None = None
        for i in self._ids_at(path):
            a = self.proj.asset(i)
            if (
                a
                and a["deleted"]
                and a["path"] == path
                and a["sha256"] == sha256
                and (best is None or a["last_seq"] > best[0])
            ):
                best = (a["last_seq"], i)
        return best[1] if best else None

    def next_flag_id(self) -> int:
        if self._next_flag is None:
            top = self.conn.one(
                "SELECT id FROM flag WHERE project = :p ORDER BY id DESC LIMIT 1", p=self.project
            )
            self._next_flag = top["id"] if top else 0
        self._next_flag = max([self._next_flag, *self.proj.new_flags]) + 1
        return self._next_flag

    def flags_for(self, asset_id: str) -> list[FlagState]:
        ids: list[int] = []
        if asset_id not in self._flags_loaded:
            ids = [
                r["id"]
                for r in self.conn.rows(
                    "SELECT id FROM flag WHERE project = :p AND asset = :a",
                    p=self.project,
                    a=asset_id,
                )
            ]
        ids += self.proj.flags_by_asset.get(asset_id, set())
        return [f for i in sorted(set(ids)) if (f := self.proj.flag(i)) is not None]

    def flush(self) -> None:
        for hook in self.before_commit:
            hook(self)
        write_projection(self.conn, self.proj, self.entries)

    def spill(self) -> None:
        """Write what this batch holds so far into its transaction, which stays open (it commits
        or rolls back whole, as ever), and forget the entries and rows written: a batch touching
        100,000 assets can hold a chunk at a time. The work done before a commit (tags carried by
        rules, the policy) runs now on the assets touched so far, as it would at the end; hook
        events stay queued until the commit."""
        self.flush()
        self.entries.clear()
        self.touched_assets.clear()
        self.proj.reset()  # assets and flags; written, so loaded again from the transaction
        self.proj.fresh.clear()  # minted here, but in the database now
        self._flags_loaded.clear()
        self._paths = None  # a preloaded path index knows nothing of the assets written


_DELETE_BY_KEY = {
    "cut": "DELETE FROM cut WHERE (project, name) IN (SELECT :p, value FROM json_each(:keys))",
    "intended_use": "DELETE FROM intended_use WHERE (project, id) IN (SELECT :p, value FROM json_each(:keys))",
}


def write_projection(conn: Tx, proj: Projection, entries: list[dict[str, Any]]) -> None:
    if entries:
        insert_many(conn, "ledger_entry", entries)
    _write(conn, "asset", proj.assets, proj.dirty_assets, proj.new_assets, key="id")
    _write(conn, "flag", proj.flags, proj.dirty_flags, proj.new_flags, key="id")
    # project-level rows (cuts, intended uses): replaced whole; a cut removed has no row left
    for table, dirty, rows in (
        ("cut", proj.dirty_cuts, proj.cuts),
        ("intended_use", proj.dirty_uses, proj.uses),
    ):
        if dirty:
            keys = sorted(dirty)
            conn.execute(_DELETE_BY_KEY[table], p=proj.project, keys=keys)
            insert_many(conn, table, [rows[k] for k in keys if k in rows])
    proj.dirty_assets.clear()
    proj.dirty_flags.clear()
    proj.dirty_cuts.clear()
    proj.dirty_uses.clear()
    proj.new_assets.clear()
    proj.new_flags.clear()


def _write(
    conn: Tx,
    table: str,
    rows: Mapping[Any, Mapping[str, Any]],
    dirty: set[Any],
    new: set[Any],
    *,
    key: str,
) -> None:
    inserts = [rows[k] for k in dirty if k in new]
    updates = [rows[k] for k in dirty if k not in new]
    if inserts:
        insert_many(conn, table, inserts)
    if updates:
        _update_many(conn, table, key, updates)


# Bulk writes are one executemany each, with positional parameters (binding 21 columns by name
# per row cost more than building the row). The statements are built once per table and dialect
# from the column table in ledger/reader.py (names only, never values); JSON columns are encoded here.
@lru_cache(maxsize=32)
def _shape(
    table: str, key: str | None, dialect: str
) -> tuple[str, tuple[str, ...], tuple[int, ...]]:
    cols = COLUMNS[table]
    mark = "?" if dialect == "sqlite" else "%s"
    if key is None:
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(mark for _ in cols)})"  # noqa: S608
    else:
        cols = tuple(c for c in cols if c not in (key, "project"))
        sql = (
            f"UPDATE {table} SET {', '.join(f'{c} = {mark}' for c in cols)}"  # noqa: S608
            f" WHERE project = {mark} AND {key} = {mark}"
        )
    return sql, cols, tuple(i for i, c in enumerate(cols) if c in JSON_COLUMNS)


def _encode(row: Mapping[str, Any], cols: tuple[str, ...], json_at: tuple[int, ...]) -> list[Any]:
    out = [row[c] for c in cols]
    for i in json_at:
        v = out[i]
        out[i] = "[]" if v == [] else json.dumps(v)
    return out


def insert_many(conn: Tx, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert complete rows (dicts keyed by column) in one executemany."""
    sql, cols, json_at = _shape(table, None, conn.dialect)
    conn.many(sql, [_encode(r, cols, json_at) for r in rows])


def _update_many(conn: Tx, table: str, key: str, rows: Sequence[Mapping[str, Any]]) -> None:
    sql, cols, json_at = _shape(table, key, conn.dialect)
    conn.many(sql, [[*_encode(r, cols, json_at), r["project"], r[key]] for r in rows])


_BY_KEY = {  # one projection row by its key, for the batch's loaders
    "asset": "SELECT * FROM asset WHERE project = :p AND id = :k",
    "flag": "SELECT * FROM flag WHERE project = :p AND id = :k",
    "cut": "SELECT * FROM cut WHERE project = :p AND name = :k",
}


def _loader(conn: Tx, table: str, project: str) -> Callable[[Any], Any]:
    """A loader of one projection row by its key (the row as the record type its table holds)."""

    def load(key: Any) -> Any:
        return conn.one(_BY_KEY[table], p=project, k=key)

    return load


def _uses_loader(conn: Tx, project: str) -> Callable[[], list[UseState]]:
    def load() -> list[UseState]:
        return queries.uses(conn, project)

    return load


class Ledger:
    """The ledger of one project in one database. Write connections are kept one per thread."""

    def __init__(self, url: str, project: str, *, actor: str, host: str) -> None:
        self.url = url
        self.where = redact(url)
        self.dialect = dialect_of(url)
        self.project = project
        self.actor = actor
        self.host = host
        self._conns = PerThread(url, write=True)

    def _tx(self) -> Tx:
        tx = Tx(None, self.dialect, self.where)
        with tx.guard():
            tx.conn = self._conns.get()
        return tx

    def close(self) -> None:
        self._conns.close()

    def _begun(self) -> Tx:
        """A transaction begun. A connection the server dropped since its last use (it restarted, an
        idle-session timeout) is found out here, before anything is written, and replaced once."""
        tx = self._tx()
        try:
            tx.begin(self.project)
        except DatabaseError:
            if not self._conns.drop_if_broken():
                raise
            tx = self._tx()
            tx.begin(self.project)
        return tx

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        try:
            tx = self._begun()
            try:
                yield tx
            except BaseException:
                tx.rollback()
                raise
            tx.commit()
        except DatabaseError:
            self._conns.discard()  # a broken connection (server restarted, file gone): reconnect next time
            raise

    @contextmanager
    def batch(
        self,
        *,
        before_commit: list[Callable[[Batch], None]] | None = None,
        after_commit: Callable[[Batch], None] | None = None,
        heard: bool = True,
    ) -> Iterator[Batch]:
        with self._transaction() as tx, tx.guard():
            seq, h = tx.head(self.project)
            proj = Projection(
                self.project,
                load_asset=_loader(tx, "asset", self.project),
                load_flag=_loader(tx, "flag", self.project),
                load_cut=_loader(tx, "cut", self.project),
                load_uses=_uses_loader(tx, self.project),
            )
            batch = Batch(
                tx,
                self.project,
                self.actor,
                self.host,
                seq,
                h,
                proj,
                heard=heard,
                before_commit=list(before_commit or []),
            )
            yield batch
            batch.flush()
        if after_commit is not None and batch.entries:
            after_commit(batch)

    def rebuild(self, *, progress: Progress | None = None, chunk: int = 2000) -> Rebuilt:
        """Drop the projection rows and replay every entry, in one locked transaction.

        Memory holds CHUNK assets at a time, however long the ledger: entries are replayed one
        asset at a time (an entry changes only its own asset and that asset's flags), as verify
        does, and written a chunk at a time; cut entries, which name no asset, in chain order."""
        with self._transaction() as tx:
            total = tx.head(self.project)[0] if progress is not None else 0
            for stmt in (
                "DELETE FROM asset WHERE project = :p",
                "DELETE FROM flag WHERE project = :p",
                "DELETE FROM cut WHERE project = :p",
                "DELETE FROM intended_use WHERE project = :p",
            ):
                tx.execute(stmt, p=self.project)
            done = 0

            def replay(proj: Projection, m: dict[str, Any]) -> None:
                nonlocal done
                proj.apply_row(m)
                done += 1
                if progress is not None and done % 5000 == 0:
                    progress("replaying the ledger", done, max(total, done))

            cuts = Projection(self.project)
            for m in tx.stream(_REBUILD_CUT_ENTRIES, p=self.project):
                replay(cuts, m)
            proj = Projection(self.project)
            assets = flags = 0
            current: str | None = None
            for m in tx.stream(_REBUILD_ASSET_ENTRIES, p=self.project):
                if m["asset"] != current and len(proj.assets) >= chunk:
                    assets, flags = assets + len(proj.assets), flags + len(proj.flags)
                    _write_all(tx, proj)
                current = m["asset"]
                replay(proj, m)
            assets, flags = assets + len(proj.assets), flags + len(proj.flags)
            if progress is not None:
                progress("writing the tables", total, total)
            _write_all(tx, proj)
            _write_all(tx, cuts)
        return Rebuilt(assets, flags, len(cuts.cuts), len(cuts.uses))


# Rebuild's two passes: the entries that name no asset (cuts) in chain order, then every asset's
# entries together, in sequence (the (project, asset, seq) index).
_REBUILD_CUT_ENTRIES = (
    "SELECT seq, asset, kind, payload, actor, ts FROM ledger_entry"
    " WHERE project = :p AND asset IS NULL ORDER BY seq"
)
_REBUILD_ASSET_ENTRIES = (
    "SELECT seq, asset, kind, payload, actor, ts FROM ledger_entry"
    " WHERE project = :p AND asset IS NOT NULL ORDER BY asset, seq"
)


@dataclass(frozen=True)
class Rebuilt:
    """What `db rebuild` wrote."""

    assets: int
    flags: int
    cuts: int
    uses: int = 0


def _write_all(tx: Tx, proj: Projection) -> None:
    """Every row PROJ holds, inserted (the tables were emptied); then forgotten."""
    proj.new_assets, proj.dirty_assets = set(proj.assets), set(proj.assets)
    proj.new_flags, proj.dirty_flags = set(proj.flags), set(proj.flags)
    proj.dirty_cuts = set(proj.cuts)
    proj.dirty_uses = set(proj.uses)
    write_projection(tx, proj, [])
    proj.reset()
