"""Asset queries and the asset JSON of the public contract (README, "Asset JSON")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any, cast

from reelprov.contract import AssetJson, EvidenceJson, FlagBaseJson, FlagJson, HistoryEntryJson
from reelprov.errors import UnknownAsset
from reelprov.globs import matches
from reelprov.ledger import queries
from reelprov.ledger.records import AssetState, FlagState, UseState
from reelprov.mediatypes import media_kind
from reelprov.names import same_form
from reelprov.policy import UNRESOLVED
from reelprov.project import Project
from reelprov.stages import stage_of, tags_of


def _public_evidence(ev: Mapping[str, Any]) -> EvidenceJson:
    return {
        "source": ev["source"],
        "origin": ev.get("origin"),
        "tool": ev.get("tool"),
        "detail": ev.get("detail", ""),
        "kind": ev.get("kind"),
    }


def flag_base(f: Mapping[str, Any]) -> FlagBaseJson:
    """What every shape of a flag says, from its row."""
    return FlagBaseJson(
        id=f["id"],
        rule=f["rule"],
        area=f["area"],
        severity=f["severity"],
        status=f["status"],
        reason=f["reason"],
        sha256=f["sha256"],
    )


def flag_json(f: Mapping[str, Any]) -> FlagJson:
    out = cast("FlagJson", flag_base(f))  # a new dict; FlagJson's other keys are optional
    if f.get("decided_by"):
        out["decision"] = {
            "by": f["decided_by"],
            "ref": f.get("ref"),
            "note": f.get("note"),
            "at": f.get("decided_at"),
            "severity": f.get("decided_severity") or f["severity"],
        }
    return out


def asset_json(
    project: Project,
    a: AssetState,
    flags: list[FlagState],
    uses: Mapping[str, UseState] | None = None,
) -> AssetJson:
    """A's contract JSON; USES: the project's intended uses by id (read here when not given)."""
    from reelprov.uses.link import link

    if uses is None:
        uses = {u["id"]: u for u in queries.uses(project.reader, project.cfg.project_id)}
    evidence = [_public_evidence(e) for e in a["evidence"]]
    from reelprov.ledger.projection import declaration_evidence

    evidence += [_public_evidence(declaration_evidence(d, a["sha256"])) for d in a["declarations"]]
    return {
        "id": a["id"],
        "path": a["path"],
        "sha256": a["sha256"],
        "size": a["size"],
        "media_type": a["media_type"],
        "media_kind": media_kind(a["media_type"]),
        "deleted": a["deleted"],
        "stage": stage_of(a, project.cfg),
        "origin": a["origin"],
        "tools": a["tools"],
        "evidence": evidence,
        "c2pa": {"present": a["c2pa_present"], "state": a["c2pa_state"]},
        "tags": tags_of(a, project.cfg),
        "in_cut": bool(a["cuts"]),
        "cuts": a["cuts"],
        "declarations": a["declarations"],
        "flags": [flag_json(f) for f in sorted(flags, key=lambda f: f["id"])],
        "use": link(a, uses).to_json(),
    }


@dataclass
class Filters:
    origin: list[str] | None = None
    stage: list[str] | None = None
    tag: list[str] | None = None
    flagged: bool = False
    in_cut: bool = False
    include_deleted: bool = False
    path_glob: str | None = None
    tool: str | None = None


def path_matches(path: str, pattern: str) -> bool:
    """A path argument (reelprov.globs: a file, a folder, or a glob where `*` stays in one folder
    and `**` crosses them) names PATH; a frame pattern (`vfx/sh010/sh010.####.exr`, `%04d`,
    `@@@@`, `[1001-1096]`) names the frames of one sequence."""
    seq = _frame_pattern(same_form(pattern))
    if seq is not None:
        return _in_sequence(same_form(path), seq)
    return matches(path, pattern)


@lru_cache(maxsize=64)
def _frame_pattern(pattern: str) -> Any:
    from reelprov.cuts.frames import from_pattern

    return from_pattern(pattern) if any(ch in pattern for ch in "#@%[") else None


def _in_sequence(path: str, seq: Any) -> bool:
    from reelprov.cuts.frames import frame_parts, name_key

    parts = frame_parts(path)
    if parts is None:
        return False
    folder, prefix, digits, suffix = parts
    if folder != (seq.folder or "").rstrip("/") or name_key(prefix, suffix) != name_key(
        seq.prefix, seq.suffix
    ):
        return False
    if seq.padding and len(digits) != seq.padding:
        return False
    return seq.frames is None or int(digits) in seq.frames


def list_assets(project: Project, flt: Filters | None = None) -> list[AssetJson]:
    """Every asset matching the filters, as contract JSON, sorted by path."""
    return list(iter_assets(project, flt))


CHUNK = 1000  # assets read, and their flags looked up, at a time


def iter_assets(project: Project, flt: Filters | None = None) -> Iterator[AssetJson]:
    """list_assets() one asset at a time, in path order, in one read snapshot: memory holds a
    chunk of assets and their flags, whatever the project's size (`ls --json` of a million
    frames streams). Consume it promptly: the snapshot stays open until it is exhausted."""
    flt = flt or Filters()
    rd, pid = project.reader, project.cfg.project_id
    # A glob's literal prefix (`final/reel2/` of `final/reel2/*`) is matched in the database, so a
    # scoped listing of a big ledger reads only its own rows; within it the few rows are checked
    # for open flags here (SQL would first collect every flagged asset of the project).
    prefix = queries.literal_prefix(flt.path_glob)
    narrowed = queries.prefix_usable(rd, prefix)
    with rd.snapshot():
        uses = {u["id"]: u for u in queries.uses(rd, pid)}
        rows = queries.assets(
            rd,
            pid,
            with_deleted=flt.include_deleted,
            origins=flt.origin,
            under_prefix=prefix if narrowed else None,
            flagged=list(UNRESOLVED) if flt.flagged and not narrowed else None,
        )
        while chunk := list(islice(rows, CHUNK)):
            flags: dict[str, list[FlagState]] = {}
            for f in queries.flags_of(rd, pid, [a["id"] for a in chunk], chunk=CHUNK):
                flags.setdefault(f["asset"], []).append(f)
            for a in chunk:
                j = _listed(project, a, flags.get(a["id"], []), flt, uses)
                if j is not None:
                    yield j


def _listed(
    project: Project,
    a: AssetState,
    flags: list[FlagState],
    flt: Filters,
    uses: Mapping[str, UseState],
) -> AssetJson | None:
    """A's contract JSON if it passes the filters the database did not apply."""
    if flt.flagged and not any(f["status"] in UNRESOLVED for f in flags):
        return None
    if flt.in_cut and not a["cuts"]:
        return None
    if flt.path_glob and not path_matches(a["path"], flt.path_glob):
        return None
    if flt.tool and not any(flt.tool.casefold() in t.casefold() for t in a["tools"]):
        return None
    j = asset_json(project, a, flags, uses)
    if flt.stage and j["stage"] not in flt.stage:
        return None
    if flt.tag and not set(flt.tag) <= set(j["tags"]):
        return None
    return j


