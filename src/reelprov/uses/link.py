"""Which intended use a file belongs to: what `show`, `ls --json`, the report and the policy read.

A file links to a use when a declaration sidecar names it (`"use": "U-3"`), or when it is of AI
origin, a tool it names is the use's tool and its path is in the use's scope. Computed from the
file and the register each time (never stored on the asset): a use proposed, decided or closed
changes the link of every file at once, and `verify` replays each asset from its own entries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelprov.contract import UseLinkJson

from reelprov.globs import any_matches

AI_ORIGINS = ("ai_generated", "ai_composite", "ai_enhanced")
BAD = ("rejected", "revoked", "closed")  # a file under its use this way is not covered


@dataclass(frozen=True)
class UseLink:
    """A file's use (None: none covers it), the file's status under it (uses.FILE_USE_STATUSES)
    and the use id a declaration named, if any (it may name one that does not exist)."""

    use: Mapping[str, Any] | None
    status: str
    named: str | None = None

    @property
    def use_id(self) -> str | None:
        return self.use["id"] if self.use is not None else None

    def describe(self) -> str:
        """In words, for a flag's reason: "no registered use covers it", "its use U-3 was rejected"."""
        if self.use is None:
            if self.named:
                return f"its declaration names use {self.named}, which is not registered"
            return "no registered use covers it"
        u = self.use
        if self.status == "closed":
            return f"it arrived after its use {u['id']} was closed by {u['closed_by']}"
        if self.status in ("rejected", "revoked"):
            return f"its use {u['id']} was {self.status} by {u['decided_by']}"
        return f"use {u['id']} ({self.status})"

    def to_json(self) -> UseLinkJson | None:
        """The `use` key of the asset JSON."""
        if self.use is None:
            return {"id": self.named, "status": "none", "registered": False} if self.named else None
        u = self.use
        return {
            "id": u["id"],
            "status": self.status,
            "registered": True,
            "purpose": u["purpose"],
            "tool": u["tool"],
            "risk": u["risk"],
            "decided_by": u["decided_by"],
            "ref": u["ref"],
        }


NO_USE = UseLink(None, "none")  # most files: no use covers them


def _status(use: Mapping[str, Any], asset: Mapping[str, Any]) -> str:
    closed = use.get("closed_seq")
    if closed is not None and asset["first_seq"] > closed:
        return "closed"
    return str(use["status"])


def _named(asset: Mapping[str, Any]) -> str | None:
    """The use a declaration names: the latest `reelprov declare`, else the declaration sidecar."""
    for items in (asset.get("declarations") or [], asset.get("evidence") or []):
        for d in reversed(items):
            if isinstance(d, dict) and d.get("use"):
                return str(d["use"])
    return None


def _tool_matches(use_tool: str, tools: list[str]) -> bool:
    from reelprov.extract.tools import names_tool, table

    known = table()
    want = known.canonical(use_tool)
    return any(names_tool(want, known.canonical(t)) or names_tool(use_tool, t) for t in tools)


def link(asset: Mapping[str, Any], uses: Mapping[str, Mapping[str, Any]]) -> UseLink:
    """The use ASSET belongs to among USES (by id)."""
    named = _named(asset)
    if named is not None:
        use = uses.get(named)
        return UseLink(use, _status(use, asset) if use is not None else "none", named)
    if asset.get("origin") not in AI_ORIGINS or not uses:
        return NO_USE
    tools = list(asset.get("tools") or [])
    found = [
        u
        for u in uses.values()
        if tools and _tool_matches(u["tool"], tools) and any_matches(asset["path"], u["scope"])
    ]
    if not found:
        return UseLink(None, "none")
    # a use that covers the file before one that does not; then the latest proposed
    best = max(found, key=lambda u: (_status(u, asset) not in BAD, u["number"]))
    return UseLink(best, _status(best, asset))
