"""flag (project, asset) index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An asset's flags are looked up by (project, asset). With only (asset) and (project, status)
    # indexes, SQLite served such a lookup from (project, status) and read every flag of the project.
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_asset")
        batch_op.create_index("ix_flag_project_asset", ["project", "asset"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_project_asset")
        batch_op.create_index("ix_flag_asset", ["asset"], unique=False)
