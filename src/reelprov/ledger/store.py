"""Appending to the ledger: one locked transaction per batch, chain and projection kept together."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, select, text

from reelprov.db import guard, read_connection
from reelprov.ledger.chain import GENESIS_HASH, canonical, entry_hash
from reelprov.ledger.projection import Projection
from reelprov.ledger.reader import pyformat
from reelprov.models import ASSET as ASSET_T
from reelprov.models import CUT as CUT_T
from reelprov.models import FLAG as FLAG_T
from reelprov.models import LEDGER_ENTRY as ENTRY_T


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Entry:
    """A ledger entry as the rest of reelprov sees it (payload decoded)."""

    seq: int
    asset: str | None
    kind: str
    payload: dict[str, Any]
    actor: str
    host: str
    ts: str
    prev_hash: str
    entry_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "asset": self.asset,
            "kind": self.kind,
            "payload": self.payload,
            "actor": self.actor,
            "host": self.host,
            "ts": self.ts,
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


def _row_entry(row: Any) -> Entry:
    m = row._mapping
    return Entry(
        seq=m["seq"], asset=m["asset"], kind=m["kind"], payload=json.loads(m["payload"]),
        actor=m["actor"], host=m["host"], ts=m["ts"], prev_hash=m["prev_hash"],
        entry_hash=m["entry_hash"],
    )


def _lock_chain(conn: Connection, project: str) -> None:
    """One writer per project chain at a time. SQLite: BEGIN IMMEDIATE already holds the write
    lock. PostgreSQL: a transaction advisory lock, shared by every host on the database."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(project.encode()).digest()[:8], "big", signed=True)
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


@dataclass
class Batch:
    """One transaction: entries appended here are chained, projected and committed together."""

    conn: Connection
    project: str
    actor: str
    host: str
    head_seq: int
    head_hash: str
    proj: Projection
    entries: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    touched_assets: set[str] = field(default_factory=set)
    before_commit: list[Callable[[Batch], None]] = field(default_factory=list)
    _paths: dict[str, set[str]] | None = None  # preloaded path -> live asset ids
    _flags_loaded: set[str] = field(default_factory=set)
    _next_flag: int | None = None

    def new_asset_id(self) -> str:
        import uuid

        aid = uuid.uuid4().hex
        self.proj.fresh.add(aid)
        self._flags_loaded.add(aid)
        return aid

    def preload_paths(self, paths: list[str]) -> None:
        """One query for the live assets at PATHS, so per-file lookups stay in memory."""
        index: dict[str, set[str]] = {p: set() for p in paths}
        for i in range(0, len(paths), 500):
            chunk = paths[i : i + 500]
            for aid, path in self.conn.execute(select(ASSET_T.c.id, ASSET_T.c.path).where(
                    ASSET_T.c.project == self.project, ASSET_T.c.path.in_(chunk), ASSET_T.c.deleted.is_(False))):
                index[path].add(aid)
        self._paths = index

    def preload_flags(self, asset_ids: list[str]) -> None:
        """One query for the flags of ASSET_IDS (policy evaluation needs them all)."""
        todo = [a for a in asset_ids if a not in self._flags_loaded]
        for i in range(0, len(todo), 500):
            chunk = todo[i : i + 500]
            # by the asset index alone: with the project in the WHERE, SQLite picks the
            # (project, status) index and reads every flag of the project for each chunk
            for row in self.conn.execute(select(FLAG_T).where(FLAG_T.c.asset.in_(chunk))):
                if row.project == self.project:
                    self.proj.remember_flag(dict(row._mapping))
        self._flags_loaded.update(todo)

    def append(
        self, kind: str, asset: str | None, payload: dict[str, Any], *, actor: str | None = None
    ) -> Entry:
        seq = self.head_seq + 1
        ts = now_iso()
        body = canonical(payload)
        who = actor or self.actor
        h = entry_hash(
            project=self.project, seq=seq, asset=asset, kind=kind, payload=body,
            actor=who, host=self.host, ts=ts, prev_hash=self.head_hash,
        )
        self.entries.append(
            {"project": self.project, "seq": seq, "asset": asset, "kind": kind, "payload": body,
             "actor": who, "host": self.host, "ts": ts, "prev_hash": self.head_hash,
             "entry_hash": h}
        )
        self.proj.apply(seq=seq, asset_id=asset, kind=kind, payload=payload, ts=ts)
        if asset:
            self.touched_assets.add(asset)
        entry = Entry(seq, asset, kind, payload, who, self.host, ts, self.head_hash, h)
        self.head_seq, self.head_hash = seq, h
        return entry

    def emit(self, name: str, payload: dict[str, Any]) -> None:
        """Queue an event for hooks; they run only after the transaction commits."""
        self.events.append((name, payload))

    # -- lookups that see both committed rows and this batch's changes --------------------------
    def asset_ids_at(self, path: str) -> list[str]:
        if self._paths is not None and path in self._paths:
            ids = set(self._paths[path])
        else:
            ids = {
                r[0]
                for r in self.conn.execute(
                    select(ASSET_T.c.id).where(ASSET_T.c.project == self.project, ASSET_T.c.path == path)
                )
            }
        ids |= self.proj.by_path.get(path, set())
        return [i for i in ids if (a := self.proj.asset(i)) and a["path"] == path and not a["deleted"]]

    def next_flag_id(self) -> int:
        if self._next_flag is None:
            top = self.conn.execute(
                select(FLAG_T.c.id).where(FLAG_T.c.project == self.project).order_by(FLAG_T.c.id.desc()).limit(1)
            ).scalar()
            self._next_flag = top or 0
        self._next_flag = max([self._next_flag, *self.proj.new_flags]) + 1
        return self._next_flag

    def flags_for(self, asset_id: str) -> list[dict[str, Any]]:
        ids: list[int] = []
        if asset_id not in self._flags_loaded:
            ids = [  # by the asset index alone (see preload_flags)
                r[0]
                for r in self.conn.execute(select(FLAG_T.c.id, FLAG_T.c.project).where(FLAG_T.c.asset == asset_id))
                if r[1] == self.project
            ]
        ids += self.proj.flags_by_asset.get(asset_id, set())
        return [f for i in sorted(set(ids)) if (f := self.proj.flag(i)) is not None]

    def flush(self) -> None:
        for hook in self.before_commit:
            hook(self)
        write_projection(self.conn, self.proj, self.entries)


