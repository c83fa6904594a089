"""paths of any length on PostgreSQL; the scan cache keeps ctime and inode

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

A path over ~2.7 KB (legal on Linux: 4 KB) exceeded PostgreSQL's btree row limit in pk_file_state
and the asset path indexes: one such file stopped every scan and the watcher. The scan cache and
the asset table are now keyed by the SHA-256 of the path (`path_key`, on both databases); on
PostgreSQL path prefixes (`ls 'final/reel2/*'`) are matched through a text_pattern_ops index of the
first 500 characters. The cache also keeps each file's ctime and inode, which userspace cannot set back:
content swapped in with the same size and a restored mtime, or a file renamed over another, is
re-read. Rows cached before have neither and are compared by size and mtime until next written.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PATH_PREFIX = 500  # reelprov.models.PATH_PREFIX when this was written


def _key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    old = sa.table("file_state", sa.column("project", sa.String), sa.column("path", sa.String),
                   sa.column("size", sa.BigInteger), sa.column("mtime_ns", sa.BigInteger), sa.column("sha256", sa.String))
    rows = [dict(r._mapping) for r in bind.execute(sa.select(old))]
    op.drop_table("file_state")
    new = op.create_table(
        "file_state",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("path_key", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ctime_ns", sa.BigInteger(), nullable=True),
        sa.Column("inode", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("project", "path_key", name=op.f("pk_file_state")),
    )
    for i in range(0, len(rows), 5000):
        op.bulk_insert(new, [{**r, "path_key": _key(r["path"]), "ctime_ns": None, "inode": None}
                             for r in rows[i : i + 5000]])
    # asset: looked up by the hash of its path
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path_key", sa.String(length=64), nullable=False, server_default=""))
    asset = sa.table("asset", sa.column("id", sa.String), sa.column("path", sa.String), sa.column("path_key", sa.String))
    if pg:
        bind.execute(sa.text("UPDATE asset SET path_key = encode(sha256(convert_to(path, 'UTF8')), 'hex')"))
    else:
        ids = [(r.id, r.path) for r in bind.execute(sa.select(asset.c.id, asset.c.path))]
        for i in range(0, len(ids), 5000):
            bind.execute(sa.update(asset).where(asset.c.id == sa.bindparam("_id")).values(path_key=sa.bindparam("_k")),
                         [{"_id": aid, "_k": _key(path)} for aid, path in ids[i : i + 5000]])
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.alter_column("path_key", server_default=None)
        batch_op.create_index("ix_asset_project_path_key", ["project", "path_key"], unique=False)
        # (project, id) serves what the single-column project index did, and reading a project's
        # assets a chunk at a time in id order (the report), which that one made quadratic
        batch_op.drop_index("ix_asset_project")
        batch_op.create_index("ix_asset_project_id", ["project", "id"], unique=False)
    if pg:
        op.drop_index("ix_asset_project_path_pattern", table_name="asset")
        op.drop_index("ix_asset_project_path", table_name="asset")
        op.execute(f"CREATE INDEX ix_asset_project_path_prefix ON asset (project, left(path, {PATH_PREFIX}) text_pattern_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_asset_project_path_prefix")
        op.create_index("ix_asset_project_path", "asset", ["project", "path"])
        op.create_index("ix_asset_project_path_pattern", "asset", ["project", "path"],
                        postgresql_ops={"path": "text_pattern_ops"})
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_project_id")
        batch_op.create_index("ix_asset_project", ["project"], unique=False)
        batch_op.drop_index("ix_asset_project_path_key")
        batch_op.drop_column("path_key")
    op.drop_table("file_state")
    op.create_table(
        "file_state",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("project", "path", name=op.f("pk_file_state")),
    )  # a cache: the next scan fills it again
