"""Re-evaluating every asset against the policy in force (after a policy or settings change)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelprov.ledger import queries
from reelprov.policy.engine import evaluate_asset, flag_changes
from reelprov.progress import Progress

if TYPE_CHECKING:
    from reelprov.project import Project


def policy_check(project: Project, *, progress: Progress | None = None) -> dict[str, int]:
    """Re-evaluate every asset now (after a policy or settings change); deleted ones count too while a
    cut still uses them. Idempotent."""
    ids = list(queries.asset_ids(project.reader, project.cfg.project_id))
    counts = {"assets": len(ids), "raised": 0, "reopened": 0, "resolved": 0, "updated": 0}
    for i in range(0, len(ids), 500):
        if progress is not None:
            progress("evaluate", i, len(ids))
        with project.batch(evaluate=False) as b:
            b.preload_flags(ids[i : i + 500])
            for aid in ids[i : i + 500]:
                evaluate_asset(project.policy, project.cfg, b, aid)
            for key, n in flag_changes(b.entries).items():
                counts[key] += n
    if progress is not None:
        progress("evaluate", len(ids), len(ids))
    return counts
