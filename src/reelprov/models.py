"""The database tables, as SQLModel classes: the append-only ledger and the projections rebuilt
from it. These classes are the single source of the schema: Alembic's env (migrations/env.py)
compares against their metadata, and tests/test_db.py proves the migrations produce exactly it on
SQLite and PostgreSQL.

Importing this module imports SQLModel and pydantic (~0.4 s here), so only the migrations, the
tests and the schema tooling import it; the hot paths write and read through the DB-API statements
in ledger/ (ledger/reader.py's COLUMNS, checked against these classes by tests/ledger/test_reader.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

# Named constraints so Alembic batch mode on SQLite and PostgreSQL agree on names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Table(SQLModel, registry=registry(metadata=metadata)):
    """The base of reelprov's tables: their own metadata (never SQLModel's global one)."""


def _col(
    sa_type: Any,
    *,
    nullable: bool = False,
    index: bool = False,
    pk: bool = False,
    default: Any = None,
    default_factory: Any = None,
) -> Any:
    """A field with its exact column type (the migrations' type, so Alembic sees no difference)."""
    kw: dict[str, Any] = {"sa_type": sa_type, "nullable": nullable, "primary_key": pk}
    if index:
        kw["index"] = True
    if default_factory is not None:
        return Field(default_factory=default_factory, **kw)
    return Field(default=default, **kw)


class LedgerEntry(Table, table=True):
    """One immutable fact. Rows are only ever inserted; entry_hash chains each to the previous."""

    __tablename__: ClassVar[str] = "ledger_entry"
    __table_args__ = (
        UniqueConstraint("project", "seq"),
        # (project, asset, seq) serves an asset's history in chain order without a full scan.
        Index("ix_ledger_entry_project_asset_seq", "project", "asset", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=Integer)
    # no index of its own: (project, seq) and (project, asset, seq) serve lookups by project (0009)
    project: str = _col(String(64))
    seq: int = _col(BigInteger)
    asset: str | None = _col(String(64), nullable=True)
    kind: str = _col(String(32))
    payload: str = _col(String)
    actor: str = _col(String(200))
    host: str = _col(String(200))
    ts: str = _col(String(40))
    prev_hash: str = _col(String(64))
    entry_hash: str = _col(String(64))


class Asset(Table, table=True):
    """Projection: one media file's identity and current state."""

    __tablename__: ClassVar[str] = "asset"
    __table_args__ = (
        # Lookups by path go through its hash: a PostgreSQL btree row holds at most ~2.7 KB and a
        # path may be 4 KB (one such path stopped all recording).
        Index("ix_asset_project_path_key", "project", "path_key"),
        # a project's assets a chunk at a time in id order (the report's pass, keyset pagination);
        # it also serves every lookup by project alone (no single-column project index is kept)
        Index("ix_asset_project_id", "project", "id"),
        # Path prefixes (`ls 'final/reel2/*'`): SQLite walks (project, path) between the prefix and
        # its successor (no size limit on its keys); PostgreSQL matches LIKE on the first
        # PATH_PREFIX characters (ledger/reader.py) in a text_pattern_ops index made by migration
        # 0007 (an expression index Alembic cannot compare, so not declared here).
        Index("ix_asset_project_path", "project", "path", info={"only_on": "sqlite"}),
    )

    id: str = _col(String(64), pk=True)
    project: str = _col(String(64))
    path: str = _col(String)
    path_key: str = _col(String(64))  # hash of path (reader.path_key): what lookups by path use
    sha256: str = _col(String(64), index=True)
    size: int = _col(BigInteger)
    media_type: str = _col(String(100))
    deleted: bool = _col(Boolean, default=False)
    origin: str = _col(String(20), index=True, default="unknown")
    tools: list[str] = _col(JSON, default_factory=list)
    evidence: list[dict[str, Any]] = _col(JSON, default_factory=list)
    evidence_sha256: str | None = _col(String(64), nullable=True)
    c2pa_present: bool = _col(Boolean, default=False)
    c2pa_state: str = _col(String(10), default="none")
    tags: list[str] = _col(JSON, default_factory=list)
    stage_override: str | None = _col(String(12), nullable=True)
    declarations: list[dict[str, Any]] = _col(JSON, default_factory=list)
    cuts: list[str] = _col(JSON, default_factory=list)
    first_seq: int = _col(BigInteger)
    last_seq: int = _col(BigInteger)


class Flag(Table, table=True):
    """Projection: one review item raised by the policy, bound to the content hash it judged."""

    __tablename__: ClassVar[str] = "flag"
    __table_args__ = (
        Index("ix_flag_project_status", "project", "status"),
        # an asset's flags: (project, asset), so a lookup naming both cannot be served by the
        # (project, status) index, which reads every flag of the project
        Index("ix_flag_project_asset", "project", "asset"),
    )

    project: str = _col(String(64), pk=True)
    id: int = Field(primary_key=True, sa_type=Integer, sa_column_kwargs={"autoincrement": False})
    asset: str = _col(String(64))
    rule: str = _col(String(100))
    area: str = _col(String(40))
    severity: str = _col(String(10))
    status: str = _col(String(10))
    reason: str = _col(String)
    sha256: str = _col(String(64))
    decided_by: str | None = _col(String, nullable=True)
    ref: str | None = _col(String, nullable=True)
    note: str | None = _col(String, nullable=True)
    decided_at: str | None = _col(String(40), nullable=True)
    raised_seq: int = _col(BigInteger)
    last_seq: int = _col(BigInteger)
    # the severity a decision was taken at: one taken at review does not cover the flag raised to
    # escalate
    decided_severity: str | None = _col(String(10), nullable=True)
    # every decision and every change of status or severity, with who and when (the report's audit)
    trail: list[dict[str, Any]] = _col(JSON, default_factory=list)


class Cut(Table, table=True):
    """Projection: the current import of each named cut, its events and unmatched clips."""

    __tablename__: ClassVar[str] = "cut"

    project: str = _col(String(64), pk=True)
    name: str = _col(String(300), pk=True)
    source: str = _col(String)
    rate: float = _col(Float)
    imported_at: str = _col(String(40))
    imported_seq: int = _col(BigInteger)
    events: list[dict[str, Any]] = _col(JSON, default_factory=list)
    unmatched: list[dict[str, Any]] = _col(JSON, default_factory=list)


class IntendedUse(Table, table=True):
    """Projection: one intended GenAI use reported before its media exists (uses/), with its
    answers to the five principles, its risk and its decisions."""

    __tablename__: ClassVar[str] = "intended_use"

    project: str = _col(String(64), pk=True)
    id: str = _col(String(20), pk=True)  # "U-3"
    number: int = _col(Integer)  # 3: the order uses are listed in
    tool: str = _col(String)
    purpose: str = _col(String(100))
    area: str = _col(String(40))
    risk: str = _col(String(10))  # after the answers: low, review or escalate
    matrix_risk: str = _col(String(10))  # what the matrix alone says
    scope: list[str] = _col(JSON, default_factory=list)  # path patterns its files arrive under
    answers: dict[str, str] = _col(JSON, default_factory=dict)
    escalated: list[str] = _col(JSON, default_factory=list)  # principles answered no or unsure
    note: str | None = _col(String, nullable=True)
    proposed_by: str = _col(String)
    proposed_at: str = _col(String(40))
    proposed_seq: int = _col(BigInteger)
    status: str = _col(String(10))  # uses.USE_STATUSES
    decided_by: str | None = _col(String, nullable=True)
    ref: str | None = _col(String, nullable=True)
    decided_at: str | None = _col(String(40), nullable=True)
    closed_by: str | None = _col(String, nullable=True)
    closed_at: str | None = _col(String(40), nullable=True)
    closed_seq: int | None = _col(BigInteger, nullable=True)
    last_seq: int = _col(BigInteger)
    trail: list[dict[str, Any]] = _col(JSON, default_factory=list)


class FileState(Table, table=True):
    """Scan cache, not ledger truth: last size, times and inode seen per path, so unchanged files
    skip hashing. Keyed by a hash of the path (path_key, reader.path_key): a path may be longer
    than a PostgreSQL btree row. ctime and inode catch what size and mtime miss: content swapped in with
    the same size and its mtime set back (`touch -r`), or another file renamed over it; userspace
    cannot set ctime."""

    __tablename__: ClassVar[str] = "file_state"
    __table_args__ = (
        # a scan reads the cache beside the live assets, in path order (ledger/queries.py
        # live_by_path): on SQLite by path, so the join walks this index in order (0010)
        Index("ix_file_state_project_path", "project", "path", info={"only_on": "sqlite"}),
    )

    project: str = _col(String(64), pk=True)
    path_key: str = _col(String(64), pk=True)
    path: str = _col(String)
    size: int = _col(BigInteger)
    mtime_ns: int = _col(BigInteger)
    sha256: str = _col(String(64))
    ctime_ns: int | None = _col(BigInteger, nullable=True)  # None: recorded before 0007
    inode: int | None = _col(BigInteger, nullable=True)


PROJECTION_TABLES = ("asset", "flag", "cut", "intended_use")


# Indexes on expressions, made by migrations and not declared above (Alembic cannot compare them).
EXPRESSION_INDEXES = frozenset({"ix_asset_project_path_prefix"})


def include_object_for(dialect: str) -> Any:
    """Alembic's include_object filter: leave out objects meant for another database, and the
    expression indexes migrations make."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "index" and name in EXPRESSION_INDEXES:
            return False
        only = getattr(obj, "info", {}).get("only_on") if obj is not None else None
        if only is None and compare_to is not None:
            only = getattr(compare_to, "info", {}).get("only_on")
        return only is None or only == dialect

    return include
