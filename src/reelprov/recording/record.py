"""Recording examined files in the ledger: seen, changed, moved, restored, re-read and deleted, one
transaction per batch."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from reelprov.cuts.timeline import SUPPORTED as TIMELINES
from reelprov.extract import Examined, Outcome, ReadFailure
from reelprov.files import inode_of
from reelprov.ledger import filestate, queries
from reelprov.ledger.reader import remember_path_key
from reelprov.project import Project
from reelprov.recording.report import ScanReport
from reelprov.recording.walk import Candidate

if TYPE_CHECKING:
    from reelprov.events import Change
    from reelprov.ledger import Batch, entries


def by_sha(vanished: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Vanished paths grouped by the content hash they last had: where a move may have gone."""
    out: dict[str, list[str]] = {}
    for p, (_aid, sha) in sorted(vanished.items()):
        out.setdefault(sha, []).append(p)
    return out


def same_name(path: str, olds: Iterable[str]) -> str | None:
    """The first of OLDS with PATH's file name."""
    name = path.rpartition("/")[2]
    return next((o for o in olds if o.rpartition("/")[2] == name), None)


def write(
    project: Project,
    results: list[Examined],
    vanished_by_sha: dict[str, list[str]],
    vanished: dict[str, tuple[str, str]],
    rep: ScanReport,
    *,
    final: bool = False,
    hold_over: int | None = None,
) -> None:
    """Record RESULTS; with FINAL, the files still missing as well, as deleted, unless they number
    more than HOLD_OVER (then they are only listed in rep.held)."""
    if not results and not (final and vanished):
        return
    root = project.cfg.root
    # A file moved and also copied leaves two new paths with its content: the one keeping the
    # file's name is the move (and keeps the asset, its approvals and history), so it goes first.
    results = sorted(
        results, key=lambda r: not same_name(r.path, vanished_by_sha.get(r.sha256, ()))
    )
    for r in results:
        if r.path_key:
            remember_path_key(r.path, r.path_key)
    with project.batch() as b:
        b.preload_paths([r.path for r in results] + sorted(vanished))
        missing = set(vanished)
        for r in results:
            record_file(b, r, rep, vanished_by_sha, vanished)
            if os.path.splitext(r.path)[1].lower() in TIMELINES:
                rep.timelines.append(r.path)
        filestate.forget(
            b.conn, b.project, sorted(missing - vanished.keys())
        )  # the paths files moved away from
        filestate.store(b.conn, b.project, results)
        if final:
            # present but unreadable or skipped: not a deletion. A file read and then deleted before
            # this write (the watcher may have handled its delete event first) existed: it is
            # recorded, and recorded deleted in the same transaction.
            gone = [
                path
                for path in sorted(set(vanished) | {r.path for r in results})
                if not os.path.lexists(root / path)
            ]
            if hold_over is not None and len(gone) > hold_over:
                rep.held = gone
                gone = []
            for path in gone:
                for aid in b.asset_ids_at(path):
                    b.append("deleted", aid, {"path": path})
                    if b.heard:
                        from reelprov.events import AssetDeleted

                        b.emit(AssetDeleted(asset=aid, path=path))
                    rep.deleted += 1
            held = set(rep.held)
            filestate.forget(
                b.conn, b.project, [p for p in set(vanished) | set(gone) if p not in held]
            )
    from reelprov.policy.engine import flag_changes

    changes = flag_changes(b.entries)
    rep.flags_raised += changes["raised"]
    rep.flags_reopened += changes["reopened"]
    rep.flags_updated += changes["updated"]


def record_file(
    b: Batch,
    r: Examined,
    rep: ScanReport | None = None,
    vanished_by_sha: dict[str, list[str]] | None = None,
    vanished: dict[str, tuple[str, str]] | None = None,
) -> str:
    """Append what one examined file means for the ledger; returns the asset id."""
    content: entries.Content = {"sha256": r.sha256, "size": r.size, "media_type": r.media_type}
    ids = b.asset_ids_at(r.path)
    kind: Change | None = None
    moved_from: str | None = None
    if ids:
        aid = ids[0]
        asset = b.proj.asset(aid)
        assert asset is not None
        if asset["sha256"] != r.sha256:
            # and what reading the new content found, in the same entry
            changed: entries.Changed = {
                "path": r.path,
                "prev_sha256": asset["sha256"],
                **content,
                "evidence": r.evidence,
                "c2pa": r.c2pa,
            }
            b.append("changed", aid, changed)
            if rep:
                rep.evidence += 1
            kind = "changed"
    else:
        aid = ""
        olds = (vanished_by_sha or {}).get(r.sha256, [])
        while olds and not aid:
            old = (
                same_name(r.path, olds) or olds[0]
            )  # a vanished path with this content: the file moved here
            olds.remove(old)
            moved = b.asset_ids_at(old)
            if moved:
                aid = moved[0]
                moved_to: entries.Moved = {"from": old, "to": r.path, **content}
                b.append("moved", aid, moved_to)
                kind, moved_from = "moved", old
                if vanished is not None:
                    vanished.pop(old, None)
        if not aid:
            back = b.deleted_asset_at(
                r.path, r.sha256
            )  # the same file put back where it was deleted from
            aid, kind = (back, "restored") if back else (b.new_asset_id(r.fresh_id), "seen")
            # the seen entry says what the reading found too: one entry records a new file
            b.append("seen", aid, r.seen_payload(), body=r.seen_body or None)
            if rep:
                rep.evidence += 1
    asset = b.proj.asset(aid)
    assert asset is not None
    if asset["evidence_sha256"] != r.sha256 or _evidence_differs(asset, r):
        # new content, or the same content with other evidence: a sidecar added, edited or removed
        b.append("evidence", aid, r.evidence_payload())
        if rep:
            rep.evidence += 1
        kind = kind or "reread"
    if kind and rep:
        setattr(rep, kind, getattr(rep, kind) + 1)
        if kind in ("seen", "restored", "moved"):
            rep.arrived.add(r.path)
    if kind:
        _recorded(b, kind, aid, r.path, r.sha256, asset, moved_from)
    return aid


