"""Intended GenAI uses: the register the studio asks for, before the media exists.

A use is proposed with a tool, a purpose from the use case matrix (matrix.py), a scope of paths and
the five principles answered; its risk comes from the matrix, raised to escalate by any "no" or
"unsure". It is a ledger entry (proposed, approved, rejected, revoked, closed) and a row of the
`intended_use` table. Files meet uses in link.py; the policy reads the link (a file no use covers
raises `reporting.unreported_ai_use`).
"""

from collections.abc import Mapping
from typing import Any

# What a use can be. "recorded": a low-risk use, reported and needing no approval to go on.
USE_STATUSES = ("proposed", "recorded", "approved", "rejected", "revoked")
# What a file's use status can be for the policy (the `use_status` condition): its use's status,
# "closed" when it arrived after its use was closed, "none" when no use covers it.
FILE_USE_STATUSES = ("none", "closed", *USE_STATUSES)
RISKS = ("low", "review", "escalate")
ANSWERS = ("yes", "no", "unsure")
# The five principles of the guidance (shared/DOMAIN.md), asked of every proposed use: key, question.
PRINCIPLES = (
    (
        "no_unowned_material",
        "Outputs do not replicate or substantially recreate unowned or copyrighted material?",
    ),
    (
        "no_training_on_production_data",
        "The tools do not store, reuse or train on production data (inputs or outputs)?",
    ),
    ("enterprise_secured", "The tools run in an enterprise-secured environment?"),
    ("temporary_only", "Outputs are temporary and not part of final deliverables?"),
    (
        "no_talent_replacement",
        "No talent performance or union-covered work is replaced or generated without consent?",
    ),
)
USE_ID_PREFIX = "U-"


def status_of(use: Mapping[str, Any]) -> str:
    """A use's status as `use ls` and hook events show it: closed once closed, else its decision."""
    return "closed" if use.get("closed_seq") is not None else str(use["status"])
