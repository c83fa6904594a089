"""The projection's rows as typed records: one asset, one flag, as the ledger's replay keeps them
in memory and the tables (models.py, the single source of the schema) store them. A test checks
their keys against the tables' columns, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any, TypedDict

from reelprov.extract.plugin import Evidence


class AssetState(TypedDict):
    """One media file's identity and current state (models.Asset)."""

    id: str
    project: str
    path: str
    path_key: str
    sha256: str
    size: int
    media_type: str
    deleted: bool
    origin: str
    tools: list[str]
    evidence: list[Evidence]
    evidence_sha256: str | None
    c2pa_present: bool
    c2pa_state: str
    tags: list[str]
    stage_override: str | None
    declarations: list[dict[str, Any]]
    cuts: list[str]
    first_seq: int
    last_seq: int


class FlagState(TypedDict):
    """One review item raised by the policy, bound to the content it judged (models.Flag)."""

    project: str
    id: int
    asset: str
    rule: str
    area: str
    severity: str
    status: str
    reason: str
    sha256: str
    decided_by: str | None
    ref: str | None
    note: str | None
    decided_at: str | None
    raised_seq: int
    last_seq: int
    decided_severity: str | None
    trail: list[dict[str, Any]]
