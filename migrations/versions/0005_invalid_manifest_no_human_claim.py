"""recompute origins: an invalid C2PA manifest no longer vouches for human origin

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

A data migration. Until 0005 a manifest that no longer validated (the file changed after
signing) still made its file `human` when it claimed a capture, and could outrank weaker
evidence of AI. The asset table is a projection of the ledger, so after the rule changed its
`origin`/`tools` are recomputed here for the assets it touches (nothing is written to the
ledger itself); without this `reelprov verify` would find the table disagreeing with the ledger.
Flags follow on the asset's next change, or at once with `reelprov policy check`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_ASSET = sa.table("asset", sa.column("id", sa.String), sa.column("origin", sa.String), sa.column("tools", sa.JSON),
                  sa.column("evidence", sa.JSON), sa.column("declarations", sa.JSON))


def upgrade() -> None:
    from reelprov.ledger.projection import recompute_origin

    bind = op.get_bind()
    rows = bind.execute(sa.select(_ASSET.c.id, _ASSET.c.origin, _ASSET.c.tools, _ASSET.c.evidence, _ASSET.c.declarations)
                        .where(sa.cast(_ASSET.c.evidence, sa.Text).like('%"c2pa_invalid"%'))).all()
    for r in rows:
        state = {"evidence": r.evidence or [], "declarations": r.declarations or []}
        recompute_origin(state)
        if (state["origin"], state["tools"]) != (r.origin, r.tools):
            bind.execute(sa.update(_ASSET).where(_ASSET.c.id == r.id).values(origin=state["origin"], tools=state["tools"]))


def downgrade() -> None:
    pass  # the older rule is not restored; `reelprov db rebuild` under an older reelprov recomputes by its own
