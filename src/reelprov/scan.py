"""Walking the project tree into the ledger: seen, changed, moved and deleted, re-hashing only what changed."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelprov.config import CONFIG_NAME, STATE_DIR, ProjectConfig
from reelprov.cut import SUPPORTED as TIMELINES
from reelprov.errors import DatabaseError, ReelprovError
from reelprov.events import AssetDeleted, AssetRecorded, Change
from reelprov.extract import examine
from reelprov.extract.sidecars import all_candidates, is_sidecar
from reelprov.files import inode_of
from reelprov.ledger import filestate, queries
from reelprov.names import bad_name, shown
from reelprov.names import counted as _count
from reelprov.progress import Progress
from reelprov.project import Project

if TYPE_CHECKING:
    from reelprov.ledger import Batch

# The writer (ledger/store.py) is imported by the functions that write, not here: `scan` starts
# its examining workers first and loads the writer while they hash.

BATCH_SIZE = 256
# Files are read in examining processes, never in the scan's own: a reader library's native code
# crashing on a damaged or hostile file takes down only that process (see _examined). Under this
# many files to read, one such process; from it on, [scan] workers (one per core by default).
PARALLEL_THRESHOLD = 48
# Files handed to an examining worker at a time: up to CHUNK_FILES (fewer round trips between the
# processes: 2,000 small files scanned in 0.85 s against 0.93 s in eights), at most CHUNK_BYTES of them and
# at least 4 chunks per worker, so the last chunks stay short and no worker waits on another.
CHUNK_FILES = 32
CHUNK_BYTES = 64 << 20
# What an examining worker is given for one file: absolute and relative path, mtime_ns, trust
# anchors, whether its folder has sidecars (plain values: they cross process boundaries).
Task = tuple[str, str, int, str | None, bool]
# A scan that finds most of the recorded files gone (at least this many, and more than this share
# of those under the scanned folder) records no deletions unless told to: a share mounted inside
# the project that is down looks exactly like that, and recording it would resolve every open
# flag on its files and let the delivery gate pass.
MASS_DELETE_MIN = 20
MASS_DELETE_SHARE = 0.5


@dataclass
class Candidate:
    rel: str
    abs: str
    size: int
    mtime_ns: int
    sidecars: bool = True  # any sidecar file in its folder (else extractors need not look)
    ctime_ns: int | None = (
        None  # with the inode: what the scan cache compares besides size and mtime
    )
    inode: int | None = None


@dataclass
class ScanReport:
    files: int = 0
    unchanged: int = 0
    seen: int = 0
    changed: int = 0
    moved: int = 0
    deleted: int = 0
    restored: int = 0  # a deleted file back at its path with its content: the same asset again
    reread: int = 0  # same content, other evidence (a sidecar added, edited or removed)
    evidence: int = 0
    flags_raised: int = 0
    flags_reopened: int = (
        0  # an approval or waiver no longer covers the content, or the condition is back
    )
    flags_updated: int = (
        0  # an undecided flag's reason or severity brought up to date (e.g. a sidecar names a tool)
    )
    errors: list[dict[str, str]] = field(default_factory=list)
    symlinks: int = 0  # symbolic links passed by ([scan] follow_symlinks is off)
    held: list[str] = field(
        default_factory=list
    )  # missing files not recorded as deleted (see MASS_DELETE_MIN)
    timelines: list[str] = field(
        default_factory=list
    )  # timeline files recorded new or changed: cuts may follow them
    arrived: list[str] = field(
        default_factory=list
    )  # files recorded new, restored or moved in: a cut may have named them
    cuts_followed: list[dict[str, Any]] = field(
        default_factory=list
    )  # cuts imported again from such a file
    cut_errors: list[dict[str, str]] = field(default_factory=list)  # ... or not: {cut, path, error}

    def held_folders(self, limit: int = 5) -> str:
        """Where the held files were: "media/reel01 (1200), media/reel02 (800)" (the largest first)."""
        counts: dict[str, int] = {}
        for path in self.held:
            folder = path.rpartition("/")[0] or "."
            counts[folder] = counts.get(folder, 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{shown(f)} ({n})" for f, n in top[:limit]) + (
            f" and {len(top) - limit} more folders" if len(top) > limit else ""
        )

    def extras(self) -> str:
        """The counts a summary line mentions only when there are any: ", 2 restored, 1 with new evidence"."""
        return (
            (f", {self.restored} restored" if self.restored else "")
            + (f", {self.reread} with new evidence" if self.reread else "")
            + (f", {len(self.held)} missing but not recorded as deleted" if self.held else "")
        )

    def to_json(self) -> dict[str, Any]:
        # Error paths are kept as the file system gave them (a name that is not UTF-8 holds
        # surrogates); JSON gets them printable.
        return {
            k: getattr(self, k)
            for k in (
                "files",
                "unchanged",
                "seen",
                "changed",
                "moved",
                "deleted",
                "restored",
                "reread",
                "evidence",
                "flags_raised",
                "flags_reopened",
                "flags_updated",
                "symlinks",
            )
        } | {
            "errors": [e | {"path": shown(e["path"])} for e in self.errors],
            "deletions_held": [shown(p) for p in self.held],
            "cuts_imported": [
                {
                    "name": c["name"],
                    "path": c["path"],
                    "why": c["why"],
                    "events": len(c["events"]),
                    "unmatched": len(c["unmatched"]),
                    "left": len(c["left"]),
                }
                for c in self.cuts_followed
            ],
            "cut_errors": self.cut_errors,
        }

    def follow_cuts(self, project: Project, *, arrivals: bool = True) -> None:
        """Cuts whose timeline file this recorded new or changed, or (ARRIVALS) whose missing media
        it recorded, are imported again (cut.follow_cuts). Without ARRIVALS `arrived` is left for
        the caller (the watcher matches them once a delivery has landed)."""
        from reelprov.cut import follow_cuts

        files, self.timelines = self.timelines, []
        arrived: list[str] = []
        if arrivals:
            arrived, self.arrived = self.arrived, []
        try:
            done, failed = follow_cuts(project, files, arrived)
        except DatabaseError:
            raise  # the ledger, not the timeline: the caller waits for it and tries the files again
        except Exception as exc:  # noqa: BLE001 - the files are recorded; a cut left as it was is said, not fatal
            done, failed = (
                [],
                [
                    {
                        "cut": "?",
                        "path": ", ".join(files),
                        "why": "the files just recorded",
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                ],
            )
        self.cuts_followed += done
        self.cut_errors += failed


def held_deletions(rep: ScanReport, command: str) -> str:
    """The warning for missing files a scan did not record as deleted, with the command that would."""
    return (
        f"reelprov: warning: {_count(len(rep.held), 'recorded file')} missing, in {rep.held_folders()}: more than "
        f"half of those recorded, so not recorded as deleted (their flags stay as they are). Is a share mounted in "
        f"the project down? If they were removed on purpose: {command} --allow-deletions"
    )


@lru_cache(maxsize=32)
def _ignore_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or r"(?!)")


def ignored(rel: str, name: str, patterns: Iterable[str]) -> bool:
    rx = _ignore_regex(tuple(patterns))
    return bool(rx.match(name) or rx.match(rel))


def own_dirs(cfg: ProjectConfig) -> tuple[str, ...]:
    """Root-relative folders that are reelprov's own (state, hooks): never walked or recorded."""
    dirs = [STATE_DIR]
    if cfg.hooks_dir is not None:
        try:
            dirs.append(cfg.hooks_dir.relative_to(cfg.root).as_posix())
        except ValueError:
            pass  # hooks live outside the project
    return tuple(dirs)