def _recorded(
    b: Batch,
    change: Change,
    aid: str,
    path: str,
    sha256: str,
    asset: Mapping[str, Any],
    moved_from: str | None,
) -> None:
    """The asset-recorded event, if anything hears it."""
    if b.heard:
        from reelprov.events import AssetRecorded

        b.emit(
            AssetRecorded(
                change=change,
                asset=aid,
                path=path,
                sha256=sha256,
                origin=asset["origin"],
                tools=list(asset["tools"]),
                moved_from=moved_from,
            )
        )


def _evidence_differs(asset: Mapping[str, Any], r: Examined) -> bool:
    return bool(
        asset["evidence"] != r.evidence
        or asset["c2pa_state"] != r.c2pa.get("state")
        or asset["c2pa_present"] != bool(r.c2pa.get("present"))
    )


def apply_moves(
    project: Project, moves: list[tuple[str, str]], rep: ScanReport | None = None
) -> ScanReport:
    """Renames the watcher saw, applied without re-hashing (a rename keeps the content)."""
    rep = rep or ScanReport()
    if moves:
        with project.batch() as b:
            for src, dest in moves:
                _move(b, src, dest, rep, str(project.cfg.root))
    return rep


def _same_file(size: int, cached: filestate.Cached | None, full: str) -> bool:
    """Is FULL the file recorded with SIZE (and, if the scan cache has it, its mtime and inode),
    renamed? A rename keeps the size, the modification time and the inode."""
    try:
        st = os.lstat(full)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != size:
        return False
    return cached is None or (
        cached.mtime_ns == st.st_mtime_ns and cached.inode in (None, inode_of(st))
    )


def unchanged(project: Project, c: Candidate) -> bool:
    """True when the scan cache says C's content is already recorded (same size, times and inode)."""
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        cached = filestate.lookup(rd, pid, c.rel)
        if cached is None or not cached.same(c.size, c.mtime_ns, c.ctime_ns, c.inode):
            return False
        return queries.live_with_content(rd, pid, c.rel, cached.sha256)


def record_results(
    project: Project, results: list[Outcome], gone: set[str], rep: ScanReport | None = None
) -> ScanReport:
    """Write examined files and the deletions among GONE (files or folders) in one transaction.

    A gone path whose content reappears among RESULTS is a move, not a deletion.
    """
    rep = rep or ScanReport()
    root = str(project.cfg.root)
    pid = project.cfg.project_id
    live: dict[str, tuple[str, str]] = {}
    if gone:
        rd = project.reader
        with rd.snapshot():
            for g in gone:
                for r in queries.live_at_or_under(rd, pid, g):
                    live[r["path"]] = (r["id"], r["sha256"])
    vanished = {p: v for p, v in live.items() if not os.path.lexists(os.path.join(root, p))}
    vanished_by_sha = by_sha(vanished)
    ok: list[Examined] = []
    for res in results:
        if isinstance(res, ReadFailure):
            rep.errors.append(res.to_json())
        else:
            ok.append(res)
    write(project, ok, vanished_by_sha, vanished, rep, final=True)
    rep.follow_cuts(
        project, arrivals=False
    )  # the watcher follows arrivals once a delivery has landed
    return rep


def _move(b: Batch, src: str, dest: str, rep: ScanReport, root: str) -> None:
    """A rename seen by the watcher: same content, new path, for a file or everything under a folder.

    Only where the file at the new path is that file by its size and modification time: polling
    pairs a deletion and a creation by inode number, which the file system reuses (a file deleted,
    a folder created: "moved" onto the folder). Any other is left to the hash, as deleted + new."""
    if os.path.lexists(os.path.join(root, src)):
        return  # not moved away after all (see _same_file): the paths are read again instead
    rows = queries.live_at_or_under(b.conn, b.project, src)
    for r in rows:
        aid, path = r["id"], r["path"]
        asset = b.proj.asset(aid)
        if asset is None or asset["deleted"] or asset["path"] != path:
            continue
        new = dest + path[len(src) :]
        if b.asset_ids_at(new):
            continue  # something is already recorded there; the rescan of dest sorts it out
        if not _same_file(
            asset["size"], filestate.lookup(b.conn, b.project, path), os.path.join(root, new)
        ):
            continue
        b.append(
            "moved",
            aid,
            {
                "from": path,
                "to": new,
                "sha256": asset["sha256"],
                "size": asset["size"],
                "media_type": asset["media_type"],
            },
        )
        _recorded(b, "moved", aid, new, asset["sha256"], asset, path)
        rep.moved += 1
        rep.arrived.add(new)
        filestate.move(b.conn, b.project, path, new)