def find_asset(project: Project, rel: str, *, include_deleted: bool = True) -> AssetState:
    """The asset recorded at REL (the live one first, else the last deleted one)."""
    rd, pid = project.reader, project.cfg.project_id
    rows = queries.assets_at(rd, pid, rel)
    if not rows and not rel.isascii():  # typed in one Unicode form, recorded in another
        want = same_form(rel)
        paths = [p for p in queries.asset_paths(rd, pid) if same_form(p) == want]
        rows = [r for path in dict.fromkeys(paths) for r in queries.assets_at(rd, pid, path)]
        rows.sort(key=lambda r: -r["last_seq"])
    live = [r for r in rows if not r["deleted"]]
    if live:
        return live[0]
    if rows and include_deleted:
        return rows[0]
    if rel == "." or (project.cfg.root / rel).is_dir():
        raise UnknownAsset(
            f"{rel}: is a folder, and this command takes one file; `reelprov ls` given the same "
            "folder lists its assets"
        )
    if any(ch in rel for ch in "*?["):
        raise UnknownAsset(
            f"{rel}: is a pattern, and this command takes one file; `reelprov ls` given the same "
            "pattern lists what matches"
        )
    raise UnknownAsset(
        f"{rel}: no asset recorded at this path; run `reelprov scan` or check the path"
    )


def show_asset(project: Project, rel: str, *, with_history: bool = True) -> AssetJson:
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        a = find_asset(project, rel)
        out = asset_json(project, a, queries.flags_of_asset(rd, pid, a["id"]))
        if with_history:
            out["history"] = cast("list[HistoryEntryJson]", list(rd.entries(pid, asset=a["id"])))
    return out


def resolve_paths(project: Project, patterns: list[str], *, cwd: Any = None) -> list[AssetState]:
    """Assets named by paths or globs on the command line; a pattern matching nothing is an error."""
    rows = list(queries.assets(project.reader, project.cfg.project_id))
    out: dict[str, AssetState] = {}
    for pat in patterns:
        if not pat.strip():  # a script's unset variable ("$FILE") would otherwise mean every asset
            raise UnknownAsset(
                f"an empty path argument ({pat!r}); give a file, a folder or a glob, or '.' for every asset"
            )
        rel = project.cfg.relpath(pat, cwd=cwd)
        hits = (
            rows if rel == "." else [r for r in rows if path_matches(r["path"], rel)]
        )  # a file, folder or glob
        if not hits:
            raise UnknownAsset(
                f"{pat}: matches no recorded asset; run `reelprov scan` first or check the path"
            )
        for h in hits:
            out[h["id"]] = h
    return list(out.values())
