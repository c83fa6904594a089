"""Policy: rules as data that turn evidence, stage, tags and cut usage into flags.

The flag vocabulary lives here so that commands which only read flags (ls, show) need not load
the rule engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reelprov.ledger.entries import Signed

# Where a file stands, and what path rules and people can say about it (the facts rules read).
STAGES = ("temp", "final", "unassigned")
TAGS = (
    "story_relevant",
    "key_creative",
    "talent_likeness",
    "synthetic_voice",
    "personal_data",
    "third_party_ip",
    "unowned_training_data",
    "union_role",
)

# The areas of the guidance a rule (and a use case matrix purpose) falls under.
AREAS = (
    "screen",
    "data_use",
    "creative_output",
    "talent_performance",
    "ethics_representation",
    "confidentiality_security",
    "integrity",
    "reporting",  # every GenAI use reported before it is made (reelprov.uses)
)
SEVERITIES = ("review", "escalate", "block")
STATUSES = ("open", "approved", "rejected", "waived", "resolved")
UNRESOLVED = ("open", "rejected")  # still in the way of delivery
DECIDED = (
    "approved",
    "rejected",
    "waived",
)  # a decision stands on the flag (what revoke takes back)
CLEARED = ("approved", "waived")  # decisions that let the element through


class Clearance:
    """A person's change to what the policy reads (a tag, a stage, a declaration): who made it, the
    written reference that allows it, and whether resolving an escalate or block flag through it
    needs both. The policy engine checks it before such a flag is resolved, and records it."""

    __slots__ = ("by", "ref", "required", "what")

    def __init__(
        self, what: str, *, by: str | None = None, ref: str | None = None, required: bool = True
    ) -> None:
        self.what = what
        self.by = by.strip() if by and by.strip() else None
        self.ref = ref.strip() if ref and ref.strip() else None
        self.required = required

    @property
    def complete(self) -> bool:
        return self.by is not None and self.ref is not None

    def signature(self) -> Signed:
        """Who made the change and the reference that allows it, where given (for a ledger payload)."""
        out: Signed = {}
        if self.by:
            out["by"] = self.by
        if self.ref:
            out["ref"] = self.ref
        return out
