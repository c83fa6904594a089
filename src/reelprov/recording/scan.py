"""`reelprov scan`: the tree walked beside the ledger, what changed examined in the pool, recorded
in batches; memory holds a batch, never the project.

The walk gives files in the byte order of their paths and the ledger gives its live assets in the
same order (`queries.live_by_path`), so the two are compared side by side like two sorted lists: a
path in both whose size, times and inode match the scan cache is unchanged; a path only on disk, or
changed, is examined; a path only in the ledger has vanished (a deletion, or the source of a move).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from reelprov.errors import ReelprovError
from reelprov.extract import Examined, ReadFailure
from reelprov.ledger import filestate, queries
from reelprov.ledger.records import Holder, LiveAsset
from reelprov.names import shown
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.recording.pool import examined
from reelprov.recording.record import by_sha, same_name, write
from reelprov.recording.report import ScanReport
from reelprov.recording.walk import Candidate, walk

# The writer (ledger/store.py) is imported by the functions that write, not here: `scan` starts
# its examining workers first and loads the writer while they hash.

# Files a write transaction records. Each commit waits for the disk (synchronous=FULL): 1,000 a
# commit cost 10 ms per thousand files where 256 cost 40. A scan killed mid-way loses at most the
# batch under way, which the next scan reads again.
BATCH_SIZE = 1000
# The first batch is smaller, and each next one twice the last up to BATCH_SIZE: the writer starts
# while the workers still have most files to read, instead of after the first thousand (2,000
# frames: 0.33 -> 0.31 s, median of 6; two more commits on a large scan).
FIRST_BATCH = 250
# A scan that finds most of the recorded files gone (at least this many, and more than this share
# of those under the scanned folder) records no deletions unless told to: a share mounted inside
# the project that is down looks exactly like that, and recording it would resolve every open
# flag on its files and let the delivery gate pass.
MASS_DELETE_MIN = 20
MASS_DELETE_SHARE = 0.5
PROGRESS_EVERY = 64  # files between two progress calls


@dataclass
class _Side:
    """The walk and the ledger compared side by side (see the module's docstring): what the
    comparison found so far, kept as counts and the vanished paths only."""

    rep: ScanReport
    scope: int = 0  # live assets in the scanned folder
    vanished: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (asset, sha256)
    settled: int = 0  # files walked and found unchanged, or examined
    unseen: set[str] = field(default_factory=set)  # paths the walk could not look at (errors)
    _errors_seen: int = 0

    def could_not_look(self, path: str) -> bool:
        """Is PATH, or a folder above it, one the walk said it could not read?"""
        errors = self.rep.errors
        if self._errors_seen < len(errors):
            self.unseen.update(e["path"] for e in errors[self._errors_seen :])
            self._errors_seen = len(errors)
        if not self.unseen:
            return False
        parts = path.split("/")
        return any("/".join(parts[:i]) in self.unseen for i in range(1, len(parts) + 1))


def _unchanged(c: Candidate, row: LiveAsset) -> bool:
    """Does the scan cache say C's content is the one recorded at its path (ROW)?"""
    sha, size, mtime_ns = row["cached_sha256"], row["cached_size"], row["cached_mtime_ns"]
    if sha is None or size is None or mtime_ns is None:  # nothing cached for this path
        return False
    return sha == row["sha256"] and filestate.same_file(
        (c.size, c.mtime_ns, c.ctime_ns, c.inode),
        (size, mtime_ns, row["cached_ctime_ns"], row["cached_inode"]),
    )


def _compare(
    walked: Iterator[Candidate],
    recorded: Iterator[LiveAsset],
    side: _Side,
    progress: Progress | None,
) -> Iterator[Candidate]:
    """The files to examine, as the walk and the ledger (both in path order) are compared."""
    rep = side.rep
    row = next(recorded, None)
    for c in walked:
        rep.files += 1
        while row is not None and row["path"] < c.rel:
            _gone(row, side)
            row = next(recorded, None)
        if row is not None and row["path"] == c.rel:
            side.scope += 1
            same = _unchanged(c, row)
            row = next(recorded, None)
            if same:
                rep.unchanged += 1
                side.settled += 1
                if progress and rep.files % PROGRESS_EVERY == 0:
                    progress("examine", side.settled, rep.files)
                continue
        if progress and rep.files % PROGRESS_EVERY == 0:
            progress("examine", side.settled, rep.files)
        yield c
    while row is not None:
        _gone(row, side)
        row = next(recorded, None)


def _gone(row: LiveAsset, side: _Side) -> None:
    """A live asset the walk passed without finding: vanished, unless the walk could not look
    (the file or a folder above it could not be read: said in the errors, not a deletion)."""
    side.scope += 1
    if not side.could_not_look(row["path"]):
        side.vanished[row["path"]] = (row["id"], row["sha256"])


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
    rep = ScanReport()  # the first pass's; the second pass (if any) makes its own
    pid = cfg.project_id
    rd = project.reader
    root = str(cfg.root)
    if (
        under
        and not os.path.lexists(cfg.root / under)
        and not queries.any_live_at_or_under(rd, pid, under)
    ):
        raise ReelprovError(
            f"{shown(under)}: no such file or folder in the project, and no recorded file there is left "
            f"to mark deleted; check the path (`reelprov ls` lists what is recorded)"
        )

    def compared(
        rep: ScanReport, links: list[str], shown: Progress | None
    ) -> tuple[_Side, Iterator[Candidate]]:
        side = _Side(rep)
        return side, _compare(
            walk(cfg, rep.errors, under=under, links=links),
            queries.live_by_path(rd, pid, under),
            side,
            shown,
        )

    # First pass: the tree beside the ledger, nothing read: what vanished (so a file found with
    # a vanished file's content is paired with it as a move, wherever the two sort) and whether
    # anything needs reading. Holds the vanished paths only. With nothing recorded in scope (a
    # first scan) nothing can have vanished or be unchanged: straight to reading.
    links: list[str] = []
    first = _Side(rep)
    to_read = 1
    if queries.any_live_at_or_under(rd, pid, under):
        first, walked = compared(
            rep, links, (lambda _p, _d, n: progress("walk", n, n)) if progress else None
        )
        to_read = sum(1 for _ in walked)
        rep.symlinks = len(links)
        if progress:
            progress("examine", rep.unchanged, rep.files)
    side = first
    prefix = (under.rstrip("/") + "/") if under else ""

    def in_scope(p: str) -> bool:
        return not under or p.startswith(prefix) or p == under

    moved_from = by_sha(first.vanished)
    pending: list[Examined] = []
    # Files holding a vanished file's content: moves, paired at the end. Scanning one folder, a
    # file may also have moved in from outside it: recorded paths outside holding the content
    # and gone from disk (`elsewhere`) may be their sources too.
    moves: list[Examined] = []
    elsewhere: dict[str, list[str]] = {}
    outside: dict[str, tuple[str, str]] = {}
    read: list[Examined] = []  # not yet sorted into pending and moves

    def sort_read() -> None:
        nonlocal read
        gone_outside: dict[str, list[Holder]] = {}
        if under:  # each content looked up and each holder checked on disk once per batch
            shas = [r.sha256 for r in read if r.sha256 not in moved_from]
            for h in queries.live_with_contents(rd, pid, shas) if shas else []:
                if not in_scope(h["path"]) and not os.path.lexists(os.path.join(root, h["path"])):
                    gone_outside.setdefault(h["sha256"], []).append(h)
        for res in read:
            if res.sha256 in moved_from or res.sha256 in gone_outside:
                moves.append(res)
            else:
                pending.append(res)
            for h in gone_outside.get(res.sha256, []):
                if h["path"] not in outside:
                    outside[h["path"]] = (h["id"], h["sha256"])
                    elsewhere.setdefault(h["sha256"], []).append(h["path"])
        read = []

    if to_read:
        # Second pass: the same comparison, its files read as the workers need them. What it
        # finds now is what is recorded (a file may have come or gone since the first pass).
        rep = ScanReport()
        links = []
        side, todo = compared(rep, links, progress)
        workers = cfg.workers or (os.cpu_count() or 1)
        batch = min(FIRST_BATCH, BATCH_SIZE)
        for res in examined(todo, project.trust_anchors, workers, cfg.read_timeout):
            side.settled += 1
            if isinstance(res, ReadFailure):
                rep.errors.append(res.to_json())
            else:
                read.append(res)
            if len(read) >= batch:
                sort_read()
            if len(pending) >= batch:
                write(project, pending, {}, {}, rep)
                pending = []
                batch = min(BATCH_SIZE, batch * 2)
            if progress and side.settled % PROGRESS_EVERY == 0:
                progress("examine", side.settled, rep.files)
        sort_read()
        rep.symlinks = len(links)
        if progress:
            progress("examine", side.settled, rep.files)
    vanished = side.vanished
    vanished_by_sha = by_sha(vanished)  # as the last pass found them
    if elsewhere:
        _borrow_moved_from(moves, elsewhere, outside, vanished, vanished_by_sha, root)
    write(
        project,
        pending + moves,
        vanished_by_sha,
        vanished,
        rep,
        final=True,
        hold_over=None
        if allow_deletions
        else max(MASS_DELETE_MIN - 1, int(side.scope * MASS_DELETE_SHARE)),
    )
    rep.follow_cuts(
        project
    )  # after every file: a timeline and the media it cuts in may arrive together
    rep.errors.sort(key=lambda e: e["path"])  # as a listing reads, not in the walk's order
    return rep


def _borrow_moved_from(
    moves: list[Examined],
    elsewhere: dict[str, list[str]],
    outside: dict[str, tuple[str, str]],
    vanished: dict[str, tuple[str, str]],
    vanished_by_sha: dict[str, list[str]],
    root: str,
) -> None:
    """For a folder scan: paths outside the folder that are gone from disk and held the content
    of a new file inside it become move sources (one per such file, same name first)."""
    by_sha: dict[str, list[Examined]] = {}
    for r in moves:
        by_sha.setdefault(r.sha256, []).append(r)
    for sha, results in by_sha.items():
        gone = sorted(
            p for p in elsewhere.get(sha, []) if not os.path.lexists(os.path.join(root, p))
        )
        olds = vanished_by_sha.setdefault(sha, [])
        for r in sorted(results, key=lambda r: not same_name(r.path, gone)):
            if len(olds) >= len(results) or not gone:
                break
            src = same_name(r.path, gone) or gone[0]
            gone.remove(src)
            olds.append(src)
            vanished[src] = outside[src]
