"""The public JSON contract, typed: what `ls --json` / `show --json` print for an asset, what a
report's JSON holds, and what a declaration sidecar may say.

The functions that produce these return the types below (mypy checks every key they write), and
`python -m reelprov.schemas` generates the JSON Schemas in docs/schemas/ from them (a test checks
they are current and validates real output against them). TypedDicts cost nothing at run time:
the JSON is written as it always was.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

# pydantic (schemas.py) reads TypedDicts from typing_extensions only, on Python < 3.12
from typing_extensions import TypedDict

# classify.ORIGINS, as a type (tests/test_schemas.py checks they agree)
Origin = Literal["ai_generated", "ai_composite", "ai_enhanced", "human", "unknown"]


class EvidenceJson(TypedDict):
    """One piece of evidence of origin: where it was read, what it says."""

    source: str
    origin: str | None
    tool: str | None
    detail: str
    kind: str | None


class DecisionJson(TypedDict):
    by: str
    ref: str | None
    note: str | None
    at: str | None
    severity: str


class FlagStepJson(TypedDict):
    """One step of a flag's trail: a decision, or a change of its status or severity, with who
    and when (`flags ID --json`, the report's audit)."""

    seq: int
    at: str
    by: str
    event: str  # decided, revoked, reopened, resolved, severity
    was: NotRequired[str]  # the status (or severity) before
    why: NotRequired[str]
    severity: NotRequired[str]
    sha256: NotRequired[str]  # the content decided on, or reopened for
    decision: NotRequired[str]
    ref: NotRequired[str]
    note: NotRequired[str]


class FlagBaseJson(TypedDict):
    """What every shape of a flag says: which, under which rule and area, how severe, its status,
    why, and the content (SHA-256) it judged."""

    id: int
    rule: str
    area: str
    severity: str
    status: str
    reason: str
    sha256: str


class FlagJson(FlagBaseJson):
    """A flag in the asset JSON and `flags --json`."""

    decision: NotRequired[DecisionJson]  # present once someone decided it
    path: NotRequired[str]  # `flags --json`: the file it is on
    trail: NotRequired[list[FlagStepJson]]  # `flags ID --json`: every step, who and when


class C2paJson(TypedDict):
    present: bool
    state: str  # none | valid | invalid | error


class DeclarationJson(TypedDict, total=False):
    """A declaration as recorded (`reelprov declare`, or a vendor's sidecar)."""

    origin: Origin
    tool: str
    by: str
    ref: str
    purpose: str
    note: str
    inputs: list[str]
    consent: list[str]
    sha256: str  # the content it was declared about
    at: str
    use: str  # the intended use it names (reelprov use)
    source: str  # where it was read from, when not typed in


class HistoryEntryJson(TypedDict):
    seq: int
    asset: str | None
    kind: str
    payload: dict[str, Any]
    actor: str
    host: str
    ts: str
    prev_hash: str
    entry_hash: str


class UseLinkJson(TypedDict):
    """The intended use a file belongs to (`reelprov use`): by a declaration naming it, or by its
    tool and its path in the use's scope. `status` is the file's: the use's decision, or "closed"
    when the file arrived after the use was closed; "none" with registered false when a
    declaration names a use that does not exist."""

    id: str | None
    status: str
    registered: bool
    purpose: NotRequired[str]
    tool: NotRequired[str]
    risk: NotRequired[str]
    decided_by: NotRequired[str | None]
    ref: NotRequired[str | None]


class AssetJson(TypedDict):
    """One asset in `ls --json`; `show --json` adds `history`."""

    id: str
    path: str
    sha256: str
    size: int
    media_type: str
    media_kind: str
    deleted: bool
    stage: str
    origin: Origin
    tools: list[str]
    evidence: list[EvidenceJson]
    c2pa: C2paJson
    tags: list[str]
    in_cut: bool
    cuts: list[str]
    declarations: list[DeclarationJson]
    flags: list[FlagJson]
    use: UseLinkJson | None  # the intended use it belongs to; null when none covers it
    history: NotRequired[list[HistoryEntryJson]]


class DeclarationSidecar(TypedDict):
    """`NAME.reelprov.json` beside a file: a vendor's declaration of how it was made."""

    reelprov_declaration: Literal[1]
    origin: Origin
    tool: NotRequired[str | None]
    by: NotRequired[str | None]
    purpose: NotRequired[str | None]
    note: NotRequired[str | None]
    inputs: NotRequired[list[str]]
    consent: NotRequired[list[str]]
    tags: NotRequired[list[str]]
    use: NotRequired[str]  # the intended use it was made under, e.g. "U-3" (reelprov use ls)


class CutUsageJson(TypedDict):
    """Where a cut shows an asset: its track and record range."""

    cut: str
    track: str
    record_in: str
    record_out: str


class ReportFlagJson(FlagBaseJson):
    """A flag as a report row lists it, with the decision on it and its trail."""

    decided_by: str | None
    ref: str | None
    note: str | None
    decided_at: str | None
    decided_severity: str | None
    trail: list[FlagStepJson]


class ReportRowJson(TypedDict):
    """One asset in one section of the report."""

    asset: str
    path: str
    sha256: str
    media_type: str
    media_kind: str
    origin: Origin
    tools: list[str]
    stage: str
    tags: list[str]
    c2pa: C2paJson
    evidence: list[str]
    cut_usage: list[CutUsageJson]
    deleted: bool
    flags: list[ReportFlagJson]
    use: UseLinkJson | None


class ReportSectionJson(TypedDict):
    id: str
    title: str
    about: str
    rows: list[ReportRowJson]


class LedgerHeadJson(TypedDict):
    seq: int
    hash: str


class BlockerJson(FlagBaseJson):
    """One flag in the way of delivery, and the file it is on."""

    path: str


class ChangedJson(TypedDict):
    """A file that no longer holds the content the ledger (and its decisions) recorded."""

    path: str
    recorded: str
    now: str | None  # null: missing, unreadable or not a regular file
    why: str


class GateJson(TypedDict):
    """The delivery gate's verdict (report/gate.py): cleared only when nothing blocks."""

    level: str
    cleared: bool
    verdict: str
    ledger_head: LedgerHeadJson
    verified: bool
    problems: list[str]
    blocking_count: int
    blocking: list[BlockerJson]
    changed_count: int
    changed: list[ChangedJson]
    rehashed: int


class ProjectJson(TypedDict):
    name: str
    id: str
    root: str


class VerifyJson(TypedDict):
    """`reelprov verify --json`: the chain and its anchors checked."""

    ok: bool
    entries: int
    head: LedgerHeadJson
    first_bad_seq: int | None
    problems: list[str]
    anchors_checked: int


class UseStepJson(TypedDict):
    """One step of an intended use's trail: proposed, a decision, closed."""

    seq: int
    ts: str
    event: str
    by: str
    ref: NotRequired[str]
    note: NotRequired[str]


class UseFilesJson(TypedDict):
    """A use's live files: exact counts, and the first paths of each list (the report keeps 200)."""

    count: int
    in_cut_count: int
    after_close_count: int
    in_cut: list[str]
    out_of_cut: list[str]
    arrived_after_close: list[str]


class UseJson(TypedDict):
    """One intended use (`use ls --json`, `use show --json`, the report's register)."""

    id: str
    tool: str
    purpose: str
    area: str
    risk: str  # after the answers: low, review or escalate
    matrix_risk: str  # what the use case matrix alone says
    status: str
    decision: str
    scope: list[str]
    answers: dict[str, str]
    escalated_by: list[str]
    note: str | None
    proposed_by: str
    proposed_at: str
    decided_by: str | None
    ref: str | None
    decided_at: str | None
    closed_by: str | None
    closed_at: str | None
    trail: list[UseStepJson]
    files: NotRequired[UseFilesJson]


class InventoryRowJson(TypedDict):
    """One event of a cut's on-screen inventory that shows AI-origin or unknown-origin media (an
    image sequence is one row), with the state of its flags."""

    track: str
    record_in: str
    record_out: str
    clip: str | None
    path: str | None
    files: int
    frames: str | None  # the sequence's frames shown, as runs ("1001-1096")
    origins: dict[str, int]  # origin -> files
    flags: dict[str, int]  # "severity status" -> flags not resolved
    blocking: bool


class CutInventoryJson(TypedDict):
    name: str
    source: str
    imported_at: str
    events: int
    rows: list[InventoryRowJson]


class AnchoredJson(TypedDict):
    """Where a ledger head was anchored outside the database (`anchor`, every report)."""

    seq: int
    hash: str
    recorded_in: list[str]
    failed: list[str]


class ReportHeadJson(TypedDict):
    """A report's keys other than its sections: what it says before its rows are read."""

    schema_version: int
    project: ProjectJson
    generated_at: str
    ledger_head: LedgerHeadJson
    gate: GateJson
    verify: VerifyJson | None
    counts: dict[str, int]
    uses: list[UseJson]  # the register of intended uses (`reelprov use ls --json`)
    cuts: list[CutInventoryJson]  # written last, after the sections


class ReportJson(ReportHeadJson):
    """`reelprov report --format json`."""

    sections: list[ReportSectionJson]
