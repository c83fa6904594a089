"""recompute origins: a declaration no longer says less than the file's own AI evidence

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

A data migration, like 0005. Until 0008 a declaration (a vendor's sidecar, `reelprov declare`)
outranked the file's own XMP/IPTC, generator text or invalid manifest: a sidecar declaring
`ai_enhanced` over trainedAlgorithmicMedia made the file `ai_enhanced`, and `human` made it human.
The asset table is a projection of the ledger, so the origins of assets with a declaration are
recomputed here (nothing is written to the ledger); reelprov re-evaluates the policy right after
this upgrade (project.Project.open), so the flags follow before anything reads them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ASSET = sa.table("asset", sa.column("id", sa.String), sa.column("sha256", sa.String), sa.column("origin", sa.String),
                  sa.column("tools", sa.JSON), sa.column("evidence", sa.JSON), sa.column("declarations", sa.JSON))


def upgrade() -> None:
    from reelprov.ledger.projection import recompute_origin

    bind = op.get_bind()
    has_declaration = sa.or_(sa.cast(_ASSET.c.declarations, sa.Text) != "[]",
                             sa.cast(_ASSET.c.evidence, sa.Text).like('%"declaration"%'))
    rows = bind.execute(sa.select(_ASSET.c.id, _ASSET.c.sha256, _ASSET.c.origin, _ASSET.c.tools, _ASSET.c.evidence,
                                  _ASSET.c.declarations).where(has_declaration)).all()
    for r in rows:
        state = {"sha256": r.sha256, "evidence": r.evidence or [], "declarations": r.declarations or []}
        recompute_origin(state)
        if (state["origin"], state["tools"]) != (r.origin, r.tools):
            bind.execute(sa.update(_ASSET).where(_ASSET.c.id == r.id).values(origin=state["origin"], tools=state["tools"]))


def downgrade() -> None:
    pass  # the older rule is not restored; `reelprov db rebuild` under an older reelprov recomputes by its own
