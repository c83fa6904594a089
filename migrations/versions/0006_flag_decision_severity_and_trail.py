"""flag: the severity a decision was taken at, and each flag's trail of decisions and changes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Two projection columns. `decided_severity`: an approval given at review no longer covers the
same flag once the policy raises it to escalate. `trail`: every decision (approve, reject, waive,
revoke) and every change of a flag's status or severity, with who and when, for the report's
audit section. Both are filled here by replaying each project's flag entries from the ledger,
so `reelprov verify` finds the table agreeing with the ledger straight after the upgrade.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_FLAG_KINDS = ("flagged", "flag_reopened", "flag_updated", "flag_resolved", "decided", "revoked")


def upgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_severity", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("trail", sa.JSON(), nullable=False, server_default="[]"))
    from reelprov.ledger.projection import Projection

    bind = op.get_bind()
    entries = sa.table("ledger_entry", sa.column("project", sa.String), sa.column("seq", sa.BigInteger),
                       sa.column("asset", sa.String), sa.column("kind", sa.String), sa.column("payload", sa.String),
                       sa.column("actor", sa.String), sa.column("ts", sa.String))
    flag = sa.table("flag", sa.column("project", sa.String), sa.column("id", sa.Integer),
                    sa.column("decided_severity", sa.String), sa.column("trail", sa.JSON))
    projects = [r[0] for r in bind.execute(sa.select(flag.c.project).distinct())]
    for project in projects:
        proj = Projection(project)
        rows = bind.execute(sa.select(entries).where(entries.c.project == project, entries.c.kind.in_(_FLAG_KINDS))
                            .order_by(entries.c.seq))
        for r in rows:
            proj.apply(seq=r.seq, asset_id=r.asset, kind=r.kind, payload=json.loads(r.payload), ts=r.ts, actor=r.actor)
        for fid, f in proj.flags.items():
            if f["trail"] or f["decided_severity"]:
                bind.execute(sa.update(flag).where(flag.c.project == project, flag.c.id == fid)
                             .values(decided_severity=f["decided_severity"], trail=f["trail"]))


def downgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_column("trail")
        batch_op.drop_column("decided_severity")
