"""The events reelprov tells hooks about: one typed class per event, the only place their names and
payloads are written.

The library builds an event (`Batch.emit(FlagRaised(...))`); after the transaction commits, hooks
get `payload()` as JSON with `event` and `project` added (hooks.py). tests/test_events.py checks
that what is emitted matches these classes, and that the README's table lists exactly them;
docs/schemas/ holds the JSON Schema of each, generated from them (`python -m reelprov.schemas`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

Change = Literal["seen", "changed", "moved", "restored", "reread"]


@dataclass(frozen=True, slots=True)
class AssetRef:
    """The asset an event is about, as hooks see it."""

    id: str
    path: str
    origin: str
    tools: list[str]

    @classmethod
    def of(cls, asset: Mapping[str, Any]) -> AssetRef:
        return cls(asset["id"], asset["path"], asset["origin"], list(asset["tools"]))


@dataclass(frozen=True, slots=True)
class FlagRef:
    """The flag an event is about, as it stands after the change."""

    id: int
    rule: str
    area: str
    severity: str
    status: str
    reason: str
    sha256: str

    @classmethod
    def of(cls, flag: Mapping[str, Any]) -> FlagRef:
        return cls(
            flag["id"],
            flag["rule"],
            flag["area"],
            flag["severity"],
            flag["status"],
            flag["reason"],
            flag["sha256"],
        )


@dataclass(frozen=True, slots=True)
class Event:
    """The base of every event. NAME is what hooks are named after (`flag-raised.notify`)."""

    NAME: ClassVar[str] = ""
    DOC: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AssetRecorded(Event):
    NAME: ClassVar[str] = "asset-recorded"
    DOC: ClassVar[str] = (
        "a file was recorded: seen for the first time, changed, moved, restored, or reread "
        "(same content, other evidence)"
    )

    change: Change
    asset: str
    path: str
    sha256: str
    origin: str
    tools: list[str]
    moved_from: str | None = None  # `from` in the payload, only when moved

    def payload(self) -> dict[str, Any]:
        out = asdict(self)
        moved = out.pop("moved_from")
        if moved is not None:
            out["from"] = moved
        return out


@dataclass(frozen=True, slots=True)
class AssetDeleted(Event):
    NAME: ClassVar[str] = "asset-deleted"
    DOC: ClassVar[str] = "a recorded file is gone from the project"

    asset: str
    path: str


@dataclass(frozen=True, slots=True)
class FlagEvent(Event):
    flag: FlagRef
    asset: AssetRef


@dataclass(frozen=True, slots=True)
class FlagRaised(FlagEvent):
    NAME: ClassVar[str] = "flag-raised"
    DOC: ClassVar[str] = "the policy raised a flag on a file"


@dataclass(frozen=True, slots=True)
class FlagReopened(FlagEvent):
    NAME: ClassVar[str] = "flag-reopened"
    DOC: ClassVar[str] = "the content changed since a decision, or the condition came back"


@dataclass(frozen=True, slots=True)
class FlagResolved(FlagEvent):
    NAME: ClassVar[str] = "flag-resolved"
    DOC: ClassVar[str] = "the condition no longer holds"


@dataclass(frozen=True, slots=True)
class FlagUpdated(FlagEvent):
    NAME: ClassVar[str] = "flag-updated"
    DOC: ClassVar[str] = (
        "an undecided flag's reason or severity changed (a tag, tool, stage, cut or the policy "
        "changed); a decided flag keeps the reason it was decided on"
    )


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    by: str
    ref: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class FlagDecided(FlagEvent):
    NAME: ClassVar[str] = "flag-decided"
    DOC: ClassVar[str] = "a flag was approved, rejected or waived"

    decision: Decision


@dataclass(frozen=True, slots=True)
class PriorDecision:
    decision: str | None
    by: str | None
    ref: str | None
    at: str | None


@dataclass(frozen=True, slots=True)
class Revocation:
    by: str
    note: str
    ref: str | None
    was: PriorDecision


@dataclass(frozen=True, slots=True)
class FlagRevoked(FlagEvent):
    NAME: ClassVar[str] = "flag-revoked"
    DOC: ClassVar[str] = "a decision was taken back: the flag is open again"

    revoked: Revocation


@dataclass(frozen=True, slots=True)
class CutSummary:
    name: str
    source: str
    events: int
    unmatched: int


@dataclass(frozen=True, slots=True)
class CutImported(Event):
    NAME: ClassVar[str] = "cut-imported"
    DOC: ClassVar[str] = "a timeline was imported (or imported again)"

    cut: CutSummary


@dataclass(frozen=True, slots=True)
class CutGone:
    name: str
    assets: int


@dataclass(frozen=True, slots=True)
class CutRemoved(Event):
    NAME: ClassVar[str] = "cut-removed"
    DOC: ClassVar[str] = "a cut was removed: its assets are no longer on screen through it"

    cut: CutGone


@dataclass(frozen=True, slots=True)
class UseRef:
    """An intended GenAI use (reelprov use), as it stands after the change."""

    id: str
    tool: str
    purpose: str
    risk: str
    status: str  # proposed, recorded, approved, rejected, revoked, closed
    scope: list[str]

    @classmethod
    def of(cls, use: Mapping[str, Any]) -> UseRef:
        from reelprov.uses import status_of

        return cls(
            use["id"], use["tool"], use["purpose"], use["risk"], status_of(use), list(use["scope"])
        )


@dataclass(frozen=True, slots=True)
class UseProposed(Event):
    NAME: ClassVar[str] = "use-proposed"
    DOC: ClassVar[str] = "an intended GenAI use was reported, with the principles that escalated it"

    use: UseRef
    by: str
    escalated: list[str]


@dataclass(frozen=True, slots=True)
class UseDecided(Event):
    NAME: ClassVar[str] = "use-decided"
    DOC: ClassVar[str] = "an intended use was approved, rejected or revoked"

    use: UseRef
    decision: Decision


@dataclass(frozen=True, slots=True)
class UseClosed(Event):
    NAME: ClassVar[str] = "use-closed"
    DOC: ClassVar[str] = "no more files are expected under an intended use"

    use: UseRef
    by: str


ALL: tuple[type[Event], ...] = (
    AssetRecorded,
    AssetDeleted,
    FlagRaised,
    FlagReopened,
    FlagResolved,
    FlagUpdated,
    FlagDecided,
    FlagRevoked,
    CutImported,
    CutRemoved,
    UseProposed,
    UseDecided,
    UseClosed,
)
BY_NAME: dict[str, type[Event]] = {e.NAME: e for e in ALL}

__all__ = [
    "ALL",
    "BY_NAME",
    "AssetDeleted",
    "AssetRecorded",
    "AssetRef",
    "CutImported",
    "CutRemoved",
    "Decision",
    "Event",
    "FlagDecided",
    "FlagEvent",
    "FlagRaised",
    "FlagRef",
    "FlagReopened",
    "FlagResolved",
    "FlagRevoked",
    "FlagUpdated",
    "PriorDecision",
    "Revocation",
    "UseClosed",
    "UseDecided",
    "UseProposed",
    "UseRef",
]
