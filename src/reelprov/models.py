"""The database tables: the append-only ledger and the projections rebuilt from it.

Plain SQLAlchemy Core tables. Every row travels as a dict (ledger/store.py writes, ledger/reader.py
reads), so ORM classes would only add import time: SQLModel and pydantic cost ~0.3 s per command on
these machines. The migrations in migrations/ create exactly these tables (tests/test_db.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

# Named constraints so Alembic batch mode on SQLite and PostgreSQL agree on names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)

# One immutable fact per row. Rows are only ever inserted; entry_hash chains each to the previous.
LEDGER_ENTRY = Table(
    "ledger_entry", metadata,
    Column("id", Integer, primary_key=True),
    Column("project", String(64), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("asset", String(64), nullable=True, default=None),
    Column("kind", String(32), nullable=False),
    Column("payload", String, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("ts", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    UniqueConstraint("project", "seq"),
    # (project, asset, seq) serves an asset's history in chain order without a full scan.
    Index("ix_ledger_entry_project_asset_seq", "project", "asset", "seq"),
)

# Projection: one media file's identity and current state.
ASSET = Table(
    "asset", metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(64), nullable=False),
    Column("path", String, nullable=False),
    Column("path_key", String(64), nullable=False),  # SHA-256 of path: what lookups by path use
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("origin", String(20), nullable=False, default="unknown", index=True),
    Column("tools", JSON, nullable=False, default=list),
    Column("evidence", JSON, nullable=False, default=list),
    Column("evidence_sha256", String(64), nullable=True, default=None),
    Column("c2pa_present", Boolean, nullable=False, default=False),
    Column("c2pa_state", String(10), nullable=False, default="none"),
    Column("tags", JSON, nullable=False, default=list),
    Column("stage_override", String(12), nullable=True, default=None),
    Column("declarations", JSON, nullable=False, default=list),
    Column("cuts", JSON, nullable=False, default=list),
    Column("first_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    # Lookups by path go through its hash: a PostgreSQL btree row holds at most ~2.7 KB and a path
    # may be 4 KB (one such path stopped all recording).
    Index("ix_asset_project_path_key", "project", "path_key"),
    # a project's assets a chunk at a time in id order (the report's pass, keyset pagination); it
    # also serves every lookup by project alone (no single-column project index is kept)
    Index("ix_asset_project_id", "project", "id"),
    # Path prefixes (`ls 'final/reel2/*'`): SQLite walks (project, path) between the prefix and its
    # successor (no size limit on its keys); PostgreSQL matches LIKE on the first PATH_PREFIX
    # characters (ledger/reader.py) in a text_pattern_ops index made by migration 0007 (an
    # expression index Alembic cannot compare, so not declared here).
    Index("ix_asset_project_path", "project", "path", info={"only_on": "sqlite"}),
)

# Projection: one review item raised by the policy, bound to the content hash it judged.
FLAG = Table(
    "flag", metadata,
    Column("project", String(64), primary_key=True),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("asset", String(64), nullable=False),
    Column("rule", String(100), nullable=False),
    Column("area", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("reason", String, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("decided_by", String, nullable=True, default=None),
    Column("ref", String, nullable=True, default=None),
    Column("note", String, nullable=True, default=None),
    Column("decided_at", String(40), nullable=True, default=None),
    Column("raised_seq", BigInteger, nullable=False),
    Column("last_seq", BigInteger, nullable=False),
    # the severity a decision was taken at: one taken at review does not cover the flag raised to escalate
    Column("decided_severity", String(10), nullable=True, default=None),
    # every decision and every change of status or severity, with who and when (the report's audit)
    Column("trail", JSON, nullable=False, default=list),
    Index("ix_flag_project_status", "project", "status"),
    # an asset's flags: (project, asset), so a lookup naming both cannot be served by the
    # (project, status) index, which reads every flag of the project
    Index("ix_flag_project_asset", "project", "asset"),
)

# Projection: the current import of each named cut, its events and unmatched clips.
CUT = Table(
    "cut", metadata,
    Column("project", String(64), primary_key=True),
    Column("name", String(300), primary_key=True),
    Column("source", String, nullable=False),
    Column("rate", Float, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("imported_seq", BigInteger, nullable=False),
    Column("events", JSON, nullable=False, default=list),
    Column("unmatched", JSON, nullable=False, default=list),
)

# Scan cache, not ledger truth: last size, times and inode seen per path, so unchanged files skip
# hashing. Keyed by the SHA-256 of the path (path_key): a path may be longer than a PostgreSQL
# btree row. ctime and inode catch what size and mtime miss: content swapped in with the same size
# and its mtime set back (`touch -r`), or another file renamed over it; userspace cannot set ctime.
FILE_STATE = Table(
    "file_state", metadata,
    Column("project", String(64), primary_key=True),
    Column("path_key", String(64), primary_key=True),
    Column("path", String, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("ctime_ns", BigInteger, nullable=True, default=None),  # None: recorded before 0007
    Column("inode", BigInteger, nullable=True, default=None),
)

PROJECTION_TABLES = ("asset", "flag", "cut")


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
