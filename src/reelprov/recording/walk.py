"""Walking the project tree: every recordable file as a Candidate, what is passed by and why."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reelprov.config import CONFIG_NAME, STATE_DIR, ProjectConfig
from reelprov.extract.examined import FileError
from reelprov.extract.sidecars import all_candidates, is_sidecar
from reelprov.files import inode_of
from reelprov.globs import any_matches, walk_ignores, walk_matchers
from reelprov.names import bad_name, shown
from reelprov.spill import SortedSpill


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


def ignored(rel: str, patterns: Iterable[str]) -> bool:
    """Is REL (a file or folder) named by a `[scan] ignore` pattern (reelprov.globs)?"""
    return any_matches(rel, patterns)


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
    return is_sidecar(name) or ignored(rel, cfg.ignore)


def walk(
    cfg: ProjectConfig,
    errors: list[FileError],
    *,
    under: str | None = None,
    links: list[str] | None = None,
) -> Iterator[Candidate]:
    """Every recordable file: no hidden files, no .reelprov/, no sidecars, no ignore-listed names.
    Symbolic links are not followed unless [scan] follow_symlinks; LINKS collects the ones passed by.

    Files come in the byte order of their paths (the order the ledger sorts them in, so a scan can
    compare the two side by side): each folder's names are sorted with a "/" after folder names,
    and a folder is walked where its name falls. Memory holds the listings of the folders on the
    way down, never the tree."""
    root = str(cfg.root)
    own = own_paths(cfg)
    seen_dirs: set[tuple[int, int]] = set()
    start = os.path.join(root, under) if under else root
    if under and not os.path.isdir(start):
        # one file (`reelprov scan vfx/sh010.exr`), or nothing there: what was recorded under it is gone
        if os.path.isfile(start) or (cfg.follow_symlinks and os.path.exists(start)):
            yield from _one_file(cfg, under, start, own, links, errors)
        return
    if under and (_passed_by_folder(under, own) or ignored(under, cfg.ignore)):
        return  # a hidden, ignored or reelprov's own folder: nothing in it is recorded
    # per folder on the way down: its path, root-relative path, whether it holds sidecars, and the
    # names left to visit (a folder's ends with "/")
    stack: list[tuple[str, str, bool, Iterator[str]]] = []
    listed = _listing(cfg, start, _rel(root, start), own, seen_dirs, links, errors)
    if listed is not None:
        stack.append((start, _rel(root, start), *listed))
    while stack:
        d, rel_d, has_sidecars, names = stack[-1]
        key = next(names, None)
        if key is None:
            stack.pop()
            continue
        name = key.rstrip("/")
        full = f"{d}/{name}"
        rel = name if rel_d == "." else f"{rel_d}/{name}"
        if key[-1] == "/":
            listed = _listing(cfg, full, rel, own, seen_dirs, links, errors)
            if listed is not None:
                stack.append((full, rel, *listed))
            continue
        try:
            st = os.stat(full, follow_symlinks=cfg.follow_symlinks)
        except OSError as exc:
            errors.append({"path": rel, "error": f"cannot stat: {exc.strerror or exc}"})
            continue
        if stat.S_ISREG(st.st_mode):
            yield _candidate(rel, full, st, has_sidecars)


# Names of one folder held in memory to sort them; past this many (a million frames in one folder)
# they are sorted on disk in runs (reelprov.spill), so memory stays bounded however large a folder.
SPILL_NAMES = 50_000


def _unlistable(d: str, exc: OSError) -> str:
    """Why folder D could not be listed, and what to do when it is the path's length."""
    if exc.errno == errno.ENAMETOOLONG:
        size = len(os.fsencode(d))
        limit = os.pathconf("/", "PC_PATH_MAX") - 1  # PATH_MAX counts the byte ending the path
        return (
            f"cannot list folder: its path is {size:,} bytes, over this system's limit "
            f"({limit:,}), so nothing can open the files under it by path; move them to a folder "
            "nearer the project root"
        )
    return f"cannot list folder: {exc.strerror or exc}"


def _listing(
    cfg: ProjectConfig,
    d: str,
    rel_d: str,
    own: Own,
    seen_dirs: set[tuple[int, int]],
    links: list[str] | None,
    errors: list[FileError],
) -> tuple[bool, Iterator[str]] | None:
    """Folder D's names to visit, sorted as their paths sort ("name/" for a folder), and whether
    it holds sidecars; None when it cannot be listed (said in ERRORS) or was walked already."""
    try:
        st = os.stat(d)
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            errors.append({"path": rel_d, "error": "symlink loop: folder already walked, skipped"})
            return None
        seen_dirs.add(key)
        entries = os.scandir(d)
    except OSError as exc:
        errors.append({"path": rel_d, "error": _unlistable(d, exc)})
        return None
    names: list[str] = []
    spill: SortedSpill | None = None
    has_sidecars = False
    own_files = own[1]
    ignore = walk_matchers(tuple(cfg.ignore))
    with entries:
        for e in entries:
            if len(names) >= SPILL_NAMES:  # a huge folder: its names sorted on disk
                spill = spill or SortedSpill()
                spill.extend(names)
                names = []
            name = e.name
            sidecar = is_sidecar(name)
            has_sidecars = has_sidecars or sidecar
            if name.startswith("."):
                continue
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
                if is_link and (outside := _outside(cfg, os.path.join(d, name))) is not None:
                    errors.append({"path": rel, "error": outside})
                    continue
                if e.is_dir(follow_symlinks=cfg.follow_symlinks):
                    if rel not in own[0] and not ignored(rel, cfg.ignore):
                        names.append(name + "/")
                    continue
                # what skip_file passes by, less what the folders above already settled (none of
                # them hidden or reelprov's own)
                if (
                    e.is_file(follow_symlinks=cfg.follow_symlinks)
                    and not sidecar
                    and rel not in own_files
                    and not walk_ignores(name, rel, ignore)
                ):
                    names.append(name)
            except OSError as exc:
                errors.append({"path": rel, "error": f"cannot stat: {exc.strerror or exc}"})
    if spill is not None:
        spill.extend(names)
        return has_sidecars, iter(spill)
    names.sort()
    return has_sidecars, iter(names)


def _passed_by_folder(rel: str, own: Own) -> bool:
    """Is folder REL hidden, under a hidden folder, or reelprov's own (or under it)?"""
    return any(p.startswith(".") for p in rel.split("/")) or any(
        rel == d or rel.startswith(d + "/") for d in own[0]
    )


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
    errors: list[FileError],
) -> Iterator[Candidate]:
    """The scan of one named file: recorded as the walk would record it, or passed by for the same reasons."""
    if (why := bad_name(rel)) is not None:
        errors.append({"path": rel, "error": why})
        return
    parts = rel.split("/")
    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    if skip_file(rel, cfg, own) or any(f in own[0] or ignored(f, cfg.ignore) for f in folders):
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


def candidates_for(
    cfg: ProjectConfig, rels: set[str], errors: list[FileError]
) -> tuple[dict[str, Candidate], set[str]]:
    """The recordable files at or under RELS, and which of RELS no longer exist."""
    root = str(cfg.root)
    cands: dict[str, Candidate] = {}
    gone: set[str] = set()
    for rel in sorted(rels):
        why = bad_name(rel)
        if why:
            errors.append({"path": rel, "error": why})
            continue
        if not os.path.exists(os.path.join(root, rel)):
            gone.add(rel)
            continue
        # a folder or one file, passed by for what the walk passes by (an ignored folder, a link)
        for c in walk(cfg, errors, under=rel):
            cands[c.rel] = c
    return cands, gone