def own_files(cfg: ProjectConfig) -> frozenset[str]:
    """Root-relative files that are reelprov's own settings: reelprov.toml, the project policy and
    the C2PA trust anchors when they live in the project."""
    files = {CONFIG_NAME}
    for f in (cfg.policy_file, cfg.trust_anchors):
        if f is not None:
            try:
                files.add(f.relative_to(cfg.root.resolve()).as_posix())  # both resolved at load
            except ValueError:
                pass  # kept outside the project
    return frozenset(files)


Own = tuple[tuple[str, ...], frozenset[str]]  # reelprov's own folders and files in the tree


def own_paths(cfg: ProjectConfig) -> Own:
    return own_dirs(cfg), own_files(cfg)


def skip_file(rel: str, cfg: ProjectConfig, own: Own | None = None) -> bool:
    """Files never recorded: hidden ones (or under hidden folders), reelprov's own, sidecars, ignored."""
    dirs, files = own if own is not None else own_paths(cfg)
    parts = rel.split("/")
    name = parts[-1]
    if any(p.startswith(".") for p in parts) or rel in files:
        return True
    if any(rel.startswith(d + "/") for d in dirs):
        return True
    return is_sidecar(name) or ignored(rel, name, cfg.ignore)


def walk(
    cfg: ProjectConfig,
    errors: list[dict[str, str]],
    *,
    under: str | None = None,
    links: list[str] | None = None,
) -> Iterator[Candidate]:
    """Every recordable file: no hidden files, no .reelprov/, no sidecars, no ignore-listed names.
    Symbolic links are not followed unless [scan] follow_symlinks; LINKS collects the ones passed by."""
    root = str(cfg.root)
    own = own_paths(cfg)
    seen_dirs: set[tuple[int, int]] = set()
    start = os.path.join(root, under) if under else root
    if under and not os.path.isdir(start):
        # one file (`reelprov scan vfx/sh010.exr`), or nothing there: what was recorded under it is gone
        if os.path.isfile(start) or (cfg.follow_symlinks and os.path.exists(start)):
            yield from _one_file(cfg, under, start, own, links, errors)
        return
    stack = [start]
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                errors.append(
                    {"path": _rel(root, d), "error": "symlink loop: folder already walked, skipped"}
                )
                continue
            seen_dirs.add(key)
            entries = list(os.scandir(d))
        except OSError as exc:
            errors.append(
                {"path": _rel(root, d), "error": f"cannot list folder: {exc.strerror or exc}"}
            )
            continue
        has_sidecars = any(is_sidecar(x.name) for x in entries)
        rel_d = _rel(root, d)
        for e in sorted(entries, key=lambda x: x.name, reverse=True):
            name = e.name
            if name.startswith("."):
                continue
            full = os.path.join(d, name)
            rel = name if rel_d == "." else f"{rel_d}/{name}"
            why = bad_name(rel)
            if why:
                errors.append({"path": rel, "error": why})
                continue
            try:
                is_link = e.is_symlink()
                if is_link and not cfg.follow_symlinks:
                    if links is not None:
                        links.append(rel)
                    continue
                if is_link and (outside := _outside(cfg, full)) is not None:
                    errors.append({"path": rel, "error": outside})
                    continue
                if e.is_dir(follow_symlinks=cfg.follow_symlinks):
                    if rel not in own[0] and not ignored(rel, name, cfg.ignore):
                        stack.append(full)
                    continue
                if not e.is_file(follow_symlinks=cfg.follow_symlinks):
                    continue
                if skip_file(rel, cfg, own):
                    continue
                st = e.stat(follow_symlinks=cfg.follow_symlinks)
            except OSError as exc:
                errors.append({"path": rel, "error": f"cannot stat: {exc.strerror or exc}"})
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            yield _candidate(rel, full, st, has_sidecars)


