"""Matching a clip's references (paths from another machine, file names, frame sequences) to the
assets the ledger recorded."""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from reelprov.cuts.frames import (
    FrameIndex,
    Known,
    Sequence,
    frame_parts,
    name_key,
    number_runs,
    runs,
)
from reelprov.cuts.timeline import plain
from reelprov.ledger import queries
from reelprov.ledger.records import Matched
from reelprov.names import same_form
from reelprov.project import Project


@dataclass
class Asset:
    id: str
    path: str
    live: bool = True


# A Windows path, or a file URL's path for one: "D:/SHOW/..." or "/D:/SHOW/...".
_DRIVE = re.compile(r"^/?([A-Za-z]:)(?=/|$)")


def _slashed(path: str) -> tuple[str, str]:
    """PATH with forward slashes and a file URL's "/D:" as "D:", and the same in the form it
    compares in with path_map's prefixes: a drive path in lower case (Windows ignores case)."""
    path = path.replace("\\", "/")
    m = _DRIVE.match(path)
    if m is None:
        return path, path
    path = m.group(1) + path[m.end() :]
    return path, path.lower()


def _mapped(ref: str, path_map: dict[str, str], root: Path) -> str:
    """REF with the longest path_map prefix it starts with (at a folder boundary) made the mapped
    folder under ROOT; as it was if none does."""
    path, ours = _slashed(ref)
    for src, dst in sorted(path_map.items(), key=lambda kv: -len(kv[0])):
        prefix = _slashed(src)[1].rstrip("/")
        if ours == prefix or ours.startswith(prefix + "/"):
            return str(root / dst / path[len(prefix) :].lstrip("/"))
    return ref


def _to_rel(ref: str, project: Project, cut_dir: Path) -> str | None:
    ref = _mapped(plain(ref), project.cfg.path_map, project.root)
    ref = ref.replace("\\", "/")
    p = Path(ref)
    root = project.root.resolve()
    cands = [p] if p.is_absolute() else [cut_dir / p, root / p]
    for c in cands:
        try:
            return PurePosixPath(Path(os.path.normpath(c)).relative_to(root)).as_posix()
        except ValueError:
            continue
    return None


def match_clip(
    clip: Any,
    name: str | None,
    refs: list[str],
    project: Project,
    cut_file: Path,
    known: Lookup,
) -> tuple[Asset | None, list[str], str | None]:
    """The asset a clip shows, the paths of other live assets its name fitted as well (then the
    choice was a guess), and how it was found: by path, then file name, then clip or reel name."""
    for ref in refs:
        rel = _to_rel(ref, project, cut_file.parent)
        if rel and (found := known.at_path(same_form(rel))) is not None:
            return found, [], "path"
    for ref in refs:
        hits = known.named(_file_name(ref))
        if hits:
            return *_likeliest(hits, ref), "file name"
    reel = (
        (clip.metadata.get("cmx_3600", {}) or {}).get("reel")
        if hasattr(clip.metadata, "get")
        else None
    )
    for cand, how in ((name, "clip name"), (reel, "reel name")):
        hits = known.named(same_form(str(cand).lower())) if cand else []
        if hits:
            return *_likeliest(hits, refs[0] if refs else ""), how
    return None, [], None


def match_sequence(
    seq: Sequence, project: Project, cut_file: Path, known: Lookup
) -> tuple[Matched | None, range | None]:
    """The frame files of SEQ the clip shows, as an event's asset (its first frame found), path and
    `sequence`, None if the ledger has none of them; and the frames the timeline shows, None where
    it does not say. Found in the folder the timeline names, else (a share mounted elsewhere) in
    the folder of that name sharing most of its path."""
    folders = known.frame_folders(seq)
    if not folders:
        return None, None
    rel = _to_rel(seq.folder, project, cut_file.parent) if seq.folder else None
    rel = "" if rel == "." else same_form(rel) if rel is not None else None
    tied: list[str] = []
    if rel is not None and rel in folders:
        folder, how = rel, "path"
    else:
        theirs = _parts(seq.folder or "")
        score = {f: (_shared_tail(_parts(f), theirs), len(frames)) for f, frames in folders.items()}
        folder = max(sorted(folders), key=lambda f: score[f])
        tied = sorted(f"{f}/" for f in folders if f != folder and score[f][0] == score[folder][0])
        how = "file name"
    frames = folders[folder]
    told = seq.frames
    if seq.by_timecode is not None and any(n in seq.by_timecode for n in frames):
        told = (
            seq.by_timecode
        )  # the EDL's timecode names frames that are there: it counts frame numbers
    if told is None:  # the timeline does not say which frames: every one there is counts
        shown = dict(sorted(frames.items()))
        missing: list[str] = []
    else:
        shown = {n: frames[n] for n in sorted(frames) if n in told}
        missing = (
            runs(n for n in told if n not in frames)
            if len(told) <= 1_000_000
            else [f"{len(told) - len(shown):,} frames"]
        )
    if not shown:
        return None, None
    first = next(iter(shown.values()))
    parts = frame_parts(first.path)  # named as the files are, whatever case the timeline used
    assert parts is not None  # the index holds frame files only
    label = Sequence(parts[0] or None, parts[1], parts[3], seq.padding, None).label
    event: Matched = {
        "asset": first.id,
        "path": first.path,
        "matched_by": f"sequence {how}",
        "sequence": {
            "path": label,
            "shown": f"{told[0]}-{told[-1]}" if told else None,
            "numbers": number_runs(shown),
            "assets": [a.id for a in shown.values()],
            "missing": missing,
        },
    }
    if tied:
        event["also_fits"] = tied
    return event, told


