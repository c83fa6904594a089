"""What people decide: tags, stages, declarations, and approve / reject / waive on flags."""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reelprov.classify import ORIGINS
from reelprov.contract import FlagJson
from reelprov.errors import (
    ApprovalRefRequired,
    FlagStateError,
    ReelprovError,
    ReviewedOtherContent,
    UnknownFlag,
    WaiverReasonRequired,
)
from reelprov.events import (
    AssetRef,
    Decision,
    FlagDecided,
    FlagRef,
    FlagRevoked,
    PriorDecision,
    Revocation,
)
from reelprov.ledger import queries
from reelprov.names import one_line
from reelprov.policy import DECIDED, STATUSES, UNRESOLVED, Clearance
from reelprov.policy.engine import evaluate_asset, flag_changes
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.stages import STAGES, check_tags, tag_sources

DECISIONS = {"approve": "approved", "reject": "rejected", "waive": "waived"}
# `flags --status unresolved`: what blocks delivery
STATUS_GROUPS = {"unresolved": UNRESOLVED, "decided": DECIDED}
# The largest range of flag ids one command takes (10-19); a typo such as 10-1900000 is refused.
MAX_RANGE = 100_000


def _clearance(project: Project, what: str, by: str | None, ref: str | None) -> Clearance:
    return Clearance(what, by=by, ref=ref, required=project.cfg.require_ref_to_clear)


