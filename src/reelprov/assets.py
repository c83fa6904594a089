"""Asset queries and the asset JSON of the public contract (DESIGN.md)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from reelprov.errors import UnknownAsset
from reelprov.ledger.store import ASSET_T, FLAG_T
from reelprov.policy.engine import UNRESOLVED
from reelprov.project import Project
from reelprov.stages import stage_of, tags_of


def _public_evidence(ev: dict[str, Any]) -> dict[str, Any]:
    return {"source": ev["source"], "origin": ev.get("origin"), "tool": ev.get("tool"), "detail": ev.get("detail", ""),
            "kind": ev.get("kind")}


def flag_json(f: dict[str, Any]) -> dict[str, Any]:
    out = {k: f[k] for k in ("id", "rule", "area", "severity", "status", "reason", "sha256")}
    if f.get("decided_by"):
        out["decision"] = {"by": f["decided_by"], "ref": f.get("ref"), "note": f.get("note"), "at": f.get("decided_at")}
    return out


def asset_json(project: Project, a: dict[str, Any], flags: list[dict[str, Any]]) -> dict[str, Any]:
    evidence = [_public_evidence(e) for e in a["evidence"]]
    from reelprov.ledger.projection import declaration_evidence

    evidence += [_public_evidence(declaration_evidence(d)) for d in a["declarations"]]
    return {
        "id": a["id"],
        "path": a["path"],
        "sha256": a["sha256"],
        "size": a["size"],
        "media_type": a["media_type"],
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


def list_assets(project: Project, flt: Filters | None = None) -> list[dict[str, Any]]:
    """Every asset matching the filters, as contract JSON, sorted by path."""
    flt = flt or Filters()
    pid = project.cfg.project_id
    q = select(ASSET_T).where(ASSET_T.c.project == pid)
    if not flt.include_deleted:
        q = q.where(ASSET_T.c.deleted.is_(False))
    if flt.origin:
        q = q.where(ASSET_T.c.origin.in_(flt.origin))
    flags: dict[str, list[dict[str, Any]]] = {}
    with project.ledger.read() as conn:
        if flt.flagged:
            # Two plain indexed lookups rather than an IN (subquery): planners without fresh
            # statistics (a just-filled PostgreSQL table) run the subquery once per asset.
            ids = sorted({r[0] for r in conn.execute(select(FLAG_T.c.asset).where(
                FLAG_T.c.project == pid, FLAG_T.c.status.in_(UNRESOLVED)))})
            rows = []
            for i in range(0, len(ids), 500):
                # by primary key / asset index only, filtered here: with the project column in the
                # WHERE, SQLite picks the project index and scans every asset once per chunk
                chunk = ids[i : i + 500]
                for r in conn.execute(select(ASSET_T).where(ASSET_T.c.id.in_(chunk))):
                    a = dict(r._mapping)
                    if a["project"] == pid and (flt.include_deleted or not a["deleted"]) and (
                            not flt.origin or a["origin"] in flt.origin):
                        rows.append(a)
                for r in conn.execute(select(FLAG_T).where(FLAG_T.c.asset.in_(chunk))):
                    if r.project == pid:
                        flags.setdefault(r.asset, []).append(dict(r._mapping))
            rows.sort(key=lambda a: a["path"])
        else:
            rows = [dict(r._mapping) for r in conn.execute(q.order_by(ASSET_T.c.path))]
            for r in conn.execute(select(FLAG_T).where(FLAG_T.c.project == pid)):
                flags.setdefault(r.asset, []).append(dict(r._mapping))
    out = []
    for a in rows:
        if flt.in_cut and not a["cuts"]:
            continue
        if flt.path_glob and not fnmatch.fnmatch(a["path"], flt.path_glob):
            continue
        if flt.tool and not any(flt.tool.casefold() in t.casefold() for t in a["tools"]):
            continue
        j = asset_json(project, a, flags.get(a["id"], []))
        if flt.stage and j["stage"] not in flt.stage:
            continue
        if flt.tag and not set(flt.tag) <= set(j["tags"]):
            continue
        out.append(j)
    return out


def _all_flags(project: Project, asset_id: str) -> list[dict[str, Any]]:
    with project.ledger.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(FLAG_T).where(FLAG_T.c.project == project.cfg.project_id, FLAG_T.c.asset == asset_id))]


def find_asset(project: Project, rel: str, *, include_deleted: bool = True) -> dict[str, Any]:
    """The asset recorded at REL (the live one first, else the last deleted one)."""
    pid = project.cfg.project_id
    with project.ledger.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(ASSET_T).where(ASSET_T.c.project == pid, ASSET_T.c.path == rel).order_by(ASSET_T.c.last_seq.desc()))]
    live = [r for r in rows if not r["deleted"]]
    if live:
        return live[0]
    if rows and include_deleted:
        return rows[0]
    raise UnknownAsset(f"{rel}: no asset recorded at this path; run `reelprov scan` or check the path")


def show_asset(project: Project, rel: str, *, with_history: bool = True) -> dict[str, Any]:
    a = find_asset(project, rel)
    out = asset_json(project, a, _all_flags(project, a["id"]))
    if with_history:
        out["history"] = [e.to_json() for e in project.ledger.entries(asset=a["id"])]
    return out


def resolve_paths(project: Project, patterns: list[str], *, cwd: Any = None) -> list[dict[str, Any]]:
    """Assets named by paths or globs on the command line; a pattern matching nothing is an error."""
    pid = project.cfg.project_id
    with project.ledger.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(ASSET_T).where(ASSET_T.c.project == pid, ASSET_T.c.deleted.is_(False)).order_by(ASSET_T.c.path))]
    out: dict[str, dict[str, Any]] = {}
    for pat in patterns:
        rel = project.cfg.relpath(pat, cwd=cwd)
        if any(ch in rel for ch in "*?["):
            hits = [r for r in rows if fnmatch.fnmatch(r["path"], rel)]
        else:
            hits = [r for r in rows if r["path"] == rel]
        if not hits:
            raise UnknownAsset(f"{pat}: matches no recorded asset; run `reelprov scan` first or check the path")
        for h in hits:
            out[h["id"]] = h
    return list(out.values())
