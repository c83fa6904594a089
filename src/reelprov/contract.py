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


class FlagJson(TypedDict):
    id: int
    rule: str
    area: str
    severity: str
    status: str
    reason: str
    sha256: str
    decision: NotRequired[DecisionJson]  # present once someone decided it
    path: NotRequired[str]  # `flags --json`: the file it is on
    trail: NotRequired[list[dict[str, Any]]]  # `flags ID --json`: every step, who and when


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
    cut_usage: list[dict[str, Any]]
    deleted: bool
    flags: list[dict[str, Any]]
    use: UseLinkJson | None


class ReportSectionJson(TypedDict):
    id: str
    title: str
    about: str
    rows: list[ReportRowJson]


class LedgerHeadJson(TypedDict):
    seq: int
    hash: str


class GateJson(TypedDict):
    """The delivery gate's verdict (report/gate.py): cleared only when nothing blocks."""

    level: str
    cleared: bool
    verdict: str
    ledger_head: LedgerHeadJson
    verified: bool
    problems: list[str]
    blocking_count: int
    blocking: list[dict[str, Any]]
    changed_count: int
    changed: list[dict[str, Any]]
    rehashed: int


class ProjectJson(TypedDict):
    name: str
    id: str
    root: str


class ReportJson(TypedDict):
    """`reelprov report --format json`."""

    schema_version: int
    project: ProjectJson
    generated_at: str
    ledger_head: LedgerHeadJson
    gate: GateJson
    verify: dict[str, Any] | None
    counts: dict[str, int]
    uses: list[dict[str, Any]]  # the register of intended uses (`reelprov use ls --json`)
    sections: list[ReportSectionJson]
    cuts: list[dict[str, Any]]
