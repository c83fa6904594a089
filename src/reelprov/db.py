"""Database engines (SQLite embedded, PostgreSQL shared) and Alembic migrations run from code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError

from reelprov.errors import DatabaseError, LedgerTooNew, MigrationRequired

# Shared with the DB-API reader, which read commands use without importing this module.
from reelprov.ledger.reader import (
    BUSY_TIMEOUT_MS,
    SCHEMA_HEAD,
    Reader,
    connect,
    dialect_of,
    driver_error,
    redact,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "SCHEMA_HEAD",
    "ensure_current",
    "guard",
    "make_engine",
    "redact",
    "upgrade",
]


def make_engine(url: str) -> Engine:
    """An engine for URL. SQLite: WAL, busy timeout, BEGIN IMMEDIATE for every transaction."""
    if dialect_of(url) == "sqlite":
        # The same connections as the ledger's own writers (busy timeout, WAL, synchronous=FULL,
        # autocommit so the "begin" event below issues BEGIN IMMEDIATE itself).
        engine = create_engine(url, creator=lambda: connect(url, write=True))

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # migrations: take the write lock up front

        return engine
    if url.startswith("postgres"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DatabaseError(
                f"{redact(url)}: PostgreSQL needs psycopg; run `pip install 'reelprov[postgres]'`"
            ) from None
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    raise DatabaseError(
        f"{url}: unsupported database URL; use sqlite:///path or postgresql+psycopg://..."
    )


def migrations_dir() -> Path:
    """Alembic scripts: inside the installed wheel, or the checkout's top-level migrations/."""
    packaged = resources.files("reelprov") / "migrations"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if checkout.is_dir():
        return checkout
    raise DatabaseError("reelprov's migrations folder is missing from this install; reinstall it")


def _alembic_config(engine: Engine, connection: Any | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    cfg.attributes["engine"] = engine
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _scripts(engine: Engine) -> Any:
    """This reelprov's migrations (Alembic's script directory)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(engine))


def head_revision(engine: Engine) -> str | None:
    return _scripts(engine).get_current_head()  # type: ignore[no-any-return]


def too_new(engine: Engine, revision: str | None) -> bool:
    """Is REVISION (a ledger's) one this reelprov's migrations do not know: a newer reelprov's?"""
    from alembic.util import CommandError

    if revision is None:
        return False
    try:
        return _scripts(engine).get_revision(revision) is None
    except CommandError:
        return True


def _refuse_newer(engine: Engine, cur: str | None, head: str | None) -> None:
    """A ledger a newer reelprov upgraded (a shared one, or a project opened elsewhere) is neither
    read nor written by this one: it says so, and what to do."""
    if too_new(engine, cur):
        raise LedgerTooNew(
            f"{redact(str(engine.url))}: ledger schema is at {cur}, newer than this reelprov "
            f"knows (it reads up to {head}); another machine's newer reelprov upgraded it: "
            "upgrade reelprov here (`pip install -U reelprov`)"
        )


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with guard(engine):
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    _refuse_newer(engine, current_revision(engine), head_revision(engine))
    _migrate(engine, revision)


def _migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with guard(engine):
        command.upgrade(_alembic_config(engine), revision)


def ensure_current(engine: Engine, *, auto_upgrade: bool) -> None:
    """Bring an old ledger to the head revision, or say exactly what to run."""
    reader = Reader(engine.url.render_as_string(hide_password=False))
    try:
        if reader.revision() == SCHEMA_HEAD:
            return
    finally:
        reader.close()
    cur = current_revision(engine)
    head = head_revision(engine)
    if cur == head:
        return
    _refuse_newer(engine, cur, head)
    if not auto_upgrade:
        raise MigrationRequired(
            f"{redact(str(engine.url))}: ledger schema is at {cur or 'empty'}, this reelprov needs "
            f"{head}; run `reelprov db upgrade`"
        )
    _migrate(engine)  # the ledger's revision was read and checked just above


@contextmanager
def guard(engine: Engine) -> Iterator[None]:
    """Turn driver errors (corrupt file, server down, full disk) into one clear DatabaseError."""
    try:
        yield
    except (OperationalError, SADatabaseError) as exc:
        raise driver_error(redact(str(engine.url)), str(getattr(exc, "orig", exc))) from None