def _outside(cfg: ProjectConfig, full: str) -> str | None:
    """Why the symbolic link at FULL is not followed: its target lies outside the project root and
    every [scan] symlink_targets folder (a link to /etc or another show); None when it may be."""
    target = os.path.realpath(full)
    for place in (str(cfg.root), *cfg.symlink_targets):
        base = os.path.realpath(place)
        if target == base or target.startswith(base.rstrip("/") + "/"):
            return None
    return (
        f"symbolic link to {shown(target)}, outside the project: not followed; add that folder to [scan] "
        "symlink_targets in reelprov.toml to record what it holds"
    )


def _one_file(
    cfg: ProjectConfig,
    rel: str,
    full: str,
    own: Own,
    links: list[str] | None,
    errors: list[dict[str, str]],
) -> Iterator[Candidate]:
    """The scan of one named file: recorded as the walk would record it, or passed by for the same reasons."""
    if (why := bad_name(rel)) is not None:
        errors.append({"path": rel, "error": why})
        return
    parts = rel.split("/")
    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    if skip_file(rel, cfg, own) or any(
        f in own[0] or ignored(f, f.rsplit("/", 1)[-1], cfg.ignore) for f in folders
    ):
        return  # what the walk passes by, it passes by here too (an ignored folder's files included)
    if not cfg.follow_symlinks and any(
        os.path.islink(os.path.join(cfg.root, x)) for x in [*folders, rel]
    ):
        if links is not None:
            links.append(rel)
        return
    if cfg.follow_symlinks and (outside := _outside(cfg, full)) is not None:
        errors.append({"path": rel, "error": outside})
        return
    try:
        st = os.stat(full)
    except OSError as exc:
        errors.append({"path": rel, "error": f"cannot stat: {exc.strerror or exc}"})
        return
    if stat.S_ISREG(st.st_mode):
        try:
            has_sidecars = any(is_sidecar(x) for x in os.listdir(os.path.dirname(full)))
        except OSError:
            has_sidecars = True  # cannot tell: the extractors look for its sidecars themselves
        yield _candidate(rel, full, st, has_sidecars)


