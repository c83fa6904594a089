"""Editorial timelines through OpenTimelineIO: which assets are on screen, on which track, where."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from reelprov.config import MAX_PATH
from reelprov.errors import CutImportError, ReelprovError, UnknownCut
from reelprov.events import CutGone, CutImported, CutRemoved, CutSummary
from reelprov.frames import (
    FrameIndex,
    Sequence,
    first_frame_parts,
    first_frame_sequence,
    frame_parts,
    from_pattern,
    name_key,
    runs,
    sequence_of,
)
from reelprov.hashing import digest_file
from reelprov.ledger import queries
from reelprov.names import counted, printable, same_form
from reelprov.project import Project

SUPPORTED = {
    ".otio": None,
    ".edl": "cmx_3600",
    ".xml": "fcp_xml",
    ".fcpxml": "fcpx_xml",
    ".aaf": "AAF",
}
_EDL_EVENT = re.compile(
    r"^\s*\d{3,6}\s+\S+\s+\S+\s+\S+\s+(?:\d+\s+)?[\d:;]{11}\s+[\d:;]{11}\s+([\d:;]{11})\s+[\d:;]{11}",
    re.MULTILINE,
)
_SOURCE_FILE = re.compile(r"SOURCE FILE:\s*(.+)$", re.IGNORECASE)
_EVENT_LINE = re.compile(r"^\s*(\d{3,6})\s+\S", re.MULTILINE)


def _unnamed_events(text: str) -> set[str]:
    """The numbers of an EDL's events that carry no `FROM CLIP NAME`: the adapter names such a clip
    by its event number ("001"), which must not match a file called 001.exr."""
    found = list(_EVENT_LINE.finditer(text))
    out = set()
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        if "FROM CLIP NAME" not in text[m.start() : end].upper():
            out.add(m.group(1))
    return out


@dataclass
class _Asset:
    id: str
    path: str
    live: bool = True


@contextmanager
def _adapter_log(notes: list[str]) -> Iterator[None]:
    """What an adapter logs while reading (pyaaf2 on a damaged AAF: "mini stream size mismatch")
    is collected as notes on the import instead of raw log lines on the user's terminal."""
    import logging

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if len(notes) < 20:
                notes.append(record.getMessage()[:300])

    root = logging.getLogger()
    handler = Collect(logging.WARNING)
    root.addHandler(handler)  # also keeps logging.warning() from configuring a stderr handler
    try:
        yield
    finally:
        root.removeHandler(handler)


def _read(
    path: Path, rate: float, notes: list[str], timeline: str | None = None
) -> tuple[Any, float, bool, float]:
    """(timeline, rate, drop_frame, record start in seconds) or CutImportError; adapter log lines go to NOTES."""
    import opentimelineio as otio

    ext = path.suffix.lower()
    if path.is_dir():
        raise CutImportError(
            f"{path}: is a folder; give the timeline file (EDL, FCP XML, FCPXML, AAF or OTIO)"
        )
    if not path.is_file():
        raise CutImportError(f"{path}: no such file")
    if ext not in SUPPORTED:
        raise CutImportError(
            f"{path}: unsupported timeline type {ext or '(none)'}; export EDL, FCP XML, FCPXML, AAF or OTIO"
        )
    if not rate > 0 or rate > 1000:  # also NaN
        raise CutImportError(
            f"{path}: --rate {rate:g} is not a frame rate; give one like 24, 25 or 29.97"
        )
    rate = _exact_rate(rate)
    kwargs: dict[str, Any] = {"rate": rate} if ext == ".edl" else {}
    says_drop: bool | None = None
    try:
        with _adapter_log(notes):
            if ext == ".fcpxml":
                from reelprov import fcpxml

                tl, says_rate, says_drop = fcpxml.read(path.read_text(encoding="utf-8"))
                rate = _exact_rate(says_rate) if says_rate else rate
            else:
                tl = otio.adapters.read_from_file(str(path), adapter_name=SUPPORTED[ext], **kwargs)
    except Exception as exc:  # noqa: BLE001 - adapters raise anything on bad input
        raise CutImportError(
            f"{path}: cannot read this {ext} timeline ({_first_line(exc)}); "
            f"re-export it from the editing system"
        ) from None
    try:
        tl, rate, drop, start = _timing(_one_timeline(tl, path, timeline), path, ext, rate)
        return tl, rate, drop if says_drop is None else says_drop and _drop_rate(rate), start
    except ReelprovError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file can hold any value where a rate or time belongs
        raise CutImportError(
            f"{path}: the timeline cannot be read ({_first_line(exc)}); "
            f"the timeline is damaged: export it again"
        ) from None


