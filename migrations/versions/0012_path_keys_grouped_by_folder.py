"""path keys grouped by folder: a batch of new files lands on few index pages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

`path_key` (asset, file_state) was the SHA-256 of the path: random, so each of a batch's 1,000 new
frames landed on its own page of the two indexes keyed by it, and every commit wrote them all out
(50,000 frames: commits 5 ms each at first, 19 ms by the end). It is now the first 16 hex digits of
the SHA-256 of the path's folder, then the first 48 of the path's own: one folder's files sort
together. Lookups are by equality, as before; every key is computed again here, in the database
(one UPDATE per table: nothing project-sized is held by the client).
"""

from __future__ import annotations

import hashlib
from typing import Any

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FOLDER_KEY = 16  # reelprov.ledger.reader.FOLDER_KEY when this was written


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _grouped(path: str) -> str:
    """The key as reelprov.ledger.reader.path_key computes it from 0012 on."""
    return _sha(path.rpartition("/")[0])[:FOLDER_KEY] + _sha(path)[: 64 - FOLDER_KEY]


# The same keys computed by PostgreSQL itself (sha256() is built in from PostgreSQL 11), one
# statement per table: the rows never travel to the client. Its text holds no lone surrogates, so
# encoding as UTF-8 is what Python's surrogateescape gives for every path it can hold.
_PG_SHA = "encode(sha256(convert_to({}, 'UTF8')), 'hex')"
_PG_FOLDER = "CASE WHEN strpos(path, '/') > 0 THEN regexp_replace(path, '/[^/]*$', '') ELSE '' END"
_PG_KEYS = {
    "grouped": f"substr({_PG_SHA.format(_PG_FOLDER)}, 1, {FOLDER_KEY})"
    f" || substr({_PG_SHA.format('path')}, 1, {64 - FOLDER_KEY})",
    "sha": _PG_SHA.format("path"),
}


def _rekey(key: Any, pg_key: str) -> None:
    """Every asset's and scan cache row's path_key made KEY(path) (PG_KEY on PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # one statement per table, the key computed by SQLite calling back into Python
        raw = bind.connection.driver_connection
        raw.create_function("reelprov_path_key", 1, key, deterministic=True)
        expr = "reelprov_path_key(path)"
    else:
        expr = _PG_KEYS[pg_key]
    for table in ("asset", "file_state"):
        bind.exec_driver_sql(f"UPDATE {table} SET path_key = {expr}")  # noqa: S608 - constant text


def upgrade() -> None:
    _rekey(_grouped, "grouped")


def downgrade() -> None:
    _rekey(_sha, "sha")
