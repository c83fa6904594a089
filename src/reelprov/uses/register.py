"""The register of intended uses: propose, approve, reject, revoke and close, each one ledger entry
(which names no asset) and, in the same transaction, the policy evaluated again on every file of
AI origin (a use proposed covers files already there; one rejected or revoked uncovers them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reelprov.errors import ApprovalRefRequired, ReelprovError, UseError
from reelprov.events import Decision, UseClosed, UseDecided, UseProposed, UseRef
from reelprov.globs import any_matches
from reelprov.ledger import queries
from reelprov.ledger.records import UseState
from reelprov.names import one_line
from reelprov.project import Project
from reelprov.uses import USE_ID_PREFIX, status_of
from reelprov.uses.link import AI_ORIGINS, UseLink, link
from reelprov.uses.matrix import assess, load_matrix

if TYPE_CHECKING:
    from reelprov.contract import UseJson
    from reelprov.ledger import Batch

MAX_TOOL = 200
MAX_SCOPE = 50  # patterns a use may name
MAX_NOTE = 4000

# What each decision needs the use to be now, and what it makes it.
_FROM = {
    "approved": ("proposed", "recorded"),
    "rejected": ("proposed", "recorded"),
    "revoked": ("approved", "recorded"),
}


@dataclass
class Proposed:
    """What `use propose` recorded, and what the caller should hear about."""

    use: UseState
    warnings: list[str] = field(default_factory=list)


def load_uses(project: Project) -> dict[str, UseState]:
    """Every intended use of the project by id, in the order proposed."""
    return {u["id"]: u for u in queries.uses(project.reader, project.cfg.project_id)}


def get_use(project: Project, use_id: str) -> UseState:
    use = load_uses(project).get(use_id.strip().upper())
    if use is None:
        raise UseError(f"no intended use {use_id!r}; list them with `reelprov use ls`")
    return use


def _required(value: str | None, what: str, example: str) -> str:
    if value is None or not value.strip():
        raise UseError(f"{{{what}}} is required: {example}", inputs=(what,))
    return value.strip()


def _reevaluate(b: Batch, project: Project) -> None:
    """Every file of AI origin is evaluated again at commit (only those can link to a use)."""
    b.touched_assets.update(
        queries.asset_ids_of_origin(b.conn, project.cfg.project_id, list(AI_ORIGINS))
    )


def propose(
    project: Project,
    *,
    tool: str | None,
    purpose: str | None,
    scope: list[str],
    by: str | None,
    answers: dict[str, str],
    note: str | None = None,
) -> Proposed:
    """Record a new intended use. ANSWERS: the five principles (uses.PRINCIPLES), each yes, no or
    unsure; any other than yes makes the use escalate, whatever the matrix says."""
    tool = _required(tool, "tool", "name the GenAI tool the use will run (e.g. 'Runway Gen-4')")
    by = _required(by, "by", "say who proposes the use")
    p = load_matrix(project.cfg).purpose(_required(purpose, "purpose", "name its purpose"))
    if len(tool) > MAX_TOOL:
        raise UseError(f"a tool name of {len(tool)} characters; at most {MAX_TOOL}")
    scope = [s.strip().strip("/") for s in scope if s.strip()]
    if not scope:
        raise UseError(
            "{scope} is required: the folders or patterns its files will arrive under "
            "(e.g. 'vfx/sh020/**')",
            inputs=("scope",),
        )
    if len(scope) > MAX_SCOPE:
        raise UseError(f"{len(scope)} scope patterns; at most {MAX_SCOPE}")
    if note is not None and len(note) > MAX_NOTE:
        raise UseError(f"a note of {len(note)} characters; at most {MAX_NOTE}")
    risk, escalated = assess(p, answers)
    warnings: list[str] = []
    if not _scope_has_files(project, scope):
        warnings.append(
            f"scope {', '.join(one_line(s) for s in scope)} matches no recorded file yet "
            "(accepted: its files may come later)"
        )
    with project.batch() as b:
        number = max((u["number"] for u in b.proj.all_uses().values()), default=0) + 1
        uid = f"{USE_ID_PREFIX}{number}"
        b.append(
            "use_proposed",
            None,
            {
                "use_id": uid,
                "tool": tool,
                "purpose": p.name,
                "area": p.area,
                "risk": risk,
                "matrix_risk": p.risk,
                "scope": scope,
                "answers": answers,
                "escalated": escalated,
                "by": by,
                "note": note,
            },
        )
        _reevaluate(b, project)
        use = b.proj.all_uses()[uid].copy()
        b.emit(UseProposed(use=UseRef.of(use), by=by, escalated=list(escalated)))
    return Proposed(use, warnings)


def _scope_has_files(project: Project, scope: list[str]) -> bool:
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        for s in scope:
            # a pattern without "/" names a file in any folder: no prefix narrows it
            literal = queries.literal_prefix(s) if "/" in s else ""
            prefix = literal if literal and queries.prefix_usable(rd, literal) else None
            for a in queries.assets(rd, pid, with_deleted=False, under_prefix=prefix):
                if any_matches(a["path"], [s]):
                    return True
    return False


def decide(
    project: Project,
    use_id: str,
    decision: str,
    *,
    by: str | None,
    ref: str | None = None,
    note: str | None = None,
) -> UseState:
    """approved / rejected / revoked: a use at escalate risk is approved only with a written
    reference, as an escalate flag is; a closed use is decided no more."""
    by = _required(by, "by", "say who decides")
    with project.batch() as b:
        use = _open_use(b, use_id, "a closed use is decided no more (propose a new one)")
        if use["status"] not in _FROM[decision]:
            raise UseError(
                f"use {use['id']} is {use['status']}; only a use "
                f"{' or '.join(_FROM[decision])} can be {decision}"
            )
        if decision == "approved" and use["risk"] == "escalate" and not (ref and ref.strip()):
            raise ApprovalRefRequired(
                f"use {use['id']} is at escalate risk: approving it needs {{ref}} with the written "
                "approval reference",
                inputs=("ref",),
            )
        if decision == "revoked" and not (note and note.strip()):
            raise ReelprovError(
                "{note} is required: say why the approval is taken back", inputs=("note",)
            )
        b.append(
            "use_decided",
            None,
            {
                "use_id": use["id"],
                "decision": decision,
                "by": by,
                "ref": (ref or "").strip() or None,
                "note": note,
            },
        )
        _reevaluate(b, project)
        after = b.proj.all_uses()[use["id"]].copy()
        b.emit(
            UseDecided(
                use=UseRef.of(after),
                decision=Decision(decision, by, after["ref"], note),
            )
        )
        return after


def _open_use(b: Batch, use_id: str, if_closed: str) -> UseState:
    """The use USE_ID as this batch sees it; refused when unknown or closed (IF_CLOSED says why)."""
    use: UseState | None = b.proj.all_uses().get(use_id.strip().upper())
    if use is None:
        raise UseError(f"no intended use {use_id!r}; list them with `reelprov use ls`")
    if use["closed_seq"] is not None:
        raise UseError(f"use {use['id']} was closed by {use['closed_by']}; {if_closed}")
    return use


def close(project: Project, use_id: str, *, by: str | None, note: str | None = None) -> UseState:
    """No more files are expected under the use: any arriving later is flagged."""
    by = _required(by, "by", "say who closes the use")
    with project.batch() as b:
        use = _open_use(b, use_id, "it is closed already")
        b.append("use_closed", None, {"use_id": use["id"], "by": by, "note": note})
        _reevaluate(b, project)
        after = b.proj.all_uses()[use["id"]].copy()
        b.emit(UseClosed(use=UseRef.of(after), by=by))
        return after


@dataclass
class UseFiles:
    """The live files linked to one use, in a current cut or not, and those that arrived after it
    was closed: exact counts, and the first paths of each (all of them when not limited)."""

    in_cut: list[str] = field(default_factory=list)
    out_of_cut: list[str] = field(default_factory=list)
    arrived_after_close: list[str] = field(default_factory=list)
    in_cut_count: int = 0
    out_of_cut_count: int = 0
    after_close_count: int = 0

    @property
    def count(self) -> int:
        return self.in_cut_count + self.out_of_cut_count

    def add(self, path: str, *, in_cut: bool, after_close: bool, keep: int | None) -> None:
        def kept(paths: list[str]) -> None:
            if keep is None or len(paths) < keep:
                paths.append(path)

        if in_cut:
            self.in_cut_count += 1
            kept(self.in_cut)
        else:
            self.out_of_cut_count += 1
            kept(self.out_of_cut)
        if after_close:
            self.after_close_count += 1
            kept(self.arrived_after_close)


def files_by_use(
    project: Project, uses: Mapping[str, UseState], *, keep: int | None = None
) -> dict[str, UseFiles]:
    """Each use's linked live files (at most KEEP paths in each list; the counts are exact). One
    pass over the live files of AI origin."""
    out = {uid: UseFiles() for uid in uses}
    if not uses:
        return out
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        for a in queries.assets(rd, pid, origins=list(AI_ORIGINS)):
            ln: UseLink = link(a, uses)
            if ln.use is not None:
                out[ln.use["id"]].add(
                    a["path"], in_cut=bool(a["cuts"]), after_close=ln.status == "closed", keep=keep
                )
    return out


def use_json(use: UseState, files: UseFiles | None = None) -> UseJson:
    """One use in `use ls --json` / `use show --json` and the report."""
    out: UseJson = {
        "id": use["id"],
        "tool": use["tool"],
        "purpose": use["purpose"],
        "area": use["area"],
        "risk": use["risk"],
        "matrix_risk": use["matrix_risk"],
        "status": status_of(use),
        "decision": use["status"],
        "scope": list(use["scope"]),
        "answers": dict(use["answers"]),
        "escalated_by": list(use["escalated"]),
        "note": use["note"],
        "proposed_by": use["proposed_by"],
        "proposed_at": use["proposed_at"],
        "decided_by": use["decided_by"],
        "ref": use["ref"],
        "decided_at": use["decided_at"],
        "closed_by": use["closed_by"],
        "closed_at": use["closed_at"],
        "trail": list(use["trail"]),
    }
    if files is not None:
        out["files"] = {
            "count": files.count,
            "in_cut_count": files.in_cut_count,
            "after_close_count": files.after_close_count,
            "in_cut": files.in_cut,
            "out_of_cut": files.out_of_cut,
            "arrived_after_close": files.arrived_after_close,
        }
    return out