def write_projection(conn: Connection, proj: Projection, entries: list[dict[str, Any]]) -> None:
    if entries:
        insert_many(conn, ENTRY_T, entries)
    _write(conn, ASSET_T, proj.assets, proj.dirty_assets, proj.new_assets, key="id")
    _write(conn, FLAG_T, proj.flags, proj.dirty_flags, proj.new_flags, key="id")
    if proj.dirty_cuts:
        names = list(proj.dirty_cuts)
        conn.execute(delete(CUT_T).where(CUT_T.c.project == proj.project, CUT_T.c.name.in_(names)))
        insert_many(conn, CUT_T, [proj.cuts[n] for n in names])
    proj.dirty_assets.clear()
    proj.dirty_flags.clear()
    proj.dirty_cuts.clear()
    proj.new_assets.clear()
    proj.new_flags.clear()


def _write(conn: Connection, table: Table, rows: dict[Any, dict[str, Any]], dirty: set[Any], new: set[Any], *, key: str) -> None:
    inserts = [rows[k] for k in dirty if k in new]
    updates = [rows[k] for k in dirty if k not in new]
    if inserts:
        insert_many(conn, table, inserts)
    if updates:
        _update_many(conn, table, key, updates)


# Bulk writes go straight to the driver's executemany: SQLAlchemy's per-row parameter processing
# was a third of a scan's writer time. The statements are built once per table from models.py
# (names only, never values); JSON columns are encoded here, every value is bound.
@lru_cache(maxsize=16)
def _shape(table: Table, key: str | None) -> tuple[str, tuple[str, ...], frozenset[str]]:
    from sqlalchemy import JSON

    json_cols = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
    if key is None:
        auto = table.autoincrement_column  # ledger_entry.id: the database numbers it
        cols = tuple(c.name for c in table.columns if c is not auto)
        sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"  # noqa: S608
    else:
        cols = tuple(c.name for c in table.columns if c.name not in (key, "project"))
        sql = (f"UPDATE {table.name} SET {', '.join(f'{c} = :{c}' for c in cols)}"  # noqa: S608
               f" WHERE project = :_project AND {key} = :_key")
    return sql, cols, json_cols


def _driver_many(conn: Connection, sql: str, rows: list[dict[str, Any]]) -> None:
    conn.exec_driver_sql(pyformat(sql) if conn.dialect.name == "postgresql" else sql, rows)  # type: ignore[arg-type]