def _first_line(exc: BaseException) -> str:
    """An exception from OTIO or an adapter as one short line for the user."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _one_timeline(tl: Any, path: Path, wanted: str | None) -> Any:
    """The timeline to import: the file's only one, or the one named WANTED (--timeline). A file of
    several (an FCPXML event or library of projects, an OTIO collection) names them and asks which."""
    import opentimelineio as otio

    if isinstance(tl, otio.schema.SerializableCollection):
        tls = list(tl.find_children(descended_from_type=otio.schema.Timeline))
    else:
        tls = [tl] if isinstance(tl, otio.schema.Timeline) else []
    if not tls:
        return tl  # _timing says what it holds instead
    names = ", ".join(repr(printable(str(t.name or ""))[:80]) for t in tls[:10]) + (
        " ..." if len(tls) > 10 else ""
    )
    if wanted is not None:
        chosen = [t for t in tls if same_form(str(t.name or "")) == same_form(wanted)]
        if not chosen:
            raise CutImportError(
                f"{path}: no timeline named {printable(wanted)[:80]!r}; it holds {names}"
            )
        return chosen[0]
    if len(tls) > 1:
        raise CutImportError(
            f"{path}: holds {len(tls)} timelines ({names}); import them one at a time with "
            f"--timeline NAME (and --name for the cut, if it is to be called otherwise)"
        )
    return tls[0]


def _timing(tl: Any, path: Path, ext: str, rate: float) -> tuple[Any, float, bool, float]:
    """The timeline itself, its rate, drop-frame, and record start in seconds."""
    import opentimelineio as otio

    if isinstance(tl, otio.schema.SerializableCollection):
        raise CutImportError(f"{path}: holds no timeline")
    if not isinstance(tl, otio.schema.Timeline):
        raise CutImportError(
            f"{path}: holds no timeline (found {type(tl).__name__}); export the cut as a timeline"
        )
    drop = False
    start = 0.0
    if tl.global_start_time is not None:
        rate = float(tl.global_start_time.rate)
        start = tl.global_start_time.to_seconds()
    elif ext == ".edl":
        text = path.read_text(errors="replace")
        fcm = _FCM.search(text)
        drop = fcm is not None and not fcm.group(
            1
        )  # "NON-DROP FRAME", "NON DROP FRAME", "NONDROP FRAME": not drop
        if drop and not _drop_rate(rate):
            raise CutImportError(
                f"{path}: the EDL says DROP FRAME but the rate is {rate:g}; drop-frame timecode "
                f"exists only at 29.97 and 59.94 fps: import it with --rate 29.97 (or 59.94)"
            )
        rins = _EDL_EVENT.findall(text)
        if rins:
            # under FCM: DROP FRAME the record timecodes count drop-frame, whatever separator they use
            tc = rins[0][:8] + (";" if drop else ":") + rins[0][9:]
            try:
                first = otio.opentime.from_timecode(tc, rate)
            except Exception:  # noqa: BLE001 - OTIO raises ValueError or its own types on bad timecode
                raise CutImportError(
                    f"{path}: record timecode {rins[0]} is not valid at {rate:g} fps; "
                    f"check --rate or export the EDL again"
                ) from None
            start = first.to_seconds()
    clips = list(tl.find_clips())
    if rate <= 0 and clips:
        rate = float(clips[0].range_in_parent().duration.rate)
    if _drop_rate(rate):
        drop = drop or ext != ".edl"
    return tl, rate, drop, start


def _exact_rate(rate: float) -> float:
    """23.976, 29.97, 59.94... as typed mean the NTSC rates N*1000/1001, which timecode needs exactly."""
    for n in (24, 30, 48, 60, 120):
        if abs(rate - n * 1000 / 1001) < 0.005:
            return n * 1000 / 1001
    return rate


def _drop_rate(rate: float) -> bool:
    return abs(rate - 29.97) < 0.01 or abs(rate - 59.94) < 0.01


def _tc(seconds: float, rate: float, drop: bool) -> str:
    import opentimelineio as otio

    rt = otio.opentime.from_seconds(seconds, rate).round()
    return str(otio.opentime.to_timecode(rt, rate, drop))


# An EDL's frame code mode: the first FCM line says it (NON-DROP FRAME, as some systems write it
# without the hyphen, or DROP FRAME).
_FCM = re.compile(r"^\s*FCM:\s*(NON[-\s]?)?DROP\s*FRAME", re.IGNORECASE | re.MULTILINE)


def _plain(ref: str) -> str:
    """A clip's media reference as a path: a file URL's path, percent-decoded (`Temp%20Title.mxf`)."""
    return unquote(urlparse(ref).path) if ref.startswith("file:") else ref


def _refs(clip: Any) -> list[str]:
    refs = []
    ref = clip.media_reference
    url = getattr(ref, "target_url", None) or getattr(ref, "target_url_base", None)
    if url:
        refs.append(url)
    meta = clip.metadata.get("cmx_3600", {}) if hasattr(clip.metadata, "get") else {}
    for c in meta.get("comments", []) or []:
        m = _SOURCE_FILE.search(str(c))
        if m:
            refs.append(m.group(1).strip())
    return refs


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
    ref = _mapped(_plain(ref), project.cfg.path_map, project.root)
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


def _enabled_within(clip: Any, track: Any) -> bool:
    """CLIP is switched on, and so is every compound clip between it and TRACK."""
    node = clip
    while node is not None and node is not track:
        if not getattr(node, "enabled", True):
            return False
        node = node.parent()
    return True


def _on_track(clip: Any, track: Any) -> tuple[Any, Any] | None:
    """CLIP's range in the time of TRACK (a timeline's track), through the compound clips (nested
    stacks and tracks) between them and what each trims away, and the part of CLIP's source that
    range shows; None where they show none of it."""
    import opentimelineio as otio

    rng = clip.range_in_parent()
    head = otio.opentime.RationalTime(
        0, rng.duration.rate
    )  # how much of the clip's start is trimmed away
    node = clip.parent()
    while node is not None and node is not track:  # lift RNG from NODE's time into its parent's
        shown = node.trimmed_range()
        first = max(rng.start_time, shown.start_time)
        end = min(rng.end_time_exclusive(), shown.end_time_exclusive())
        if end <= first:
            return None
        head += first - rng.start_time
        rng = otio.opentime.TimeRange(
            node.range_in_parent().start_time + (first - shown.start_time), end - first
        )
        node = node.parent()
    source = clip.trimmed_range()
    return rng, otio.opentime.TimeRange(source.start_time + head, rng.duration)


def _clip_event(
    clip: Any,
    rng: Any,
    n: int,
    track_name: str,
    kind: str,
    start: float,
    rate: float,
    drop: bool,
    path: Path,
) -> tuple[dict[str, Any], list[str]]:
    """One clip's record range and its media references; a name or path no file system could hold is refused."""
    rec_in = start + rng.start_time.to_seconds()
    rec_out = rec_in + rng.duration.to_seconds()
    ev = {
        "clip": clip.name,
        "track": track_name,
        "kind": kind,
        "record_in": _tc(rec_in, rate, drop),
        "record_out": _tc(rec_out, rate, drop),
    }
    refs = _refs(clip)
    _refuse_long(
        [("name", clip.name or ""), *(("media path", r) for r in refs)], n, track_name, path
    )
    return ev, refs


