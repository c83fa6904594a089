"""Building the pre-delivery report without holding the project in memory: one pass over every
asset decides the sections, the counts and the order of their rows (keeping a few values per
listed asset); each section's rows are then fetched a chunk at a time as they are written."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reelprov.classify import AI_ORIGINS, ANY_AI
from reelprov.contract import (
    CutInventoryJson,
    CutUsageJson,
    InventoryRowJson,
    ReportFlagJson,
    ReportHeadJson,
    ReportJson,
    ReportRowJson,
    ReportSectionJson,
)
from reelprov.cuts.frames import frame_numbers, runs, runs_text
from reelprov.cuts.places import CutPlaces, event_asset_ids
from reelprov.ledger import queries
from reelprov.ledger.records import AssetBrief, AssetState, CutState, FlagState, UseState
from reelprov.mediatypes import media_kind
from reelprov.policy import CLEARED, UNRESOLVED
from reelprov.policy.engine import severity_rank
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.review.assets import flag_base
from reelprov.spill import SortedSpill
from reelprov.stages import stage_of, tags_of
from reelprov.uses.link import link

SCHEMA_VERSION = 2
CHUNK = 1000  # assets read at a time, in either pass
USE_FILES_KEPT = 200  # file paths the report lists per intended use, in cut and not (counts exact)
SECTIONS = (
    (
        "blocking",
        "Blocking delivery",
        "Open flags at escalate or block: they need written approval (with a reference) or the element replaced.",
    ),
    (
        "rejected",
        "Rejected: must be replaced",
        "Rejected flags: the element may not go to screen as it is. They block delivery until it is replaced or "
        "taken off screen, or the decision is revoked.",
    ),
    ("open_reviews", "Open reviews", "Open review flags: someone must look before delivery."),
    (
        "approved",
        "Approved and waived",
        "Every approval and waiver in force, whatever the file's origin: who, reference, date, the severity and "
        "the content (SHA-256) decided on.",
    ),
    (
        "audit",
        "Audit: closed by a change, lowered, or decisions no longer in force",
        "Flags resolved by a change rather than a decision (a tag removed, a stage or declaration changed, the "
        "policy edited, the file deleted or taken out of the cut), flags whose severity was lowered, and decisions "
        "revoked or reopened: who made each change and when.",
    ),
    (
        "ai_in_temp",
        "AI in temporary media",
        "Recorded for the studio's GenAI report; not headed to screen.",
    ),
    (
        "integrity",
        "Integrity problems",
        "Content Credentials that do not validate, and ledger verification failures.",
    ),
    (
        "unknown_on_screen",
        "Unknown origin on screen",
        "Media in a cut or final with no evidence either way: confirm their origin.",
    ),
    (
        "other_files",
        "Documents and other files headed to screen",
        "Not media (PDF, text, timelines, project and checksum files) in final folders or cuts: listed apart; no "
        "origin verdict applies to them.",
    ),
)


def blocking_flags(flags: Sequence[FlagState], level: str) -> list[FlagState]:
    """Unresolved (open or rejected) flags at or above LEVEL (the gate's own rule, report.gate.blocks)."""
    from reelprov.report.gate import blocks

    return [f for f in flags if blocks(f["status"], f["severity"], level)]


def audited(flag: FlagState) -> bool:
    """Whether a flag belongs in the audit: resolved by a change, lowered, or a decision on it no
    longer stands (revoked, or reopened by a change of content or severity)."""
    if flag["status"] == "resolved":
        return True
    trail = flag.get("trail") or []
    return any(
        t["event"] in ("revoked", "severity")
        or (t["event"] == "reopened" and t.get("was") != "resolved")
        for t in trail
    )


def _plan(a: AssetBrief, stage: str, af: list[FlagState]) -> list[tuple[str, list[FlagState]]]:
    """Which sections list asset A (stage STAGE, flags AF), each with the flags it shows there."""
    live = [f for f in af if f["status"] != "resolved"]
    out: list[tuple[str, list[FlagState]]] = []
    if any(
        f["status"] == "open" and severity_rank(f["severity"]) >= severity_rank("escalate")
        for f in live
    ):
        out.append(("blocking", live))
    elif any(f["status"] == "open" for f in live):
        out.append(("open_reviews", live))
    if rejected := [f for f in live if f["status"] == "rejected"]:
        out.append(("rejected", rejected))
    if decided := [f for f in live if f["status"] in CLEARED]:
        out.append(("approved", decided))
    if audit := [f for f in af if audited(f)]:
        out.append(("audit", audit))
    if a["deleted"] and not a["cuts"]:
        return out  # gone from the project: only what was decided or changed about it
    on_screen = bool(a["cuts"]) or stage == "final"
    if a["origin"] in ANY_AI and stage == "temp" and not a["cuts"]:
        out.append(("ai_in_temp", live))
    if a["c2pa_state"] == "invalid":
        out.append(("integrity", live))
    kind = media_kind(a["media_type"])
    if on_screen and kind in ("document", "other"):
        out.append(("other_files", live))
    elif a["origin"] == "unknown" and on_screen:
        out.append(("unknown_on_screen", live))
    return out


@dataclass
class Report:
    """What a report says, its rows aside: header, counts, verdict, cut inventories, and for each
    section the assets it lists in order (ids only); `rows(section)` reads those rows as written."""

    project: Project
    head: ReportHeadJson
    # section -> its rows' sort keys (worst severity first, then path; the asset id last), sorted
    # on disk past 10,000 keys (reelprov.spill): memory stays flat at any size
    order: dict[str, SortedSpill]
    places: CutPlaces = field(default_factory=lambda: CutPlaces([]))  # where cuts show each asset
    uses: dict[str, UseState] = field(default_factory=dict)  # intended uses by id

    def rows(self, section: str) -> Iterator[ReportRowJson]:
        """SECTION's rows, each asset fetched (with its flags) a chunk at a time."""
        rd, pid, cfg = self.project.reader, self.project.cfg.project_id, self.project.cfg
        keys = iter(self.order[section])
        while chunk := [aid for _, _, aid in itertools.islice(keys, CHUNK)]:
            with rd.snapshot():
                full = {r["id"]: r for r in queries.assets_by_id(rd, pid, chunk)}
                flags: dict[str, list[FlagState]] = {}
                for f in sorted(
                    queries.flags_of(rd, pid, chunk, chunk=CHUNK), key=lambda f: f["id"]
                ):
                    flags.setdefault(f["asset"], []).append(f)
            for aid in chunk:
                a = full[aid]
                stage = stage_of(a, cfg)
                sel = dict(_plan(a, stage, flags.get(aid, []))).get(section, [])
                usage = [
                    CutUsageJson(
                        cut=cut,
                        track=p["track"],
                        record_in=p["record_in"],
                        record_out=p["record_out"],
                    )
                    for cut, p in self.places.of(aid)
                ]
                yield _row(a, stage, tags_of(a, cfg), usage, sel, self.uses)

    def to_json(self) -> ReportJson:
        """The whole report as one JSON object (rows included: for small projects and tests)."""
        sections = [
            ReportSectionJson(id=k, title=t, about=about, rows=list(self.rows(k)))
            for k, t, about in SECTIONS
        ]
        h = self.head
        return {
            "schema_version": h["schema_version"],
            "project": h["project"],
            "generated_at": h["generated_at"],
            "ledger_head": h["ledger_head"],
            "gate": h["gate"],
            "verify": h["verify"],
            "counts": h["counts"],
            "uses": h["uses"],
            "sections": sections,
            "cuts": h["cuts"],
        }


def plan(
    project: Project,
    *,
    verify: bool = True,
    level: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """The report's first pass: every asset once, a chunk at a time, with its flags."""
    from reelprov.ledger.verify import verify_project
    from reelprov.report.gate import DEFAULT_LEVEL, check, check_level

    level = check_level(level or DEFAULT_LEVEL)
    cfg, rd, pid = project.cfg, project.reader, project.cfg.project_id
    keyed = {k: SortedSpill() for k, _, _ in SECTIONS}
    counts = dict.fromkeys(
        (
            "assets",
            "ai_assets",
            "ai_headed_to_screen",
            "flags_open",
            "flags_rejected",
            "flags_blocking",
            "flags_approved",
            "flags_audited",
        ),
        0,
    )
    # what the inventories need of the assets cuts show: origin, and (severity, status) of each flag
    shown: dict[str, str] = {}
    inventory_flags: dict[str, list[tuple[str, str]]] = {}
    with rd.snapshot():
        head_seq, head_hash = rd.head(pid)
        cuts = queries.cuts(rd, pid)
        uses = {u["id"]: u for u in queries.uses(rd, pid)}
        places = CutPlaces((c["name"], c["events"]) for c in cuts)
        after = ""
        while True:
            batch = queries.assets_brief_after(rd, pid, after, CHUNK)
            if not batch:
                break
            after = batch[-1]["id"]
            flags: dict[str, list[FlagState]] = {}
            for f in queries.flags_of(rd, pid, [a["id"] for a in batch], chunk=CHUNK):
                flags.setdefault(f["asset"], []).append(f)
            for a in batch:
                af = sorted(flags.get(a["id"], []), key=lambda f: f["id"])
                stage = stage_of(a, cfg)
                _count(counts, a, stage, af)
                for sec, sel in _plan(a, stage, af):
                    worst = max(
                        (severity_rank(f["severity"]) for f in sel if f["status"] in UNRESOLVED),
                        default=-1,
                    )
                    keyed[sec].add((-worst, a["path"], a["id"]))
                if a["id"] in places:
                    shown[a["id"]] = a["origin"]
                    inventory_flags[a["id"]] = [(f["severity"], f["status"]) for f in af]
            if progress is not None:
                progress("reading the project", counts["assets"], counts["assets"])
    ver = verify_project(project, progress=progress) if verify else None
    # Without verification the verdict cannot clear: re-hashing every approved and AI file (the
    # cost of reading them) would change nothing it says.
    verdict = check(project, level, verify=False, verified=ver, rehash=verify, progress=progress)
    counts.update({f"section_{k}": len(v) for k, v in keyed.items()})
    from reelprov.uses.register import files_by_use, use_json

    files = files_by_use(project, uses, keep=USE_FILES_KEPT)
    counts["uses"] = len(uses)
    head = ReportHeadJson(
        schema_version=SCHEMA_VERSION,
        project={"name": cfg.name, "id": cfg.project_id, "root": str(cfg.root)},
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        ledger_head={"seq": head_seq, "hash": head_hash},
        gate=verdict.to_json(),
        verify=ver.to_json() if ver else None,
        counts=counts,
        # the register of intended uses: every use, its risk, the answers that escalated it, its
        # status and reference, and its files in and out of the cut
        uses=[use_json(u, files[u["id"]]) for u in uses.values()],
        cuts=[_inventory(c, shown, inventory_flags) for c in cuts],
    )
    return Report(project, head, keyed, places, uses)


def _count(counts: dict[str, int], a: AssetBrief, stage: str, af: list[FlagState]) -> None:
    on_screen = bool(a["cuts"]) or stage == "final"
    if not a["deleted"]:
        counts["assets"] += 1
        counts["ai_assets"] += a["origin"] in ANY_AI
    if a["origin"] in AI_ORIGINS and on_screen and (not a["deleted"] or a["cuts"]):
        counts["ai_headed_to_screen"] += 1
    for f in af:
        counts["flags_open"] += f["status"] == "open"
        counts["flags_rejected"] += f["status"] == "rejected"
        counts["flags_approved"] += f["status"] in CLEARED
        counts["flags_audited"] += audited(f)
    counts["flags_blocking"] += len(blocking_flags(af, "escalate"))


def _flag(f: FlagState) -> ReportFlagJson:
    return ReportFlagJson(
        **flag_base(f),
        decided_by=f.get("decided_by"),
        ref=f.get("ref"),
        note=f.get("note"),
        decided_at=f.get("decided_at"),
        decided_severity=f.get("decided_severity"),
        trail=f.get("trail") or [],
    )


def _row(
    a: AssetState,
    stage: str,
    tags: list[str],
    cuts: list[CutUsageJson],
    flags: list[FlagState],
    uses: Mapping[str, UseState],
) -> ReportRowJson:
    return {
        "asset": a["id"],
        "path": a["path"],
        "sha256": a["sha256"],
        "media_type": a["media_type"],
        "media_kind": media_kind(a["media_type"]),
        "origin": a["origin"],
        "tools": a["tools"],
        "stage": stage,
        "tags": tags,
        "c2pa": {"present": a["c2pa_present"], "state": a["c2pa_state"]},
        "evidence": [
            f"{e['source']}: {e.get('detail', '')}"
            for e in a["evidence"]
            if e.get("kind") != "ingredient"
        ][:6]
        + [
            f"declared by {d.get('by', '?')}: {d.get('tool') or ''} {d.get('note') or ''}".strip()
            for d in a["declarations"]
        ],
        "cut_usage": cuts,
        "deleted": bool(a["deleted"]),  # gone from the project (still in a cut: media offline)
        "flags": [_flag(f) for f in flags],
        # the intended use the file belongs to, with that use's approval reference
        "use": link(a, uses).to_json(),
    }


def _inventory(
    cut: CutState, origins_of: dict[str, str], flags: dict[str, list[tuple[str, str]]]
) -> CutInventoryJson:
    """A cut's on-screen inventory: in timeline order, every event that shows an AI-origin or
    unknown-origin asset, an image sequence as one row (the shot), with the state of its flags."""
    rows: list[InventoryRowJson] = []
    for e in sorted(cut["events"], key=lambda e: (e["record_in"], e["track"])):
        ids = event_asset_ids(e)
        origins: dict[str, int] = {}
        for aid in ids:
            if (o := origins_of.get(aid)) is not None:
                origins[o] = origins.get(o, 0) + 1
        if not any(o in ANY_AI or o == "unknown" for o in origins):
            continue
        states: dict[str, int] = {}
        for aid in ids:
            for severity, status in flags.get(aid, []):
                if status != "resolved":
                    key = f"{severity} {status}"
                    states[key] = states.get(key, 0) + 1
        seq = e.get("sequence")
        rows.append(
            {
                "track": e["track"],
                "record_in": e["record_in"],
                "record_out": e["record_out"],
                "clip": e.get("clip"),
                "path": seq["path"] if seq else e.get("path"),
                "files": len(ids),
                "frames": runs_text(runs(frame_numbers(seq)), 10) if seq else None,
                "origins": origins,
                "flags": states,
                "blocking": any(
                    k.split()[1] in UNRESOLVED
                    and severity_rank(k.split()[0]) >= severity_rank("escalate")
                    or k.endswith(" rejected")
                    for k in states
                ),
            }
        )
    return {
        "name": cut["name"],
        "source": cut["source"],
        "imported_at": cut["imported_at"],
        "events": len(cut["events"]),
        "rows": rows,
    }
