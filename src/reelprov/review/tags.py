"""Tags, stage overrides and origin declarations: what people say about a file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from reelprov.classify import ORIGINS
from reelprov.errors import (
    ReelprovError,
)
from reelprov.policy import STAGES, Clearance
from reelprov.project import Project
from reelprov.stages import check_tags, tag_sources

if TYPE_CHECKING:
    from reelprov.ledger import entries
    from reelprov.ledger.records import AssetState


def _clearance(project: Project, what: str, by: str | None, ref: str | None) -> Clearance:
    return Clearance(what, by=by, ref=ref, required=project.cfg.require_ref_to_clear)


def tag(
    project: Project,
    assets: list[AssetState],
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    stage: str | None = None,
    clear_stage: bool = False,
    by: str | None = None,
    ref: str | None = None,
) -> int:
    """Add/remove tags and set a stage on each asset; one `tagged` entry each. Returns entries written.
    A change that would resolve an escalate or block flag needs BY and REF (ClearanceRequired, nothing
    recorded) unless the project says otherwise; either way the resolution names the change and who."""
    check_tags([*add, *remove])
    if stage is not None and stage not in STAGES:
        raise ReelprovError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
    what = "; ".join(
        x
        for x in (
            f"adding the tag {', '.join(add)}" if add else "",
            f"removing the tag {', '.join(remove)}" if remove else "",
            f"setting the stage to {stage}" if stage else "",
            "going back to the path rules' stage" if clear_stage else "",
        )
        if x
    )
    c = _clearance(project, what, by, ref)
    n = 0
    with project.batch() as b:
        b.clearance = c
        for a in assets:
            cur = b.proj.asset(a["id"])
            assert cur is not None
            payload: entries.Tagged = {}
            to_add = [t for t in add if t not in cur["tags"]]
            to_remove = [t for t in remove if t in cur["tags"]]
            if to_add:
                payload["add"] = to_add
            if to_remove:
                payload["remove"] = to_remove
            if stage is not None and cur["stage_override"] != stage:
                payload["stage"] = stage
            if clear_stage and cur["stage_override"] is not None:
                payload["stage"] = None
            if payload:
                b.append("tagged", a["id"], {**payload, **c.signature()})
                n += 1
    return n


def tags_kept(
    project: Project, assets: list[AssetState], tags: Sequence[str]
) -> dict[tuple[str, str], int]:
    """After an untag: which of TAGS still apply to ASSETS, and where from (a tag rule, a sidecar),
    counted by (tag, source)."""
    out: dict[tuple[str, str], int] = {}
    for a in assets:
        for t in tags:
            for source in tag_sources(a, t, project.cfg):
                out[(t, source)] = out.get((t, source), 0) + 1
    return out


# What a declaration may say a file is: `unknown` is what reelprov says when nobody has.
DECLARABLE = tuple(o for o in ORIGINS if o != "unknown")


def declare(
    project: Project,
    assets: list[AssetState],
    *,
    origin: str,
    tool: str | None,
    note: str | None,
    purpose: str | None = None,
    inputs: Sequence[str] = (),
    consent: Sequence[str] = (),
    by: str | None = None,
    ref: str | None = None,
) -> int:
    if origin not in DECLARABLE:
        raise ReelprovError(f"cannot declare origin {origin!r}; use one of {', '.join(DECLARABLE)}")
    c = _clearance(project, f"declaring {origin}", by, ref)
    payload: entries.Declared = {"origin": origin, "by": by or project.actor}
    if tool is not None:
        payload["tool"] = tool
    if note is not None:
        payload["note"] = note
    if purpose is not None:
        payload["purpose"] = purpose
    if ref is not None:
        payload["ref"] = ref
    if inputs:
        payload["inputs"] = list(inputs)
    if consent:
        payload["consent"] = list(consent)
    with project.batch() as b:
        b.clearance = c
        for a in assets:
            # bound to the content declared about: a claim of human origin does not carry over to
            # other content the file gets later (see declaration_evidence)
            b.append("declared", a["id"], {**payload, "sha256": a["sha256"]})
    return len(assets)