def _refuse_long(texts: list[tuple[str, str]], n: int, track_name: str, path: Path) -> None:
    """CutImportError for a name or path (WHAT, TEXT) of clip N no file system could hold."""
    for what, text in texts:
        if len(text) > MAX_PATH:
            raise CutImportError(
                f"{path}: clip {n} on track {track_name} has a {what} of {len(text):,} characters ({text[:40]}...); "
                f"no name or path can be over {MAX_PATH}; the timeline is damaged: export it again"
            )


def _match(
    clip: Any,
    name: str | None,
    refs: list[str],
    project: Project,
    cut_file: Path,
    by_path: dict[str, _Asset],
    by_name: dict[str, list[_Asset]],
) -> tuple[_Asset | None, list[str], str | None]:
    """The asset a clip shows, the paths of other live assets its name fitted as well (then the
    choice was a guess), and how it was found: by path, then file name, then clip or reel name."""
    for ref in refs:
        rel = _to_rel(ref, project, cut_file.parent)
        if rel and same_form(rel) in by_path:
            return by_path[same_form(rel)], [], "path"
    for ref in refs:
        hits = by_name.get(_file_name(ref))
        if hits:
            return *_likeliest(hits, ref), "file name"
    reel = (
        (clip.metadata.get("cmx_3600", {}) or {}).get("reel")
        if hasattr(clip.metadata, "get")
        else None
    )
    for cand, how in ((name, "clip name"), (reel, "reel name")):
        hits = by_name.get(same_form(str(cand or "").lower())) if cand else None
        if hits:
            return *_likeliest(hits, refs[0] if refs else ""), how
    return None, [], None


