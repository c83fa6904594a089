"""`reelprov scan`: the tree walked, what changed examined in the pool, recorded in batches."""

from __future__ import annotations

import os
from typing import Any

from reelprov.errors import ReelprovError
from reelprov.ledger import filestate, queries
from reelprov.names import shown
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.recording.pool import examined
from reelprov.recording.record import by_sha, same_name, write
from reelprov.recording.report import ScanReport
from reelprov.recording.walk import Candidate, walk

# The writer (ledger/store.py) is imported by the functions that write, not here: `scan` starts
# its examining workers first and loads the writer while they hash.

BATCH_SIZE = 256
# A scan that finds most of the recorded files gone (at least this many, and more than this share
# of those under the scanned folder) records no deletions unless told to: a share mounted inside
# the project that is down looks exactly like that, and recording it would resolve every open
# flag on its files and let the delivery gate pass.
MASS_DELETE_MIN = 20
MASS_DELETE_SHARE = 0.5


def scan(
    project: Project,
    *,
    progress: Progress | None = None,
    under: str | None = None,
    allow_deletions: bool = False,
) -> ScanReport:
    """Bring the ledger up to date with the tree (or the folder UNDER), one transaction per batch.

    Most recorded files missing at once (MASS_DELETE_MIN) are listed in the report's `held`, not
    recorded as deleted, unless ALLOW_DELETIONS."""
    cfg = project.cfg
    rep = ScanReport()
    links: list[str] = []
    cands = list(walk(cfg, rep.errors, under=under, links=links))
    rep.symlinks = len(links)
    rep.files = len(cands)
    error_paths = {e["path"] for e in rep.errors}
    pid = cfg.project_id
    rd = project.reader
    with rd.snapshot():
        live = {r["path"]: (r["id"], r["sha256"]) for r in queries.live_contents(rd, pid)}
        cache = filestate.load_all(rd, pid)
    todo: list[Candidate] = []
    for c in cands:
        cached = cache.get(c.rel)
        at = live.get(c.rel)
        if (
            cached
            and cached.same(c.size, c.mtime_ns, c.ctime_ns, c.inode)
            and at
            and at[1] == cached.sha256
        ):
            rep.unchanged += 1
        else:
            todo.append(c)
    present = {c.rel for c in cands}
    prefix = (under.rstrip("/") + "/") if under else ""

    def in_scope(p: str) -> bool:
        return p.startswith(prefix) or p == under

    if (
        under
        and not cands
        and not any(in_scope(p) for p in live)
        and not os.path.lexists(cfg.root / under)
    ):
        raise ReelprovError(
            f"{shown(under)}: no such file or folder in the project, and no recorded file there is left "
            f"to mark deleted; check the path (`reelprov ls` lists what is recorded)"
        )
    vanished = {
        p: v for p, v in live.items() if p not in present and p not in error_paths and in_scope(p)
    }
    vanished_by_sha = by_sha(vanished)
    # Scanning one folder: a file that moved into it from elsewhere in the project is a move too.
    elsewhere: dict[str, list[str]] = {}
    if prefix:
        for p, (_aid, sha) in sorted(live.items()):
            if not in_scope(p):
                elsewhere.setdefault(sha, []).append(p)

    workers = cfg.workers or (os.cpu_count() or 1)
    total = len(todo)
    if progress:
        progress("examine", 0, total)
    pending: list[dict[str, Any]] = []
    moves: list[
        dict[str, Any]
    ] = []  # new paths holding a vanished path's content: paired at the end
    done = 0
    for res in examined(todo, project.trust_anchors, workers, project.cfg.read_timeout):
        done += 1
        if "error" in res:
            rep.errors.append({"path": res["path"], "error": res["error"]})
            vanished.pop(res["path"], None)
        elif res["path"] not in live and (
            res["sha256"] in vanished_by_sha or res["sha256"] in elsewhere
        ):
            moves.append(res)
        else:
            pending.append(res)
        if len(pending) >= BATCH_SIZE:
            write(project, pending, vanished_by_sha, vanished, rep)
            pending = []
        if progress and (done % 16 == 0 or done == total):
            progress("examine", done, total)
    if elsewhere:
        _borrow_moved_from(moves, elsewhere, live, vanished, vanished_by_sha, str(cfg.root))
    scope = sum(1 for p in live if in_scope(p))
    write(
        project,
        pending + moves,
        vanished_by_sha,
        vanished,
        rep,
        final=True,
        hold_over=None
        if allow_deletions
        else max(MASS_DELETE_MIN - 1, int(scope * MASS_DELETE_SHARE)),
    )
    rep.follow_cuts(
        project
    )  # after every file: a timeline and the media it cuts in may arrive together
    rep.errors.sort(key=lambda e: e["path"])  # as a listing reads, not in the walk's order
    return rep


def _borrow_moved_from(
    moves: list[dict[str, Any]],
    elsewhere: dict[str, list[str]],
    live: dict[str, tuple[str, str]],
    vanished: dict[str, tuple[str, str]],
    vanished_by_sha: dict[str, list[str]],
    root: str,
) -> None:
    """For a folder scan: paths outside the folder that are gone from disk and held the content
    of a new file inside it become move sources (one per such file, same name first)."""
    by_sha: dict[str, list[dict[str, Any]]] = {}
    for r in moves:
        by_sha.setdefault(r["sha256"], []).append(r)
    for sha, results in by_sha.items():
        gone = [p for p in elsewhere.get(sha, []) if not os.path.lexists(os.path.join(root, p))]
        olds = vanished_by_sha.setdefault(sha, [])
        for r in sorted(results, key=lambda r: not same_name(r["path"], gone)):
            if len(olds) >= len(results) or not gone:
                break
            src = same_name(r["path"], gone) or gone[0]
            gone.remove(src)
            olds.append(src)
            vanished[src] = live[src]