def _candidate(rel: str, full: str, st: os.stat_result, has_sidecars: bool) -> Candidate:
    """A file to examine; its folder holds sidecars (HAS_SIDECARS): its signature counts its own."""
    return Candidate(
        rel,
        full,
        st.st_size,
        _sig_mtime(full, st.st_mtime_ns) if has_sidecars else st.st_mtime_ns,
        has_sidecars,
        st.st_ctime_ns,
        inode_of(st),
    )


def _sig_mtime(full: str, mtime_ns: int) -> int:
    """The file's mtime, or a sidecar's if newer (editing NAME.xmp re-examines NAME), plus one
    nanosecond per sidecar: removing or adding a sidecar older than the file changes it too."""
    best, count = mtime_ns, 0
    for cand in all_candidates(Path(full)):
        try:
            best = max(best, os.stat(cand).st_mtime_ns)
            count += 1
        except OSError:
            pass
    return best + count


def _rel(root: str, full: str) -> str:
    rel = os.path.relpath(full, root)
    return "." if rel == "." else rel.replace(os.sep, "/")


def _task(c: Candidate, trust: str | None) -> Task:
    return (c.abs, c.rel, c.mtime_ns, trust, c.sidecars)


# The evidence row of a file whose reading crashed the process reading it.
CRASHED = (
    "reading it stopped the process that read it (a crash in a library reading this format): "
    "nothing was read from it, so its origin is unknown; the file may be damaged or made to attack "
    "readers: check it, replace it or add it to [scan] ignore"
)


def timed_out(seconds: float) -> str:
    """The evidence row of a file whose reading ran past [scan] read_timeout_seconds."""
    return (
        f"reading it took longer than {seconds:g} s ([scan] read_timeout_seconds), so the process reading it was "
        "stopped: nothing was read from it, so its origin is unknown; the file may be damaged or made to stall "
        "readers: check it, replace it or add it to [scan] ignore"
    )


# In an examining worker: how long one file may take to read (0: no limit; set by _worker_init).
_DEADLINE = 0.0