def _match_sequence(
    seq: Sequence, project: Project, cut_file: Path, index: FrameIndex
) -> tuple[dict[str, Any] | None, range | None]:
    """The frame files of SEQ the clip shows, as an event's asset (its first frame found), path and
    `sequence`, None if the ledger has none of them; and the frames the timeline shows, None where
    it does not say. Found in the folder the timeline names, else (a share mounted elsewhere) in
    the folder of that name sharing most of its path."""
    folders = dict(index.folders(seq))
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
    event = {
        "asset": first.id,
        "path": first.path,
        "matched_by": f"sequence {how}",
        "sequence": {
            "path": label,
            "shown": f"{told[0]}-{told[-1]}" if told else None,
            "frames": [{"frame": n, "asset": a.id} for n, a in shown.items()],
            "missing": missing,
        },
    }
    return event | ({"also_fits": tied} if tied else {}), told


def _has_next_frame(index: FrameIndex, seq: Sequence, first_path: str) -> bool:
    """Whether the folder of FIRST_PATH, a frame file of SEQ, holds the frame numbered after it: a
    sequence, not a single numbered still."""
    parts = frame_parts(first_path)
    if parts is None:
        return False
    frames = dict(index.folders(seq)).get(same_form(parts[0]), {})
    return int(parts[2]) + 1 in frames


def _file_name(text: str) -> str:
    """A media path's or clip's file name as names compare: its last part, lower case, one Unicode
    form (NFD from a Mac share, NFC from the editor)."""
    return same_form(_plain(text).replace("\\", "/").rsplit("/", 1)[-1].lower())


def _name_keys(text: str) -> set[str]:
    """The names a file answers to in a cut: its file name, with and without extension."""
    base = _file_name(text)
    return {base, base.rsplit(".", 1)[0]} - {""}


def _likeliest(hits: list[_Asset], ref: str) -> tuple[_Asset, list[str]]:
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


def _known_assets(project: Project) -> tuple[dict[str, _Asset], dict[str, list[_Asset]]]:
    """The assets by path, and by file name with and without extension (lower case): live ones
    first, then ones deleted from the project (an edit keeps using media that went offline, and
    that media's evidence and flags still count), the latest first."""
    rows = sorted(
        queries.asset_places(project.reader, project.cfg.project_id),
        key=lambda r: (bool(r["deleted"]), -r["last_seq"]),
    )
    known = [_Asset(r["id"], r["path"], not r["deleted"]) for r in rows]
    by_path: dict[str, _Asset] = {}
    for a in known:
        by_path.setdefault(same_form(a.path), a)
    by_name: dict[str, list[_Asset]] = {}
    for a in known:
        for key in _name_keys(a.path):
            by_name.setdefault(key, []).append(a)
    return by_path, by_name


