"""intended_use: the register of intended GenAI uses (issue 22)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A projection table like cut: its rows are rebuilt from the use_proposed, use_decided and
use_closed entries (which name no asset). A ledger upgraded to it has no such entries yet, so
the table starts empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intended_use",
        sa.Column("project", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("matrix_risk", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("escalated", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("proposed_by", sa.String(), nullable=False),
        sa.Column("proposed_at", sa.String(length=40), nullable=False),
        sa.Column("proposed_seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("ref", sa.String(), nullable=True),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.Column("closed_by", sa.String(), nullable=True),
        sa.Column("closed_at", sa.String(length=40), nullable=True),
        sa.Column("closed_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("trail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("project", "id", name=op.f("pk_intended_use")),
    )


def downgrade() -> None:
    op.drop_table("intended_use")