def _encode(row: dict[str, Any], cols: tuple[str, ...], json_cols: frozenset[str]) -> dict[str, Any]:
    out = {c: row[c] for c in cols}
    for c in json_cols:
        v = out[c]
        out[c] = "[]" if v == [] else json.dumps(v)
    return out


def insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert complete rows (dicts keyed by column) in one executemany."""
    sql, cols, json_cols = _shape(table, None)
    _driver_many(conn, sql, [_encode(r, cols, json_cols) for r in rows])


def _update_many(conn: Connection, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    sql, cols, json_cols = _shape(table, key)
    _driver_many(conn, sql, [{**_encode(r, cols, json_cols), "_project": r["project"], "_key": r[key]} for r in rows])


def _loader(conn: Connection, table: Table, project: str, keycol: str) -> Callable[[Any], dict[str, Any] | None]:
    def load(key: Any) -> dict[str, Any] | None:
        row = conn.execute(
            select(table).where(table.c.project == project, table.c[keycol] == key)
        ).first()
        return dict(row._mapping) if row is not None else None

    return load


class Ledger:
    """The ledger of one project in one database."""

    def __init__(self, engine: Engine, project: str, *, actor: str, host: str) -> None:
        self.engine = engine
        self.project = project
        self.actor = actor
        self.host = host

    def read(self) -> Any:
        """A read-only connection (no write lock on SQLite)."""
        return read_connection(self.engine)

    def head(self, conn: Connection | None = None) -> tuple[int, str]:
        def q(c: Connection) -> tuple[int, str]:
            row = c.execute(
                select(ENTRY_T.c.seq, ENTRY_T.c.entry_hash)
                .where(ENTRY_T.c.project == self.project)
                .order_by(ENTRY_T.c.seq.desc())
                .limit(1)
            ).first()
            return (row[0], row[1]) if row else (0, GENESIS_HASH)

        if conn is not None:
            return q(conn)
        with self.read() as c:
            return q(c)

    @contextmanager
    def batch(self, *, before_commit: list[Callable[[Batch], None]] | None = None,
              after_commit: Callable[[Batch], None] | None = None) -> Iterator[Batch]:
        with guard(self.engine), self.engine.begin() as conn:
            _lock_chain(conn, self.project)
            seq, h = self.head(conn)
            proj = Projection(
                self.project,
                load_asset=_loader(conn, ASSET_T, self.project, "id"),
                load_flag=_loader(conn, FLAG_T, self.project, "id"),
                load_cut=_loader(conn, CUT_T, self.project, "name"),
            )
            batch = Batch(conn, self.project, self.actor, self.host, seq, h, proj,
                          before_commit=list(before_commit or []))
            yield batch
            batch.flush()
        if after_commit is not None and batch.entries:
            after_commit(batch)

    def entries(self, *, asset: str | None = None, conn: Connection | None = None,
                chunk: int = 5000) -> Iterator[Entry]:
        """Entries in chain order, streamed in chunks (never the whole ledger in memory)."""
        def gen(c: Connection) -> Iterator[Entry]:
            last = 0
            while True:
                q = select(ENTRY_T).where(ENTRY_T.c.project == self.project, ENTRY_T.c.seq > last)
                if asset is not None:
                    q = q.where(ENTRY_T.c.asset == asset)
                rows = c.execute(q.order_by(ENTRY_T.c.seq).limit(chunk)).all()
                if not rows:
                    return
                for r in rows:
                    yield _row_entry(r)
                last = rows[-1]._mapping["seq"]

        if conn is not None:
            yield from gen(conn)
            return
        with self.read() as c:
            yield from gen(c)

    def replay(self, conn: Connection | None = None) -> Projection:
        proj = Projection(self.project)
        for e in self.entries(conn=conn):
            proj.apply(seq=e.seq, asset_id=e.asset, kind=e.kind, payload=e.payload, ts=e.ts)
        return proj

    def rebuild(self) -> Projection:
        """Drop the projection rows and replay every entry, in one locked transaction."""
        with guard(self.engine), self.engine.begin() as conn:
            _lock_chain(conn, self.project)
            proj = self.replay(conn)
            for t in (ASSET_T, FLAG_T, CUT_T):
                conn.execute(delete(t).where(t.c.project == self.project))
            proj.new_assets = set(proj.assets)
            proj.new_flags = set(proj.flags)
            proj.dirty_assets = set(proj.assets)
            proj.dirty_flags = set(proj.flags)
            proj.dirty_cuts = set(proj.cuts)
            write_projection(conn, proj, [])
        return proj