def _events(
    tl: Any,
    project: Project,
    path: Path,
    rate: float,
    drop: bool,
    start: float,
    known: tuple[dict[str, _Asset], dict[str, list[_Asset]]],
    where: dict[str, int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every clip as an event matched to an asset, or as unmatched; WHERE follows the progress."""
    import opentimelineio as otio

    by_path, by_name = known
    frame_index: FrameIndex | None = None  # built at the first image sequence
    events: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    edl = path.suffix.lower() == ".edl"
    unnamed = _unnamed_events(path.read_text(errors="replace")) if edl else set()

    def index() -> FrameIndex:
        nonlocal frame_index
        if frame_index is None:
            frame_index = FrameIndex(by_path.values())
        return frame_index

    def as_sequence(seq: Sequence, ev: dict[str, Any], rng: Any) -> dict[str, Any] | None:
        """EV as the event of the frames of SEQ the clip shows, None if the ledger has none of them."""
        found, told = _match_sequence(seq, project, path, index())
        if found is None:
            return None
        if told is not None:  # one timeline frame each, from the clip's first
            rec_in = start + rng.start_time.to_seconds()
            for f in found["sequence"]["frames"]:
                at = rec_in + told.index(f["frame"]) / rate
                f.update(record_in=_tc(at, rate, drop), record_out=_tc(at + 1 / rate, rate, drop))
        return {**ev, **found}

    for ti, track in enumerate(tl.tracks):
        where["track"] = ti + 1
        track_name = (
            track.name or f"{'V' if track.kind == otio.schema.TrackKind.Video else 'A'}{ti + 1}"
        )
        for clip in track.find_clips():
            where["clip"] += 1
            if not (getattr(track, "enabled", True) and _enabled_within(clip, track)):
                where["disabled"] = (
                    where.get("disabled", 0) + 1
                )  # switched off in the edit: not on screen
                continue
            placed = _on_track(clip, track)
            if placed is None:
                continue  # inside a compound clip, in a part of it the cut does not show
            rng, source = placed
            ev, refs = _clip_event(
                clip, rng, where["clip"], track_name, str(track.kind), start, rate, drop, path
            )
            seq = sequence_of(clip, source, edl=edl)
            if seq is not None:
                _refuse_long(
                    [("media path", seq.label)], where["clip"], track_name, path
                )  # its name around the number, padding
                if (found := as_sequence(seq, ev, rng)) is not None:
                    events.append(found)
                    continue
                refs = [
                    seq.label
                ]  # not found as frames: by name as any clip, and named so if unmatched
            name = (
                None if edl and (clip.name or "") in unnamed else clip.name
            )  # "001": the event number
            if name is None:
                ev["clip"] = ""
            asset, tied, how = _match(clip, name, refs, project, path, by_path, by_name)
            if asset is None:
                unmatched.append({**ev, "reference": refs[0] if refs else None})
                continue
            # An XML timeline names an image sequence by its first frame file: with the next frame there
            # too, the clip shows the frames from it on (an AI-made frame among them is on screen).
            first = (
                None
                if edl or seq is not None
                else first_frame_sequence(clip, source, (project.root / asset.path).as_posix())
            )
            if (
                first is not None
                and _has_next_frame(index(), first, asset.path)
                and (found := as_sequence(first, ev, rng)) is not None
            ):
                events.append(found | {"matched_by": "sequence first frame"})
                continue
            events.append(
                {**ev, "asset": asset.id, "path": asset.path, "matched_by": how}
                | ({"also_fits": tied} if tied else {})
            )
    return events, unmatched


# The ledger's column for a cut's name holds this many characters (models.CUT), on both databases.
MAX_CUT_NAME = 300


def import_cut(
    project: Project,
    file: str | os.PathLike[str],
    *,
    name: str | None = None,
    rate: float = 24.0,
    timeline: str | None = None,
    if_changed: bool = False,
    if_content: str | None = None,
) -> dict[str, Any] | None:
    """Read a timeline (TIMELINE: the one of that name, in a file of several), match each clip to an
    asset, and supersede the cut of the same name. IF_CHANGED: record nothing, and return None, if
    the cut of that name came from this file and would stay just as it is. IF_CONTENT: the same
    unless the file (still there) has this SHA-256."""
    path = Path(file).resolve()
    if if_content is not None:
        try:
            if digest_file(path).sha256 != if_content:
                return None
        except OSError:
            return None
    notes: list[str] = []
    tl, rate, drop, start = _read(path, rate, notes, timeline)
    # what was read, kept with the import: the same timeline can be matched again later
    source_sha256 = if_content or digest_file(path).sha256
    if name and len(name) > MAX_CUT_NAME:
        raise CutImportError(
            f"a cut name of {len(name):,} characters; the ledger keeps at most {MAX_CUT_NAME}: "
            "give a shorter one with --name"
        )
    known = _known_assets(project)
    where = {"clip": 0, "track": 0}  # how far the reading got, for the message if it fails
    try:
        if not name and len(str(tl.name or "")) > MAX_CUT_NAME:
            raise CutImportError(
                f"{path}: a timeline name of {len(tl.name):,} characters (the ledger keeps at most "
                f"{MAX_CUT_NAME}); give the cut a name with --name"
            )
        cut_name = name or tl.name or path.stem
        events, unmatched = _events(tl, project, path, rate, drop, start, known, where)
    except ReelprovError:
        raise
    except Exception as exc:  # noqa: BLE001 - OTIO hands back whatever bytes the file held (bad UTF-8, odd rates)
        at = f"clip {where['clip']} on track {where['track']}" if where["clip"] else "the timeline"
        raise CutImportError(
            f"{path}: {at} cannot be read ({_first_line(exc)}); the timeline is damaged: export it again"
        ) from None
    n = where["clip"]
    if n == 0:
        raise CutImportError(f"{path}: the timeline has no clips; export the cut with its events")
    if where.get("disabled"):
        notes.append(
            f"{counted(where['disabled'], 'disabled clip')} (switched off in the edit) left out: not on screen"
        )
    if if_changed:
        now = queries.cut(project.reader, project.cfg.project_id, cut_name)
        if now is not None and (now["source"], now["events"], now["unmatched"]) == (
            str(path),
            events,
            unmatched,
        ):
            return None
    with project.batch() as b:
        old = b.proj.cut(cut_name)
        old_usage: dict[str, list[dict[str, Any]]] = {}
        for e in (old or {}).get("events", []):
            for aid, where in event_assets(e):
                old_usage.setdefault(aid, []).append(where)
        old_assets = set(old_usage)
        b.append(
            "cut_imported",
            None,
            {
                "name": cut_name,
                "source": str(path),
                "source_sha256": source_sha256,
                "rate": rate,
                "drop_frame": drop,
                "events": events,
                "unmatched": unmatched,
            }
            | ({"timeline": timeline} if timeline else {}),
        )
        new_assets: dict[str, list[dict[str, Any]]] = {}
        for e in events:
            for aid, where in event_assets(e):
                new_assets.setdefault(aid, []).append(where)
        b.preload_assets(sorted(set(new_assets) | old_assets))
        for aid, evs in new_assets.items():
            asset = b.proj.asset(aid)
            if old_usage.get(aid) == evs and asset is not None and cut_name in asset["cuts"]:
                continue  # shown just where the previous import had it: nothing new to record (a cut re-exported daily)
            b.append("used_in_cut", aid, {"cut": cut_name, "events": evs})
        for aid in sorted(old_assets - set(new_assets)):
            if b.proj.asset(aid) is not None:
                b.append("left_cut", aid, {"cut": cut_name})
        b.emit(
            CutImported(
                cut=CutSummary(
                    name=cut_name, source=str(path), events=len(events), unmatched=len(unmatched)
                )
            )
        )
    return {
        "name": cut_name,
        "source": str(path),
        "rate": rate,
        "events": events,
        "unmatched": unmatched,
        "left": sorted(old_assets - set(new_assets)),
        "notes": notes,
    }


def follow_cuts(
    project: Project, recorded: list[str], arrived: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Cuts imported again, under the name, rate and timeline they were imported with:
    - from a timeline file of the project just recorded new or changed (RECORDED: an editor
      exporting the cut over it again);
    - from the same, unchanged timeline file when media it named but the ledger did not have
      arrived (ARRIVED: files recorded new, restored or moved in whose name an unmatched clip or a
      missing frame of the cut names, or that are the frame after a still an XML timeline named,
      which makes that still the first frame of a sequence).
    Returns what each import did (those that changed the cut, with `path` and `why`) and what
    could not be imported ({cut, path, error}: the previous import stands)."""
    files = [rel for rel in recorded if Path(rel).suffix.lower() in SUPPORTED]
    if not files and not arrived:
        return [], []
    pid = project.cfg.project_id
    cuts = queries.cut_sources(project.reader, pid)
    if not cuts:
        return [], []
    root = project.root.resolve()
    changed = {str((project.root / rel).resolve()): rel for rel in files}
    todo: dict[
        str, tuple[dict[str, Any], str, str]
    ] = {}  # cut name -> (its row, the file as shown, why)
    for c in cuts:
        if c["source"] in changed:
            rel = changed[c["source"]]
            todo[c["name"]] = (c, rel, f"its changed timeline {rel}")
    keys = _arrival_keys(arrived) if arrived else None
    for c in cuts:
        if keys is not None and c["name"] not in todo and _wants(project, c).wanted_by(keys):
            source = Path(c["source"])
            shown = (
                source.relative_to(root).as_posix() if source.is_relative_to(root) else str(source)
            )
            todo[c["name"]] = (c, shown, f"{shown}, as media it named arrived")
    done: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for name, (c, shown, why) in todo.items():
        entry = queries.entry_payload(project.reader, pid, c["imported_seq"])
        payload = json.loads(entry) if entry else {}
        # Media arriving re-reads the timeline only as it was imported: gone, or another now, only
        # `cut import` can say what to do with it (and a cut imported before the hash was kept).
        content = None if c["source"] in changed else payload.get("source_sha256")
        if content is None and c["source"] not in changed:
            continue
        try:
            res = import_cut(
                project,
                c["source"],
                name=name,
                rate=c["rate"],
                timeline=payload.get("timeline"),
                if_changed=True,
                if_content=content,
            )
        except ReelprovError as exc:
            failed.append({"cut": name, "path": shown, "why": why, "error": str(exc)})
            continue
        if res is not None:
            done.append(res | {"path": shown, "why": why})
    return done, failed


@dataclass
class _Wanted:
    """What a cut named but did not find: file and clip names (lower case, with and without
    extension) and frames of sequences by the name around the number (None: any frame)."""

    names: set[str]
    frames: dict[tuple[str, str], set[int] | None]

    def wanted_by(self, keys: tuple[set[str], list[tuple[str, str, int]]]) -> bool:
        names, frames = keys
        if self.names & names:
            return True
        for prefix, suffix, n in frames:
            want = self.frames.get((prefix, suffix), set())
            if want is None or n in want:
                return True
        return False


_WANTED: dict[
    tuple[str, str, int], _Wanted
] = {}  # (project, cut, its import's seq): a long-running watcher's


def _wants(project: Project, cut: dict[str, Any]) -> _Wanted:
    """What CUT (a row of the cut table) named and did not find, read once per import of it."""
    key = (project.cfg.project_id, cut["name"], cut["imported_seq"])
    if key not in _WANTED:
        row = queries.cut(project.reader, key[0], key[1])
        names: set[str] = set()
        frames: dict[tuple[str, str], set[int] | None] = {}
        for u in (row or {}).get("unmatched", []):
            for text in (u.get("reference") or "", u.get("clip") or ""):
                seq = _sequence_named(text)
                if seq is not None:
                    frames[seq] = None
                names |= _name_keys(text)
        xml = Path(cut["source"]).suffix.lower() != ".edl"
        for e in (row or {}).get("events", []):
            seq = e.get("sequence")
            if seq and seq.get("missing") and (named := _sequence_named(seq["path"])) is not None:
                frames[named] = _frame_numbers(seq["missing"], frames.get(named, set()))
            elif not seq and xml and (parts := first_frame_parts(e.get("path") or "")) is not None:
                # a still that may be a sequence's first frame: its next frame arriving makes it one
                named = name_key(parts[1], parts[3])
                if (have := frames.get(named, set())) is not None:
                    frames[named] = have | {int(parts[2]) + 1}
        for old in [k for k in _WANTED if k[:2] == key[:2]]:
            del _WANTED[old]  # an earlier import of the same cut
        _WANTED[key] = _Wanted(names, frames)
    return _WANTED[key]


def _sequence_named(text: str) -> tuple[str, str] | None:
    """The names around the frame number of the sequence TEXT names, in the form they compare in."""
    seq = from_pattern(text)
    return None if seq is None else name_key(seq.prefix, seq.suffix)


def _frame_numbers(missing: list[str], into: set[int] | None) -> set[int] | None:
    """Frame numbers from runs ("1001-1010", "1015"); None (any) for a count ("2,000,000 frames")."""
    if into is None:
        return None
    for run in missing:
        first, _, last = run.partition("-")
        if not first.isdigit() or not (last or first).isdigit() or len(into) > 100_000:
            return None  # a count, negative frame numbers, or more than is worth listing: any frame
        into.update(range(int(first), min(int(last or first), int(first) + 100_000) + 1))
    return into


def _arrival_keys(paths: list[str]) -> tuple[set[str], list[tuple[str, str, int]]]:
    """The names ARRIVED files answer to (lower case, with and without extension) and, for frame
    files, (name before the number, after it, number)."""
    names: set[str] = set()
    frames: list[tuple[str, str, int]] = []
    for p in paths:
        names |= _name_keys(p)
        parts = frame_parts(p)
        if parts is not None:
            frames.append((*name_key(parts[1], parts[3]), int(parts[2])))
    return names, frames


def event_assets(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each asset a cut's EVENT shows (every frame of an image sequence) and where: track, record
    in and out (a frame's own where the timeline tells), clip (and frame)."""
    where = {k: event[k] for k in ("track", "record_in", "record_out", "clip")}
    seq = event.get("sequence")
    if not seq:
        yield event["asset"], where
        return
    for f in seq["frames"]:
        yield f["asset"], where | {k: f[k] for k in ("record_in", "record_out", "frame") if k in f}


def remove_cut(project: Project, name: str) -> dict[str, Any]:
    """Take a cut off the books (imported by mistake, or dropped from the show): its assets leave it
    and their flags follow. The import and the removal both stay in the ledger."""
    with project.batch() as b:
        cut = b.proj.cut(name)
        if cut is None:
            raise UnknownCut(f"no cut named {name!r}; list them with `reelprov cut ls`")
        assets = sorted({a for e in cut["events"] for a, _ in event_assets(e)})
        b.append("cut_removed", None, {"name": name})
        for aid in assets:
            if b.proj.asset(aid) is not None:
                b.append("left_cut", aid, {"cut": name})
        b.emit(CutRemoved(cut=CutGone(name=name, assets=len(assets))))
    return {"name": name, "left": assets}


def list_cuts(project: Project) -> list[dict[str, Any]]:
    rows = queries.cuts(project.reader, project.cfg.project_id)
    return [
        {
            "name": r["name"],
            "source": r["source"],
            "rate": r["rate"],
            "imported_at": r["imported_at"],
            "events": len(r["events"]),
            "unmatched": len(r["unmatched"]),
        }
        for r in rows
    ]


def show_cut(project: Project, name: str) -> dict[str, Any]:
    r = queries.cut(project.reader, project.cfg.project_id, name)
    if r is None:
        raise UnknownCut(f"no cut named {name!r}; list them with `reelprov cut ls`")
    return {k: r[k] for k in ("name", "source", "rate", "imported_at", "events", "unmatched")}
