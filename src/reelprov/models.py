"""The database tables: the append-only ledger and the projections rebuilt from it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, MetaData, UniqueConstraint
from sqlmodel import Field, SQLModel

# Named constraints so Alembic batch mode on SQLite and PostgreSQL agree on names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata


class LedgerEntry(SQLModel, table=True):
    """One immutable fact. Rows are only ever inserted; entry_hash chains each to the previous."""

    __tablename__ = "ledger_entry"
    # (project, asset, seq) serves an asset's history in chain order without a full scan.
    __table_args__ = (UniqueConstraint("project", "seq"), Index("ix_ledger_entry_project_asset_seq", "project", "asset", "seq"))

    id: int | None = Field(default=None, primary_key=True)
    project: str = Field(max_length=64, index=True)
    seq: int = Field(sa_type=BigInteger)
    asset: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    payload: str
    actor: str = Field(max_length=200)
    host: str = Field(max_length=200)
    ts: str = Field(max_length=40)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class Asset(SQLModel, table=True):
    """Projection: one media file's identity and current state."""

    __tablename__ = "asset"
    __table_args__ = (Index("ix_asset_project_path", "project", "path"),)

    id: str = Field(primary_key=True, max_length=64)
    project: str = Field(max_length=64, index=True)
    path: str
    sha256: str = Field(max_length=64, index=True)
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=100)
    deleted: bool = False
    origin: str = Field(default="unknown", max_length=20, index=True)
    tools: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    evidence_sha256: str | None = Field(default=None, max_length=64)
    c2pa_present: bool = False
    c2pa_state: str = Field(default="none", max_length=10)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stage_override: str | None = Field(default=None, max_length=12)
    declarations: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    cuts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)


class Flag(SQLModel, table=True):
    """Projection: one review item raised by the policy, bound to the content hash it judged."""

    __tablename__ = "flag"
    __table_args__ = (Index("ix_flag_project_status", "project", "status"),)

    project: str = Field(primary_key=True, max_length=64)
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    asset: str = Field(max_length=64, index=True)
    rule: str = Field(max_length=100)
    area: str = Field(max_length=40)
    severity: str = Field(max_length=10)
    status: str = Field(max_length=10)
    reason: str
    sha256: str = Field(max_length=64)
    decided_by: str | None = None
    ref: str | None = None
    note: str | None = None
    decided_at: str | None = Field(default=None, max_length=40)
    raised_seq: int = Field(sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)


class Cut(SQLModel, table=True):
    """Projection: the current import of each named cut, its events and unmatched clips."""

    __tablename__ = "cut"

    project: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=300)
    source: str
    rate: float
    imported_at: str = Field(max_length=40)
    imported_seq: int = Field(sa_type=BigInteger)
    events: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unmatched: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class FileState(SQLModel, table=True):
    """Scan cache, not ledger truth: last size/mtime seen per path, so unchanged files skip hashing."""

    __tablename__ = "file_state"

    project: str = Field(primary_key=True, max_length=64)
    path: str = Field(primary_key=True)
    size: int = Field(sa_type=BigInteger)
    mtime_ns: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)


PROJECTION_TABLES = ("asset", "flag", "cut")
