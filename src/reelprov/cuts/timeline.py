"""Reading an editorial timeline (EDL, FCP 7 XML, FCPXML, AAF, OTIO) through OpenTimelineIO: its
clips per track with record timecodes, rate and drop-frame, and the references each clip names."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from reelprov.config import MAX_PATH
from reelprov.errors import CutImportError, ReelprovError
from reelprov.ledger.records import ClipPlaced
from reelprov.names import printable, same_form

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


def unnamed_events(text: str) -> set[str]:
    """The numbers of an EDL's events that carry no `FROM CLIP NAME`: the adapter names such a clip
    by its event number ("001"), which must not match a file called 001.exr."""
    found = list(_EVENT_LINE.finditer(text))
    out = set()
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        if "FROM CLIP NAME" not in text[m.start() : end].upper():
            out.add(m.group(1))
    return out


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


@dataclass(frozen=True)
class Edit:
    """A timeline as read (read_timeline): OpenTimelineIO's timeline, its file, its rate,
    whether it counts drop frame, where it starts (seconds)."""

    tl: Any
    path: Path
    rate: float
    drop: bool
    start: float

    @property
    def edl(self) -> bool:
        return self.path.suffix.lower() == ".edl"

    @cached_property
    def unnamed(self) -> set[str]:
        """An EDL's events whose clip name OpenTimelineIO made up (the event number)."""
        return unnamed_events(self.path.read_text(errors="replace")) if self.edl else set()


def read_timeline(path: Path, rate: float, notes: list[str], timeline: str | None = None) -> Edit:
    """The timeline TIMELINE of PATH (its only one if None) with its rate, whether it counts drop
    frame and its record start in seconds, or CutImportError; adapter log lines go to NOTES."""
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
            f"{path}: {{rate}} {rate:g} is not a frame rate; give one like 24, 25 or 29.97",
            inputs=("rate",),
        )
    rate = _exact_rate(rate)
    kwargs: dict[str, Any] = {"rate": rate} if ext == ".edl" else {}
    says_drop: bool | None = None
    try:
        with _adapter_log(notes):
            if ext == ".fcpxml":
                from reelprov.cuts import fcpxml

                tl, says_rate, says_drop = fcpxml.read(path.read_text(encoding="utf-8"))
                rate = _exact_rate(says_rate) if says_rate else rate
            else:
                tl = otio.adapters.read_from_file(str(path), adapter_name=SUPPORTED[ext], **kwargs)
    except Exception as exc:  # noqa: BLE001 - adapters raise anything on bad input
        raise CutImportError(
            f"{path}: cannot read this {ext} timeline ({first_line(exc)}); "
            f"re-export it from the editing system"
        ) from None
    try:
        tl, rate, drop, start = _timing(_one_timeline(tl, path, timeline), path, ext, rate)
        drop = drop if says_drop is None else says_drop and _drop_rate(rate)
        return Edit(tl, path, rate, drop, start)
    except ReelprovError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file can hold any value where a rate or time belongs
        raise CutImportError(
            f"{path}: the timeline cannot be read ({first_line(exc)}); "
            f"the timeline is damaged: export it again"
        ) from None


def first_line(exc: BaseException) -> str:
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
            "{timeline} NAME (and {name} for the cut, if it is to be called otherwise)",
            inputs=("timeline", "name"),
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
                "exists only at 29.97 and 59.94 fps: import it with {rate} 29.97 (or 59.94)",
                inputs=("rate",),
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
                    "check {rate} or export the EDL again",
                    inputs=("rate",),
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


def tc(seconds: float, rate: float, drop: bool) -> str:
    import opentimelineio as otio

    rt = otio.opentime.from_seconds(seconds, rate).round()
    return str(otio.opentime.to_timecode(rt, rate, drop))


# An EDL's frame code mode: the first FCM line says it (NON-DROP FRAME, as some systems write it
# without the hyphen, or DROP FRAME).
_FCM = re.compile(r"^\s*FCM:\s*(NON[-\s]?)?DROP\s*FRAME", re.IGNORECASE | re.MULTILINE)


def plain(ref: str) -> str:
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


def enabled_within(clip: Any, track: Any) -> bool:
    """CLIP is switched on, and so is every compound clip between it and TRACK."""
    node = clip
    while node is not None and node is not track:
        if not getattr(node, "enabled", True):
            return False
        node = node.parent()
    return True


def on_track(clip: Any, track: Any) -> tuple[Any, Any] | None:
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


def clip_event(
    clip: Any,
    rng: Any,
    n: int,
    track_name: str,
    kind: str,
    start: float,
    rate: float,
    drop: bool,
    path: Path,
) -> tuple[ClipPlaced, list[str]]:
    """One clip's record range and its media references; a name or path no file system could hold is refused."""
    rec_in = start + rng.start_time.to_seconds()
    rec_out = rec_in + rng.duration.to_seconds()
    ev: ClipPlaced = {
        "clip": clip.name,
        "track": track_name,
        "kind": kind,
        "record_in": tc(rec_in, rate, drop),
        "record_out": tc(rec_out, rate, drop),
    }
    refs = _refs(clip)
    refuse_long(
        [("name", clip.name or ""), *(("media path", r) for r in refs)], n, track_name, path
    )
    return ev, refs


def refuse_long(texts: list[tuple[str, str]], n: int, track_name: str, path: Path) -> None:
    """CutImportError for a name or path (WHAT, TEXT) of clip N no file system could hold."""
    for what, text in texts:
        if len(text) > MAX_PATH:
            raise CutImportError(
                f"{path}: clip {n} on track {track_name} has a {what} of {len(text):,} characters ({text[:40]}...); "
                f"no name or path can be over {MAX_PATH}; the timeline is damaged: export it again"
            )