def has_next_frame(known: Lookup, seq: Sequence, first_path: str) -> bool:
    """Whether the folder of FIRST_PATH, a frame file of SEQ, holds the frame numbered after it: a
    sequence, not a single numbered still."""
    parts = frame_parts(first_path)
    if parts is None:
        return False
    after = int(parts[2]) + 1
    probe = replace(seq, frames=range(after, after + 1), by_timecode=None)
    return after in known.frame_folders(probe).get(same_form(parts[0]), {})


def _file_name(text: str) -> str:
    """A media path's or clip's file name as names compare: its last part, lower case, one Unicode
    form (NFD from a Mac share, NFC from the editor)."""
    return same_form(plain(text).replace("\\", "/").rsplit("/", 1)[-1].lower())


def name_keys(text: str) -> set[str]:
    """The names a file answers to in a cut: its file name, with and without extension."""
    base = _file_name(text)
    return {base, base.rsplit(".", 1)[0]} - {""}


def _likeliest(hits: list[Asset], ref: str) -> tuple[Asset, list[str]]:
    """Of the assets sharing a clip's file name, the one whose path shares most folders with the
    clip's media path (`/Volumes/SHOW/final/vfx/sh010.png` is final/vfx/sh010.png, not temp/vfx/
    sh010.png, on a share mounted elsewhere); on a tie, the first (live before deleted, latest first),
    with the other live assets that tied."""
    if len(hits) == 1:
        return hits[0], []
    theirs = _parts(ref)
    score = {a.id: _shared_tail(_parts(a.path), theirs) for a in hits}
    best = max(hits, key=lambda a: score[a.id])  # max keeps the first of equals
    tied = sorted(
        {a.path for a in hits if a.live and a.id != best.id and score[a.id] == score[best.id]}
    )
    return best, tied


def _parts(path: str) -> list[str]:
    return [same_form(p.lower()) for p in path.replace("\\", "/").split("/") if p]


