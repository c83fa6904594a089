"""drop ix_ledger_entry_project: the (project, seq) unique constraint serves every lookup by project

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Every appended entry updated this index too (issue 23: the writer's inserts into 12 indexes); the
unique (project, seq) index and (project, asset, seq) already start with project.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_ledger_entry_project", table_name="ledger_entry")


def downgrade() -> None:
    op.create_index("ix_ledger_entry_project", "ledger_entry", ["project"])