def _examine_one(args: Task, unread: str | None = None) -> dict[str, Any]:
    path, rel, sig_mtime, trust, sidecars = args
    import signal

    if _DEADLINE and unread is None:
        # SIGALRM left at its default action ends this process even inside native code (a regular
        # expression, a decoder) that never returns to Python; the reader sees it and reads the file
        # again alone, then records it unread.
        signal.setitimer(signal.ITIMER_REAL, _DEADLINE)
    try:
        res = examine(path, rel, trust_anchors=trust, sidecars=sidecars, unread=unread)
        res["mtime_ns"] = max(res["mtime_ns"], sig_mtime)
        return res
    except OSError as exc:
        return {"path": rel, "error": f"cannot read: {exc.strerror or exc}"}
    finally:
        if _DEADLINE and unread is None:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _worker_init(parent: int, deadline: float) -> None:
    """In each examining worker: end with the scan (or watcher) that forked it; take the per-file
    read deadline, with SIGALRM (and SIGTERM) back at their default actions."""
    import signal

    global _DEADLINE
    _DEADLINE = deadline
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the scan, which ends its workers
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """In each examining worker: end when the scan (or watcher) that forked it ends, even by
    kill -9. Otherwise an orphaned worker waits on its task pipe forever, the ledger file open."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's own shutdown still ends workers of a parent that exits normally
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _examine_chunk(chunk: list[Task]) -> list[dict[str, Any]]:
    return [_examine_one(a) for a in chunk]


def _chunks(todo: list[Candidate], trust: str | None, workers: int) -> Iterator[list[Task]]:
    """TODO's files in walk order, in chunks of CHUNK_FILES files and CHUNK_BYTES at most."""
    most = max(1, min(CHUNK_FILES, len(todo) // (workers * 4)))
    chunk: list[Task] = []
    size = 0
    for c in todo:
        if chunk and (len(chunk) >= most or size + c.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(_task(c, trust))
        size += c.size
    if chunk:
        yield chunk


def _pool(workers: int, deadline: float) -> ProcessPoolExecutor:
    import multiprocessing

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_init,
        initargs=(os.getpid(), deadline),
    )


def _end(pool: ProcessPoolExecutor) -> None:
    """Stop POOL at once: its workers killed (one may be stuck in a file), nothing more started."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _examined(
    todo: list[Candidate], trust: str | None, workers: int, deadline: float
) -> Iterator[dict[str, Any]]:
    workers = 1 if len(todo) < PARALLEL_THRESHOLD else max(1, workers)
    chunks = list(_chunks(todo, trust, workers))
    done = 0
    while done < len(chunks):
        pool = _pool(workers, deadline)
        try:
            for results in pool.map(_examine_chunk, chunks[done:]):
                yield from results
                done += 1
        except BrokenProcessPool:
            # A worker died reading (native code of a reader library crashed on a damaged or hostile
            # file, it ran past the read deadline, or it was killed): the chunk awaited is read again a
            # file at a time, each in a process of its own; a file that ends that one too is recorded
            # unread, saying why.
            pool.shutdown(wait=True, cancel_futures=True)
            yield from (_examine_alone(t, deadline) for t in chunks[done])
            done += 1
            continue
        except BaseException:  # interrupted (Ctrl-C, the watcher told to stop): end the readers now
            _end(pool)
            raise
        pool.shutdown(wait=True)


def _examine_alone(task: Task, deadline: float) -> dict[str, Any]:
    """Read one file in a process of its own; one that ends that process (a crash, or past the
    deadline) is recorded unread with the reason."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        _worker_init(parent, deadline)
        send.send(_examine_one(task))

    parent = os.getpid()
    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()
    try:
        # the deadline ends the child; the margin covers its start and a slow machine
        if recv.poll(deadline + 30 if deadline else None):
            try:
                return recv.recv()  # type: ignore[no-any-return]
            except EOFError:
                pass  # it died before sending anything
        proc.join(5)
    except BaseException:
        proc.kill()
        raise
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()
    why = (
        timed_out(deadline)
        if proc.exitcode in (-signal.SIGALRM, None) or proc.exitcode == -signal.SIGKILL
        else CRASHED
    )
    return _examine_one(task, unread=why)


class Readers:
    """Examining processes kept by a long-running reader that reads files one at a time from its
    threads (the watcher): a crash in a reader library on a damaged or hostile file, or a file that
    takes longer than the read deadline, ends one of them, not the reader; that file is read again
    alone (_examine_alone) and the next files go to fresh processes. Started on first use; close()
    ends them."""

    def __init__(self, workers: int, deadline: float = 0.0) -> None:
        self.workers = max(1, workers)
        self.deadline = deadline
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def examine(self, task: Task) -> dict[str, Any]:
        with self._lock:
            pool = self._pool = self._pool or _pool(self.workers, self.deadline)
        try:
            return pool.submit(_examine_one, task).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return _examine_alone(task, self.deadline)

    def close(self, *, now: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            if now:
                _end(pool)
            else:
                pool.shutdown(wait=True, cancel_futures=True)


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
    vanished_by_sha = _by_sha(vanished)
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
    for res in _examined(todo, project.trust_anchors, workers, project.cfg.read_timeout):
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
            _write(project, pending, vanished_by_sha, vanished, rep)
            pending = []
        if progress and (done % 16 == 0 or done == total):
            progress("examine", done, total)
    if elsewhere:
        _borrow_moved_from(moves, elsewhere, live, vanished, vanished_by_sha, str(cfg.root))
    scope = sum(1 for p in live if in_scope(p))
    _write(
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
        for r in sorted(results, key=lambda r: not _same_name(r["path"], gone)):
            if len(olds) >= len(results) or not gone:
                break
            src = _same_name(r["path"], gone) or gone[0]
            gone.remove(src)
            olds.append(src)
            vanished[src] = live[src]


def _by_sha(vanished: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Vanished paths grouped by the content hash they last had: where a move may have gone."""
    out: dict[str, list[str]] = {}
    for p, (_aid, sha) in sorted(vanished.items()):
        out.setdefault(sha, []).append(p)
    return out


def _same_name(path: str, olds: Iterable[str]) -> str | None:
    """The first of OLDS with PATH's file name."""
    name = path.rpartition("/")[2]
    return next((o for o in olds if o.rpartition("/")[2] == name), None)


def _write(
    project: Project,
    results: list[dict[str, Any]],
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
        results, key=lambda r: not _same_name(r["path"], vanished_by_sha.get(r["sha256"], ()))
    )
    with project.batch() as b:
        b.preload_paths([r["path"] for r in results] + sorted(vanished))
        missing = set(vanished)
        for r in results:
            record_file(b, r, rep, vanished_by_sha, vanished)
            if Path(r["path"]).suffix.lower() in TIMELINES:
                rep.timelines.append(r["path"])
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
                for path in sorted(set(vanished) | {r["path"] for r in results})
                if not os.path.lexists(root / path)
            ]
            if hold_over is not None and len(gone) > hold_over:
                rep.held = gone
                gone = []
            for path in gone:
                for aid in b.asset_ids_at(path):
                    b.append("deleted", aid, {"path": path})
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
    r: dict[str, Any],
    rep: ScanReport | None = None,
    vanished_by_sha: dict[str, list[str]] | None = None,
    vanished: dict[str, tuple[str, str]] | None = None,
) -> str:
    """Append what one examined file means for the ledger; returns the asset id."""
    content = {"sha256": r["sha256"], "size": r["size"], "media_type": r["media_type"]}
    ids = b.asset_ids_at(r["path"])
    kind: Change | None = None
    moved_from: str | None = None
    if ids:
        aid = ids[0]
        asset = b.proj.asset(aid)
        assert asset is not None
        if asset["sha256"] != r["sha256"]:
            b.append("changed", aid, {"path": r["path"], "prev_sha256": asset["sha256"], **content})
            kind = "changed"
    else:
        aid = ""
        olds = (vanished_by_sha or {}).get(r["sha256"], [])
        while olds and not aid:
            old = (
                _same_name(r["path"], olds) or olds[0]
            )  # a vanished path with this content: the file moved here
            olds.remove(old)
            moved = b.asset_ids_at(old)
            if moved:
                aid = moved[0]
                b.append("moved", aid, {"from": old, "to": r["path"], **content})
                kind, moved_from = "moved", old
                if vanished is not None:
                    vanished.pop(old, None)
        if not aid:
            back = b.deleted_asset_at(
                r["path"], r["sha256"]
            )  # the same file put back where it was deleted from
            aid, kind = (back, "restored") if back else (b.new_asset_id(), "seen")
            b.append("seen", aid, {"path": r["path"], "mtime_ns": r["mtime_ns"], **content})
    asset = b.proj.asset(aid)
    assert asset is not None
    if asset["evidence_sha256"] != r["sha256"] or _evidence_differs(asset, r):
        # new content, or the same content with other evidence: a sidecar added, edited or removed
        b.append(
            "evidence", aid, {"sha256": r["sha256"], "evidence": r["evidence"], "c2pa": r["c2pa"]}
        )
        if rep:
            rep.evidence += 1
        kind = kind or "reread"
    if kind and rep:
        setattr(rep, kind, getattr(rep, kind) + 1)
        if kind in ("seen", "restored", "moved"):
            rep.arrived.append(r["path"])
    if kind:
        b.emit(
            AssetRecorded(
                change=kind,
                asset=aid,
                path=r["path"],
                sha256=r["sha256"],
                origin=asset["origin"],
                tools=list(asset["tools"]),
                moved_from=moved_from,
            )
        )
    return aid


def _evidence_differs(asset: dict[str, Any], r: dict[str, Any]) -> bool:
    return bool(
        asset["evidence"] != r["evidence"]
        or asset["c2pa_state"] != r["c2pa"].get("state")
        or asset["c2pa_present"] != bool(r["c2pa"].get("present"))
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


def candidates_for(
    cfg: ProjectConfig, rels: set[str], rep: ScanReport
) -> tuple[dict[str, Candidate], set[str]]:
    """The recordable files at or under RELS, and which of RELS no longer exist."""
    root = str(cfg.root)
    cands: dict[str, Candidate] = {}
    gone: set[str] = set()
    for rel in sorted(rels):
        why = bad_name(rel)
        if why:
            rep.errors.append({"path": rel, "error": why})
            continue
        if not os.path.exists(os.path.join(root, rel)):
            gone.add(rel)
            continue
        # a folder or one file, passed by for what the walk passes by (an ignored folder, a link)
        for c in walk(cfg, rep.errors, under=rel):
            cands[c.rel] = c
    return cands, gone


def unchanged(project: Project, c: Candidate) -> bool:
    """True when the scan cache says C's content is already recorded (same size, times and inode)."""
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        cached = filestate.lookup(rd, pid, c.rel)
        if cached is None or not cached.same(c.size, c.mtime_ns, c.ctime_ns, c.inode):
            return False
        return queries.live_with_content(rd, pid, c.rel, cached.sha256)


def examine_candidate(
    c: Candidate, trust: str | None, readers: Readers | None = None
) -> dict[str, Any]:
    """Read one file: in one of READERS' processes, else in this one."""
    return (
        readers.examine(_task(c, trust)) if readers is not None else _examine_one(_task(c, trust))
    )


def record_results(
    project: Project, results: list[dict[str, Any]], gone: set[str], rep: ScanReport | None = None
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
    vanished_by_sha = _by_sha(vanished)
    ok = []
    for res in results:
        if "error" in res:
            rep.errors.append({"path": res["path"], "error": res["error"]})
        else:
            ok.append(res)
    _write(project, ok, vanished_by_sha, vanished, rep, final=True)
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
        b.emit(
            AssetRecorded(
                change="moved",
                asset=aid,
                path=new,
                sha256=asset["sha256"],
                origin=asset["origin"],
                tools=list(asset["tools"]),
                moved_from=path,
            )
        )
        rep.moved += 1
        rep.arrived.append(new)
        filestate.move(b.conn, b.project, path, new)
