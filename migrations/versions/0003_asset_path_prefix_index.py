"""asset path prefix index (PostgreSQL)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `ls 'final/reel2/*'` matches the glob's literal prefix with LIKE on PostgreSQL; only a
    # text_pattern_ops index serves LIKE under a non-C collation. SQLite needs nothing.
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_asset_project_path_pattern", "asset", ["project", "path"],
                        postgresql_ops={"path": "text_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_asset_project_path_pattern", table_name="asset")
