"""What each kind of ledger entry says: its payload, as a typed record. The ledger stores the
payload as canonical JSON (chain.canonical) under the entry's hash, so these records are the
ledger's format: the projection reads them (ledger/projection.py, one `_on_<kind>` per kind), and
a chain-of-custody export can rely on them. Keys marked NotRequired are absent from entries older
reelprov versions wrote, or only present when they say something. Batch.append takes a Payload
(mypy checks every writer's literal against these records), every entry any test appends is
checked against its kind's record (tests/conftest.py), and the projection's handlers read them
typed."""

from typing import Any, NotRequired, TypedDict

from reelprov.extract.plugin import Evidence
from reelprov.ledger.records import CutEvent, Place, UnmatchedClip, UseAsked


class Signed(TypedDict, total=False):
    """Who made a person's change and the reference that allows it, where given
    (policy.Clearance.signature)."""

    by: str
    ref: str


# -- a file and what it holds -------------------------------------------------------------------
class Content(TypedDict):
    """A file's content as recorded: its hash, size and sniffed media type."""

    sha256: str
    size: int
    media_type: NotRequired[str]
    mtime_ns: NotRequired[int]


class Seen(Content):
    """A file recorded for the first time, or back at a path after it was deleted, and what reading
    it found (evidence, c2pa: as an evidence entry says), so one entry records a new file. Entries
    written before 2026-12-07 carry no evidence: an evidence entry follows each of them."""

    path: str
    evidence: NotRequired[list[Evidence]]
    c2pa: NotRequired[dict[str, Any]]


class Changed(Content):
    """A file's content changed in place (PATH: where, when it moved too), and what reading the
    new content found (as Seen; entries written before 2026-12-07 are followed by an evidence
    entry instead)."""

    prev_sha256: str
    path: NotRequired[str]
    evidence: NotRequired[list[Evidence]]
    c2pa: NotRequired[dict[str, Any]]


# A file found at another path (content too when it changed on the way); "from" is a keyword.
Moved = TypedDict(
    "Moved",
    {
        "from": str,
        "to": str,
        "sha256": NotRequired[str],
        "size": NotRequired[int],
        "media_type": NotRequired[str],
        "mtime_ns": NotRequired[int],
    },
)


class Deleted(TypedDict):
    path: str


class EvidenceFound(TypedDict):
    """What a reading of the content SHA256 found: evidence items and the C2PA state."""

    sha256: str
    evidence: list[Evidence]
    c2pa: NotRequired[dict[str, Any]]  # present, state, and what the manifest said


class Declared(Signed, total=False):
    """A person's or a vendor's declaration about the file (reelprov declare, a sidecar), bound
    to the content declared about."""

    origin: str
    tool: str
    note: str
    purpose: str
    inputs: list[str]
    consent: list[str]
    use: str
    source: str
    at: str
    sha256: str


class Tagged(Signed, total=False):
    """Tags added or removed, or the stage set by hand, and who did it (Clearance.signature)."""

    add: list[str]
    remove: list[str]
    stage: str | None
    kept_on_move: dict[str, str]  # a path rule's tag kept when the file moved out of its folder


# -- cuts -----------------------------------------------------------------------------------------
class CutImported(TypedDict):
    name: str
    source: str
    source_sha256: NotRequired[str]
    rate: float
    drop_frame: NotRequired[bool]
    events: list[CutEvent]
    unmatched: list[UnmatchedClip]
    timeline: NotRequired[str]  # the one imported, of a file of several


class CutRemoved(TypedDict):
    name: str


class UsedInCut(TypedDict):
    """An asset shown in a cut, and where (track, record in/out, clip, frame)."""

    cut: str
    events: list[Place]


class LeftCut(TypedDict):
    cut: str


# -- flags and decisions ----------------------------------------------------------------------------
class Flagged(TypedDict):
    flag_id: int
    rule: str
    area: str
    severity: str
    reason: str
    sha256: str


class FlagReopened(TypedDict):
    flag_id: int
    sha256: str
    was: NotRequired[str]
    why: NotRequired[str]
    severity: NotRequired[str]
    reason: NotRequired[str]


class FlagUpdated(Signed):  # by, ref: lowered by a person's change
    flag_id: int
    severity: str
    reason: str
    previous: NotRequired[str]  # the reason it gave before
    why: NotRequired[str]


class FlagResolved(Signed):  # by, ref: resolved by a person's change
    flag_id: int
    because: NotRequired[str]
    reason: NotRequired[str]


class Decided(TypedDict):
    flag_id: int
    decision: str  # approved, rejected, waived
    by: str
    ref: NotRequired[str | None]
    note: NotRequired[str | None]
    severity: NotRequired[str]  # the severity decided at (absent in older entries)
    sha256: NotRequired[str]
    use: NotRequired[str]  # taken by the approval of an intended use


class Revoked(TypedDict):
    flag_id: int
    by: str
    note: NotRequired[str | None]
    ref: NotRequired[str | None]
    was: NotRequired[dict[str, Any]]


# -- intended uses ---------------------------------------------------------------------------------
class UseProposed(UseAsked):
    use_id: str
    by: str
    note: NotRequired[str | None]


class UseDecided(TypedDict):
    use_id: str
    decision: str
    by: str
    ref: NotRequired[str | None]
    note: NotRequired[str | None]


class UseClosed(TypedDict):
    use_id: str
    by: str
    note: NotRequired[str | None]


# Any entry's payload, as Batch.append takes it (mypy checks each writer's literal against these).
Payload = (
    Seen
    | Changed
    | Moved
    | Deleted
    | EvidenceFound
    | Declared
    | Tagged
    | CutImported
    | CutRemoved
    | UsedInCut
    | LeftCut
    | Flagged
    | FlagReopened
    | FlagUpdated
    | FlagResolved
    | Decided
    | Revoked
    | UseProposed
    | UseDecided
    | UseClosed
)

# Entry kind -> its payload's record. A kind missing here carries history only (no state).
PAYLOADS: dict[str, type] = {
    "seen": Seen,
    "changed": Changed,
    "moved": Moved,
    "deleted": Deleted,
    "evidence": EvidenceFound,
    "declared": Declared,
    "tagged": Tagged,
    "cut_imported": CutImported,
    "cut_removed": CutRemoved,
    "used_in_cut": UsedInCut,
    "left_cut": LeftCut,
    "flagged": Flagged,
    "flag_reopened": FlagReopened,
    "flag_updated": FlagUpdated,
    "flag_resolved": FlagResolved,
    "decided": Decided,
    "revoked": Revoked,
    "use_proposed": UseProposed,
    "use_decided": UseDecided,
    "use_closed": UseClosed,
}