def _shared_tail(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


class Lookup(Protocol):
    """The ledger's assets as a cut import asks for them: by path (in one Unicode form), by name
    (`name_keys`, and a clip's or reel's name in lower case), and the frame files of a sequence by
    folder, then frame number (`FrameIndex.folders`)."""

    def at_path(self, key: str) -> Asset | None: ...

    def named(self, key: str) -> list[Asset]: ...

    def frame_folders(self, seq: Sequence) -> dict[str, dict[int, Known]]: ...

    def expect(self, seq: Sequence | None) -> None:
        """Frames of SEQ a clip may show, found out only once its asset is (an XML timeline names
        a sequence by the first frame file): read with the rest rather than on their own."""


@dataclass
class Asking:
    """A Lookup that finds nothing and notes what it was asked: a first pass over a timeline
    learns which paths, names and sequences its clips name, so that the assets kept for the
    second pass are those and not the whole project (`Catalog`)."""

    paths: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    # each sequence's name (name_key) and the spans of frame numbers asked for, None for every frame
    frames: dict[tuple[str, str], list[Span] | None] = field(default_factory=dict)

    def at_path(self, key: str) -> Asset | None:
        self.paths.add(key)
        return None

    def named(self, key: str) -> list[Asset]:
        self.names.add(key)
        return []

    def frame_folders(self, seq: Sequence) -> dict[str, dict[int, Known]]:
        key, need = name_key(seq.prefix, seq.suffix), _spans(seq)
        if key not in self.frames:
            self.frames[key] = need
        elif (have := self.frames[key]) is not None:
            self.frames[key] = None if need is None else have + need
        return {}

    def expect(self, seq: Sequence | None) -> None:
        if seq is not None:
            self.frame_folders(seq)


Span = tuple[int, int]  # the first and last frame number of a run, both included


def _spans(seq: Sequence) -> list[Span] | None:
    """The frame numbers matching SEQ may look at, None for every frame: those the timeline shows,
    and those its source timecode counts (an EDL's other reading: frames.Sequence.by_timecode)."""
    if seq.frames is None:
        return None
    return [(r[0], r[-1]) for r in (seq.frames, seq.by_timecode) if r]


def _merged(spans: list[Span] | None) -> list[Span] | None:
    """SPANS sorted, overlapping and adjacent ones made one (a lookup is then a bisection: a cut
    of 3,000 clips of `plate.####.exr` in as many folders asks 6,000 spans of one name)."""
    if spans is None:
        return None
    out: list[Span] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _in(number: int, spans: list[Span] | None) -> bool:
    """Whether NUMBER is in SPANS (merged), None meaning every number."""
    if spans is None:
        return True
    i = bisect.bisect_right(spans, number, key=lambda s: s[0]) - 1
    return i >= 0 and number <= spans[i][1]


def _covered(need: list[Span] | None, have: list[Span] | None) -> bool:
    """Whether the frames NEED (None: all) are among those read, HAVE (merged; None: all): each
    span of NEED inside one span of HAVE."""
    if have is None:
        return True
    if need is None:
        return False
    for a, b in need:
        i = bisect.bisect_right(have, a, key=lambda s: s[0]) - 1
        if i < 0 or b > have[i][1]:
            return False
    return True


class Catalog:
    """The assets a timeline's clips can show, read in one pass over the project's assets, keeping
    only those whose path, name or sequence frames the first pass (ASKED) met: memory grows with
    the cut, not the project (nor with a 100,000-frame folder the cut shows 96 frames of). Live
    ones first, then ones deleted from the project (an edit keeps using media that went offline,
    and that media's evidence and flags still count), the latest first. Frames the first pass
    could not know of (an XML timeline names a sequence by the first frame file of an asset it
    finds by name) are read in another pass when asked for."""

    def __init__(self, project: Project, asked: Asking) -> None:
        self._project = project
        self._by_path: dict[str, Asset] = {}
        self._by_name: dict[str, list[Asset]] = {}
        # the frames read, by sequence name
        self._spans = {key: _merged(spans) for key, spans in asked.frames.items()}
        self._frames = FrameIndex(())
        self._later = 0
        paths, names = asked.paths, asked.names
        kept = self._read(
            lambda path: (
                same_form(path) in paths
                or not names.isdisjoint(name_keys(path))
                or self._wanted_frame(path)
            )
        )
        for a in kept:
            self._by_path.setdefault(same_form(a.path), a)
            for key in name_keys(a.path):
                self._by_name.setdefault(key, []).append(a)
        self._frames.add(a for a in self._by_path.values() if self._wanted_frame(a.path))

    def _wanted_frame(self, path: str) -> bool:
        parts = frame_parts(path)
        if parts is None:
            return False
        key = name_key(parts[1], parts[3])
        return key in self._spans and _in(int(parts[2]), self._spans[key])

    def _read(self, keep: Any) -> list[Asset]:
        rd = self._project.reader
        with rd.snapshot():  # on PostgreSQL a server-side cursor: a chunk of rows at a time
            rows = [
                r for r in queries.asset_places(rd, self._project.cfg.project_id) if keep(r["path"])
            ]
        rows.sort(key=lambda r: (bool(r["deleted"]), -r["last_seq"]))
        return [Asset(r["id"], r["path"], not r["deleted"]) for r in rows]

    def __len__(self) -> int:
        """How many assets it holds (a path counted again if a later pass read it too)."""
        return len(self._by_path) + self._later

    def at_path(self, key: str) -> Asset | None:
        return self._by_path.get(key)

    def named(self, key: str) -> list[Asset]:
        return self._by_name.get(key, [])

    def frame_folders(self, seq: Sequence) -> dict[str, dict[int, Known]]:
        """The folders holding frames of SEQ, with those of its frames the timeline may show (the
        frames another clip of the same name asked for are not counted: a clip's answer is its own)."""
        key, need = name_key(seq.prefix, seq.suffix), _merged(_spans(seq))
        if key not in self._spans or not _covered(need, self._spans[key]):
            self._spans[key] = None  # every frame of that name, read again
            first: dict[str, Asset] = {}  # the first of a path wins, as in the main pass
            for a in self._read(lambda path: _frame_key(path) == key):
                first.setdefault(same_form(a.path), a)
            self._frames.add(first.values())  # frames read before stay as they were
            self._later += len(first)
        out: dict[str, dict[int, Known]] = {}
        for folder, frames in self._frames.folders(seq):
            if shown := {n: a for n, a in frames.items() if _in(n, need)}:
                out[folder] = shown
        return out

    def expect(self, seq: Sequence | None) -> None:
        pass  # the first pass (Asking) read them


def _frame_key(path: str) -> tuple[str, str] | None:
    """The name of the sequence a frame file belongs to, as `name_key`; None for any other file."""
    parts = frame_parts(path)
    return None if parts is None else name_key(parts[1], parts[3])