def tag(
    project: Project,
    assets: list[dict[str, Any]],
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
                b.append("tagged", a["id"], {**payload, **c.signature()})
                n += 1
    return n


def tags_kept(
    project: Project, assets: list[dict[str, Any]], tags: Sequence[str]
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
    assets: list[dict[str, Any]],
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
    payload: dict[str, Any] = {
        "origin": origin,
        "tool": tool,
        "note": note,
        "purpose": purpose,
        "inputs": list(inputs),
        "consent": list(consent),
        "by": by or project.actor,
        "ref": ref,
    }
    payload = {k: v for k, v in payload.items() if v not in (None, [])}
    with project.batch() as b:
        b.clearance = c
        for a in assets:
            # bound to the content declared about: a claim of human origin does not carry over to
            # other content the file gets later (see declaration_evidence)
            b.append("declared", a["id"], {**payload, "sha256": a["sha256"]})
    return len(assets)


# The shortest SHA-256 prefix a decision may name the reviewed content by (reports show 12 or more).
MIN_SHA_PREFIX = 8


def parse_flag_ids(tokens: Sequence[str]) -> list[int]:
    """Flag ids as typed: `17`, `10-19` (a range, both ends included), in any mix; in order, once each."""
    out: dict[int, None] = {}
    for tok in tokens:
        t = tok.strip()
        lo, dash, hi = t.partition("-")
        if t.isdigit():
            first = last = int(t)
        elif dash and lo.isdigit() and hi.isdigit():
            first, last = int(lo), int(hi)
            if first > last:
                raise UnknownFlag(
                    f"flag range {tok!r} is empty (it runs backwards); write the lower id first, e.g. {hi}-{lo}"
                )
            if last - first >= MAX_RANGE:
                raise UnknownFlag(
                    f"flag range {tok!r} spans {last - first + 1:,} ids; ranges take at most {MAX_RANGE:,}: "
                    "select a shot with --path instead"
                )
        else:
            raise UnknownFlag(
                f"{tok!r} is not a flag id; give ids (17), ranges (10-19) or --path PATTERN"
            )
        out.update(dict.fromkeys(range(first, last + 1)))
    return list(out)


def select_flags(
    project: Project,
    *,
    ids: Sequence[str] = (),
    path: str | None = None,
    rule: str | None = None,
    status: Sequence[str] = (),
    want: Sequence[str] = ("open",),
    action: str = "decide",
) -> list[dict[str, Any]]:
    """The flags a decision or revoke names: by ids and ranges, and/or by PATH (a root-relative file,
    folder, glob or frame pattern), narrowed by RULE and STATUS (default WANT: the statuses the
    action applies to). Every id given must exist; a selection that finds nothing is an error."""
    from reelprov.assets import path_matches

    for s_ in status:
        if s_ not in STATUSES and s_ not in STATUS_GROUPS:
            raise ReelprovError(
                f"unknown status {s_!r}; use {', '.join((*STATUSES, *STATUS_GROUPS))}"
            )
    statuses = {x for s_ in status for x in STATUS_GROUPS.get(s_, (s_,))}
    wanted = parse_flag_ids(ids) if ids else []
    if not wanted and path is None:
        raise UnknownFlag(
            f"no flags named: give flag ids (17, 10-19) or --path PATTERN to {action}"
        )
    pid = project.cfg.project_id
    rows = (
        queries.flags_by_id(project.reader, pid, wanted)
        if wanted
        else list(queries.flags_listed(project.reader, pid, []))
    )
    if wanted:
        found = {r["id"] for r in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (
                f" and {len(missing) - 5:,} more" if len(missing) > 5 else ""
            )
            raise UnknownFlag(f"no flag {shown}; list them with `reelprov flags`")
    out = []
    for r in rows:
        if path not in (None, ".") and not path_matches(r["path"], path):
            continue
        if rule is not None and r["rule"] != rule:
            continue
        if statuses and r["status"] not in statuses:
            continue
        if not wanted and not statuses and r["status"] not in want:
            continue  # a pattern picks the flags the action applies to; named ids are checked one by one
        out.append(r)
    if not out:
        what = " and ".join(
            x
            for x in (
                f"ids {' '.join(ids)}" if ids else "",
                f"path {path}" if path else "",
                f"rule {rule}" if rule else "",
                f"status {', '.join(status)}" if status else f"status {'/'.join(want)}",
            )
            if x
        )
        raise UnknownFlag(
            f"no flags to {action} match {what}; `reelprov flags` lists them with their status"
        )
    return out


def decide(
    project: Project,
    flag_ids: list[int] | list[dict[str, Any]],
    decision: str,
    *,
    by: str,
    ref: str | None,
    note: str | None,
    sha256: str | None = None,
) -> list[dict[str, Any]]:
    """approve / reject / waive flags, each bound to the content hash it judged and the severity it
    was judged at: all in one transaction, or none if any of them cannot be decided. SHA256 (or a
    prefix of it) is the content the reviewer looked at: a flag that judges other content by now
    is not decided."""
    status = DECISIONS[decision]
    if not by or not by.strip():
        raise ReelprovError("--by is required: say who decided")
    seen = _sha_prefix(sha256) if sha256 is not None else None
    ids = [f if isinstance(f, int) else f["id"] for f in flag_ids]
    out = []
    with project.batch() as b:
        for flag_id in dict.fromkeys(ids):
            flag = (
                b.proj.flag(flag_id) if 0 < flag_id < 2**63 else None
            )  # ids are positive 64-bit integers
            if flag is None:
                raise UnknownFlag(f"no flag {flag_id}; list them with `reelprov flags`")
            if flag["status"] != "open":
                hint = (
                    f"`reelprov revoke {flag_id}` reopens it first"
                    if flag["status"] in DECIDED
                    else "it reopens by itself if its condition comes back or the file changes"
                )
                raise FlagStateError(
                    f"flag {flag_id} is {flag['status']}, not open; only open flags can be decided ({hint})"
                )
            asset = b.proj.asset(flag["asset"])
            assert asset is not None
            if seen is not None and not flag["sha256"].startswith(seen):
                _other_content(project, flag, asset["path"], seen)
            if (
                status in ("approved", "waived")
                and flag["severity"] in ("escalate", "block")
                and not (ref and ref.strip())
            ):
                # an escalate flag needs written approval: waiving it must not be the way around that
                raise ApprovalRefRequired(
                    f"flag {flag_id} is {flag['severity']}: {'approving' if status == 'approved' else 'waiving'} it needs "
                    "--ref with the written approval reference"
                )
            if status == "waived" and not (note and note.strip()):
                raise WaiverReasonRequired(
                    f"flag {flag_id}: waiving it needs --note saying why no review is needed (e.g. --note 'temp only, never on screen')"
                )
            b.append(
                "decided",
                flag["asset"],
                {
                    "flag_id": flag_id,
                    "decision": status,
                    "by": by,
                    "ref": ref,
                    "note": note,
                    "sha256": flag["sha256"],
                    "severity": flag["severity"],
                },
            )
            updated = dict(b.proj.flag(flag_id) or {})
            b.emit(
                FlagDecided(
                    flag=FlagRef.of(updated),
                    asset=AssetRef.of(asset),
                    decision=Decision(decision=status, by=by, ref=ref, note=note),
                )
            )
            out.append(updated)
    return out


def revoke(
    project: Project,
    flag_ids: list[int] | list[dict[str, Any]],
    *,
    by: str,
    note: str | None,
    ref: str | None = None,
) -> list[dict[str, Any]]:
    """Take decisions back: each flag is open again (a `revoked` entry; the decision stays in its
    history and the report's audit). All in one transaction, or none."""
    if not by or not by.strip():
        raise ReelprovError("--by is required: say who revokes the decision")
    if not note or not note.strip():
        raise ReelprovError(
            "--note is required: say why the decision is taken back (e.g. --note 'consent withdrawn')"
        )
    ids = [f if isinstance(f, int) else f["id"] for f in flag_ids]
    out = []
    with project.batch() as b:
        for flag_id in dict.fromkeys(ids):
            flag = b.proj.flag(flag_id) if 0 < flag_id < 2**63 else None
            if flag is None:
                raise UnknownFlag(f"no flag {flag_id}; list them with `reelprov flags`")
            if flag["status"] not in DECIDED:
                raise FlagStateError(
                    f"flag {flag_id} is {flag['status']}: there is no decision on it to revoke"
                    + (
                        " (decide it with approve, reject or waive)"
                        if flag["status"] == "open"
                        else ""
                    )
                )
            asset = b.proj.asset(flag["asset"])
            assert asset is not None
            was = {
                "decision": flag["status"],
                "by": flag["decided_by"],
                "ref": flag["ref"],
                "at": flag["decided_at"],
            }
            b.append(
                "revoked",
                flag["asset"],
                {"flag_id": flag_id, "by": by, "note": note, "ref": ref, "was": was},
            )
            updated = dict(b.proj.flag(flag_id) or {})
            b.emit(
                FlagRevoked(
                    flag=FlagRef.of(updated),
                    asset=AssetRef.of(asset),
                    revoked=Revocation(by=by, note=note, ref=ref, was=PriorDecision(**was)),
                )
            )
            out.append(updated)
    return out


def _other_content(project: Project, flag: dict[str, Any], path: str, seen: str) -> None:
    """Refuse a decision on content other than the one reviewed, saying whether SEEN was an earlier
    version of the file (it changed since) or no version of it at all (a mistyped hash)."""
    earlier = any(
        str(e["payload"].get("sha256", "")).startswith(seen)
        for e in project.reader.entries(project.cfg.project_id, asset=flag["asset"])
    )
    if not earlier:
        raise ReviewedOtherContent(
            f"flag {flag['id']} on {one_line(path)}: no version of this file has content sha256 {seen[:12]}...; check the "
            f"hash you copied (this flag judges {flag['sha256'][:12]}, as `reelprov flags` shows)"
        )
    raise ReviewedOtherContent(
        f"flag {flag['id']} on {one_line(path)} now judges content sha256 {flag['sha256'][:12]}, not the {seen[:12]} "
        f"you reviewed: the file changed since; look at it again (`reelprov show {shlex.quote(path)}`) and "
        f"decide with --sha256 {flag['sha256'][:12]}"
    )


def _sha_prefix(text: str) -> str:
    sha = text.strip().lower()
    if not (MIN_SHA_PREFIX <= len(sha) <= 64) or any(c not in "0123456789abcdef" for c in sha):
        raise ReelprovError(
            f"--sha256 {text!r}: give the reviewed content's SHA-256 as hex, at least its first "
            f"{MIN_SHA_PREFIX} characters (`reelprov flags` and the report show it)"
        )
    return sha


def policy_check(project: Project, *, progress: Progress | None = None) -> dict[str, int]:
    """Re-evaluate every asset now (after a policy or settings change); deleted ones count too while a
    cut still uses them. Idempotent."""
    ids = list(queries.asset_ids(project.reader, project.cfg.project_id))
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


def list_flags(
    project: Project,
    *,
    status: list[str] | None = None,
    severity: str | None = None,
    where: str | None = None,
    rule: str | None = None,
) -> list[FlagJson]:
    """Flags by id; WHERE (a root-relative folder, file, glob or frame pattern) keeps those on
    assets it names. STATUS may name groups: unresolved (open, rejected), decided."""
    return list(iter_flags(project, status=status, severity=severity, where=where, rule=rule))


def iter_flags(
    project: Project,
    *,
    status: list[str] | None = None,
    severity: str | None = None,
    where: str | None = None,
    rule: str | None = None,
) -> Iterator[FlagJson]:
    """list_flags() one flag at a time, read in one snapshot (memory does not grow with the
    number of flags)."""
    from reelprov.assets import flag_json, path_matches
    from reelprov.policy.engine import severity_rank

    statuses = sorted({x for s_ in status or [] for x in STATUS_GROUPS.get(s_, (s_,))})
    rd = project.reader
    with rd.snapshot():
        for r in queries.flags_listed(rd, project.cfg.project_id, statuses):
            if severity and severity_rank(r["severity"]) < severity_rank(severity):
                continue
            if rule and r["rule"] != rule:
                continue
            if where and not path_matches(r["path"], where):
                continue
            j = flag_json(r)
            j["path"] = r["path"]
            yield j


def group_flags(flags: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """FLAGS (as list_flags gives them) as a person reads them: the flags of one rule on the frames
    of one image sequence, in the same state and decided the same way, as one item naming the
    sequence (`sh010_comp.####.exr`), how many frames and which, and the flag ids as runs. A frame
    whose flag differs keeps its own item; so does every flag on a file that is no frame."""
    from reelprov.cuts.frames import frame_parts, runs, runs_text

    out: list[Mapping[str, Any] | list[Mapping[str, Any]]] = []
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for f in flags:
        parts = frame_parts(f["path"])
        if parts is None:
            out.append(f)
            continue
        folder, prefix, digits, suffix = parts
        dec = f.get("decision") or {}
        key = (
            folder,
            prefix,
            suffix,
            len(digits),
            f["rule"],
            f["severity"],
            f["status"],
            dec.get("by"),
            dec.get("ref"),
            dec.get("severity"),
        )
        if key in groups:
            groups[key].append(f)
        else:
            groups[key] = [f]
            out.append(groups[key])
    items: list[Mapping[str, Any]] = []
    for g in out:
        if not isinstance(g, list) or len(g) == 1:
            items.append(g if not isinstance(g, list) else g[0])
            continue
        folder, prefix, digits, suffix = frame_parts(g[0]["path"])  # type: ignore[misc]  # grouped frames only
        numbers = runs(int(frame_parts(f["path"])[2]) for f in g)  # type: ignore[index]
        label = f"{prefix}{'#' * len(digits)}{suffix}"
        items.append(
            {
                **g[0],
                "path": f"{folder}/{label}" if folder else label,
                "sha256": None,
                "ids": ",".join(runs(f["id"] for f in g)),
                "frames": f"{len(g):,} frames {runs_text(numbers, 4)}",
                "count": len(g),
            }
        )
    return items
