"""What people decide: tags, stages, declarations, and approve / reject / waive on flags."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import Any

from reelprov.classify import ORIGINS
from reelprov.errors import (
    ApprovalRefRequired,
    FlagStateError,
    ReelprovError,
    ReviewedOtherContent,
    UnknownFlag,
    WaiverReasonRequired,
)
from reelprov.names import one_line
from reelprov.policy.engine import evaluate_asset, flag_changes
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.stages import STAGES, check_tags, tag_sources

DECISIONS = {"approve": "approved", "reject": "rejected", "waive": "waived"}


def tag(project: Project, assets: list[dict[str, Any]], *, add: Sequence[str] = (), remove: Sequence[str] = (),
        stage: str | None = None, clear_stage: bool = False) -> int:
    """Add/remove tags and set a stage on each asset; one `tagged` entry each. Returns entries written."""
    check_tags([*add, *remove])
    if stage is not None and stage not in STAGES:
        raise ReelprovError(f"unknown stage {stage!r}; use one of {', '.join(STAGES)}")
    n = 0
    with project.batch() as b:
        for a in assets:
            cur = b.proj.asset(a["id"])
            assert cur is not None
            payload: dict[str, Any] = {}
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
                b.append("tagged", a["id"], payload)
                n += 1
    return n


def tags_kept(project: Project, assets: list[dict[str, Any]], tags: Sequence[str]) -> dict[tuple[str, str], int]:
    """After an untag: which of TAGS still apply to ASSETS, and where from (a tag rule, a sidecar),
    counted by (tag, source)."""
    out: dict[tuple[str, str], int] = {}
    for a in assets:
        for t in tags:
            for source in tag_sources(a, t, project.cfg):
                out[(t, source)] = out.get((t, source), 0) + 1
    return out


def declare(project: Project, assets: list[dict[str, Any]], *, origin: str, tool: str | None, note: str | None,
            purpose: str | None = None, inputs: Sequence[str] = (), consent: Sequence[str] = (),
            by: str | None = None) -> int:
    if origin not in ORIGINS:
        raise ReelprovError(f"unknown origin {origin!r}; use one of {', '.join(ORIGINS)}")
    payload: dict[str, Any] = {"origin": origin, "tool": tool, "note": note, "purpose": purpose,
                               "inputs": list(inputs), "consent": list(consent), "by": by or project.actor}
    payload = {k: v for k, v in payload.items() if v not in (None, [])}
    with project.batch() as b:
        for a in assets:
            # bound to the content declared about: a claim of human origin does not carry over to
            # other content the file gets later (see declaration_evidence)
            b.append("declared", a["id"], {**payload, "sha256": a["sha256"]})
    return len(assets)


# The shortest SHA-256 prefix a decision may name the reviewed content by (reports show 12 or more).
MIN_SHA_PREFIX = 8


def decide(project: Project, flag_ids: list[int], decision: str, *, by: str, ref: str | None,
           note: str | None, sha256: str | None = None) -> list[dict[str, Any]]:
    """approve / reject / waive flags, each bound to the content hash it judged: all in one
    transaction, or none if any of them cannot be decided. SHA256 (or a prefix of it) is the
    content the reviewer looked at: a flag that judges other content by now is not decided."""
    status = DECISIONS[decision]
    if not by or not by.strip():
        raise ReelprovError("--by is required: say who decided")
    seen = _sha_prefix(sha256) if sha256 is not None else None
    out = []
    with project.batch() as b:
        for flag_id in dict.fromkeys(flag_ids):
            flag = b.proj.flag(flag_id) if 0 < flag_id < 2**63 else None  # ids are positive 64-bit integers
            if flag is None:
                raise UnknownFlag(f"no flag {flag_id}; list them with `reelprov flags`")
            if flag["status"] != "open":
                raise FlagStateError(
                    f"flag {flag_id} is {flag['status']}, not open; only open flags can be decided "
                    f"(it reopens by itself if the file changes)")
            if seen is not None and not flag["sha256"].startswith(seen):
                path = (b.proj.asset(flag["asset"]) or {}).get("path", "?")
                raise ReviewedOtherContent(
                    f"flag {flag_id} on {one_line(path)} now judges content sha256 {flag['sha256'][:12]}, not the {seen[:12]} "
                    f"you reviewed: the file changed since; look at it again (`reelprov show {shlex.quote(path)}`) and "
                    f"decide with --sha256 {flag['sha256'][:12]}")
            if status in ("approved", "waived") and flag["severity"] in ("escalate", "block") and not (ref and ref.strip()):
                # an escalate flag needs written approval: waiving it must not be the way around that
                raise ApprovalRefRequired(
                    f"flag {flag_id} is {flag['severity']}: {'approving' if status == 'approved' else 'waiving'} it needs "
                    "--ref with the written approval reference")
            if status == "waived" and not (note and note.strip()):
                raise WaiverReasonRequired(
                    f"flag {flag_id}: waiving it needs --note saying why no review is needed (e.g. --note 'temp only, never on screen')")
            asset = b.proj.asset(flag["asset"])
            assert asset is not None
            b.append("decided", flag["asset"], {"flag_id": flag_id, "decision": status, "by": by, "ref": ref,
                                                "note": note, "sha256": flag["sha256"]})
            updated = dict(b.proj.flag(flag_id) or {})
            b.emit("flag-decided", {"flag": {k: updated.get(k) for k in ("id", "rule", "area", "severity", "status", "reason", "sha256")},
                                    "asset": {"id": asset["id"], "path": asset["path"]},
                                    "decision": {"decision": status, "by": by, "ref": ref, "note": note}})
            out.append(updated)
    return out


def _sha_prefix(text: str) -> str:
    sha = text.strip().lower()
    if not (MIN_SHA_PREFIX <= len(sha) <= 64) or any(c not in "0123456789abcdef" for c in sha):
        raise ReelprovError(f"--sha256 {text!r}: give the reviewed content's SHA-256 as hex, at least its first "
                            f"{MIN_SHA_PREFIX} characters (`reelprov flags` and the report show it)")
    return sha


def policy_check(project: Project, *, progress: Progress | None = None) -> dict[str, int]:
    """Re-evaluate every asset now (after a policy or settings change); deleted ones count too while a
    cut still uses them. Idempotent."""
    ids = [r["id"] for r in project.reader.iter("SELECT id FROM asset WHERE project = :p", p=project.cfg.project_id)]
    counts = {"assets": len(ids), "raised": 0, "reopened": 0, "resolved": 0, "updated": 0}
    for i in range(0, len(ids), 500):
        if progress is not None:
            progress("evaluate", i, len(ids))
        with project.batch(evaluate=False) as b:
            b.preload_flags(ids[i : i + 500])
            for aid in ids[i : i + 500]:
                evaluate_asset(project, b, aid)
            for key, n in flag_changes(b.entries).items():
                counts[key] += n
    if progress is not None:
        progress("evaluate", len(ids), len(ids))
    return counts


def list_flags(project: Project, *, status: list[str] | None = None, severity: str | None = None,
               where: str | None = None) -> list[dict[str, Any]]:
    """Flags by id; WHERE (a root-relative folder, file or glob) keeps those on assets it names."""
    from reelprov.assets import flag_json, path_matches
    from reelprov.policy.engine import severity_rank

    rows = project.reader.rows(
        "SELECT flag.*, asset.path FROM flag JOIN asset ON asset.id = flag.asset AND asset.project = flag.project"
        " WHERE flag.project = :p AND (:any_status OR flag.status IN (SELECT value FROM json_each(:statuses)))"
        " ORDER BY flag.id", p=project.cfg.project_id, any_status=not status, statuses=list(status or []))
    out = []
    for r in rows:
        if severity and severity_rank(r["severity"]) < severity_rank(severity):
            continue
        if where and not path_matches(r["path"], where):
            continue
        j = flag_json(r)
        j["path"] = r["path"]
        out.append(j)
    return out
