"""`reelprov cut import/rm/ls/show`: a timeline's events recorded as one ledger entry, the assets on
screen marked in the cut."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from reelprov.cuts.frames import (
    Sequence,
    first_frame_parts,
    first_frame_sequence,
    frame_by_frame,
    sequence_of,
)
from reelprov.cuts.matching import (
    Asking,
    Catalog,
    Lookup,
    has_next_frame,
    match_clip,
    match_sequence,
)
from reelprov.cuts.places import CutPlaces, event_asset_ids
from reelprov.cuts.timeline import (
    Edit,
    clip_event,
    enabled_within,
    first_line,
    on_track,
    plain,
    read_timeline,
    refuse_long,
)
from reelprov.errors import CutImportError, ReelprovError, UnknownCut
from reelprov.events import CutGone, CutImported, CutRemoved, CutSummary
from reelprov.hashing import digest_file
from reelprov.ledger import queries
from reelprov.ledger.records import ClipPlaced, CutEvent, UnmatchedClip
from reelprov.names import counted
from reelprov.project import Project

if TYPE_CHECKING:
    from reelprov.ledger import Batch, entries


def matched_events(
    edit: Edit, project: Project, where: dict[str, int]
) -> tuple[list[CutEvent], list[UnmatchedClip]]:
    """Every clip as an event matched to an asset, or as unmatched; WHERE follows the progress.
    Two passes: the first notes the paths, names and sequences the clips name, the second matches
    them against those assets alone (a 96-frame cut in a project of a million files reads the
    million paths once and keeps 96)."""
    asked = Asking()
    cut_events(edit, project, asked, where)
    where.clear()
    where.update(clip=0, track=0)
    return cut_events(edit, project, Catalog(project, asked), where)


def cut_events(
    edit: Edit, project: Project, known: Lookup, where: dict[str, int]
) -> tuple[list[CutEvent], list[UnmatchedClip]]:
    """Every clip as an event matched to an asset KNOWN holds, or as unmatched."""
    import opentimelineio as otio

    tl, path, rate, drop, start = edit.tl, edit.path, edit.rate, edit.drop, edit.start
    events: list[CutEvent] = []
    unmatched: list[UnmatchedClip] = []
    edl, unnamed = edit.edl, edit.unnamed

    def as_sequence(seq: Sequence, ev: ClipPlaced, rng: Any) -> CutEvent | None:
        """EV as the event of the frames of SEQ the clip shows, None if the ledger has none of them."""
        found, told = match_sequence(seq, project, path, known)
        if found is None:
            return None
        if told is not None:  # one timeline frame each, from the clip's first (frames_of)
            found["sequence"]["timing"] = {
                "at": start + rng.start_time.to_seconds(),
                "first": told.start,
                "step": told.step,
                "rate": rate,
                "drop": drop,
            }
        event: CutEvent = {**ev, **found}
        return event

    for ti, track in enumerate(tl.tracks):
        where["track"] = ti + 1
        track_name = (
            track.name or f"{'V' if track.kind == otio.schema.TrackKind.Video else 'A'}{ti + 1}"
        )
        for clip in track.find_clips():
            where["clip"] += 1
            if not (getattr(track, "enabled", True) and enabled_within(clip, track)):
                where["disabled"] = (
                    where.get("disabled", 0) + 1
                )  # switched off in the edit: not on screen
                continue
            placed = on_track(clip, track)
            if placed is None:
                continue  # inside a compound clip, in a part of it the cut does not show
            rng, source = placed
            ev, refs = clip_event(
                clip, rng, where["clip"], track_name, str(track.kind), start, rate, drop, path
            )
            seq = sequence_of(clip, source, edl=edl)
            if seq is not None:
                refuse_long(
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
            if not edl and seq is None:
                for ref in refs:  # a sequence named by its first frame: asked for in the first pass
                    known.expect(_first_frame_frames(clip, source, plain(ref)))
            asset, tied, how = match_clip(clip, name, refs, project, path, known)
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
                and has_next_frame(known, first, asset.path)
                and (found := as_sequence(first, ev, rng)) is not None
            ):
                found["matched_by"] = "sequence first frame"
                events.append(found)
                continue
            event: CutEvent = {
                "clip": ev["clip"],
                "track": ev["track"],
                "kind": ev["kind"],
                "record_in": ev["record_in"],
                "record_out": ev["record_out"],
                "asset": asset.id,
                "path": asset.path,
                "matched_by": how or "",
            }
            if tied:
                event["also_fits"] = tied
            events.append(event)
    return events, unmatched


class CutImport(TypedDict):
    """What an import did (`cut import --json`): the cut's events as matched, the clips that were
    not, the assets that left the cut, and what the timeline's reader said."""

    name: str
    source: str
    rate: float
    events: list[CutEvent]
    unmatched: list[UnmatchedClip]
    left: list[str]
    notes: list[str]


class CutRemoval(TypedDict):
    """`cut rm --json`: the cut taken off the books and the assets that left it."""

    name: str
    left: list[str]


class CutListed(TypedDict):
    """One cut in `cut ls --json`."""

    name: str
    source: str
    rate: float
    imported_at: str
    events: int
    unmatched: int


class CutShown(TypedDict):
    """`cut show --json`: a cut as imported, every event and unmatched clip."""

    name: str
    source: str
    rate: float
    imported_at: str
    events: list[CutEvent]
    unmatched: list[UnmatchedClip]


# The ledger's column for a cut's name holds this many characters (models.CUT), on both databases.
MAX_CUT_NAME = 300
SPILL_EVERY = 5_000  # assets whose rows a cut import holds at once


def import_cut(
    project: Project,
    file: str | os.PathLike[str],
    *,
    name: str | None = None,
    rate: float = 24.0,
    timeline: str | None = None,
    if_changed: bool = False,
    if_content: str | None = None,
) -> CutImport | None:
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
    edit = read_timeline(path, rate, notes, timeline)
    tl, rate, drop = edit.tl, edit.rate, edit.drop
    # what was read, kept with the import: the same timeline can be matched again later
    source_sha256 = if_content or digest_file(path).sha256
    if name and len(name) > MAX_CUT_NAME:
        raise CutImportError(
            f"a cut name of {len(name):,} characters; the ledger keeps at most {MAX_CUT_NAME}: "
            "give a shorter one with {name}",
            inputs=("name",),
        )
    where = {"clip": 0, "track": 0}  # how far the reading got, for the message if it fails
    try:
        if not name and len(str(tl.name or "")) > MAX_CUT_NAME:
            raise CutImportError(
                f"{path}: a timeline name of {len(tl.name):,} characters (the ledger keeps at most "
                f"{MAX_CUT_NAME}); give the cut a name with {{name}}",
                inputs=("name",),
            )
        cut_name = name or tl.name or path.stem
        events, unmatched = matched_events(edit, project, where)
    except ReelprovError:
        raise
    except Exception as exc:  # noqa: BLE001 - OTIO hands back whatever bytes the file held (bad UTF-8, odd rates)
        at = f"clip {where['clip']} on track {where['track']}" if where["clip"] else "the timeline"
        raise CutImportError(
            f"{path}: {at} cannot be read ({first_line(exc)}); the timeline is damaged: export it again"
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
        if now is not None and _legacy(now["events"]):  # imported before 2026-12-07
            now["events"] = frame_by_frame_events(now["events"])
            events_now = frame_by_frame_events(events)
        else:
            events_now = events
        if now is not None and (now["source"], now["events"], now["unmatched"]) == (
            str(path),
            events_now,
            unmatched,
        ):
            return None
    with project.batch() as b:
        old = b.proj.cut(cut_name)
        old_usage = CutPlaces([(cut_name, old["events"])] if old else [])
        imported: entries.CutImported = {
            "name": cut_name,
            "source": str(path),
            "source_sha256": source_sha256,
            "rate": rate,
            "drop_frame": drop,
            "events": events,
            "unmatched": unmatched,
        }
        if timeline:
            imported["timeline"] = timeline
        b.append("cut_imported", None, imported)
        new_assets = CutPlaces([(cut_name, events)])
        left = sorted(set(old_usage) - set(new_assets))
        for aid in chunked(b, [*new_assets, *left]):
            asset = b.proj.asset(aid)
            evs = new_assets.places(aid)  # reckoned a chunk of assets at a time (CutPlaces)
            if evs is None:
                if asset is not None:
                    b.append("left_cut", aid, {"cut": cut_name})
            elif not (
                old_usage.places(aid) == evs and asset is not None and cut_name in asset["cuts"]
            ):  # else shown just where the previous import had it: nothing new (a daily re-export)
                b.append("used_in_cut", aid, {"cut": cut_name, "events": evs})
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
        "left": left,
        "notes": notes,
    }


def _first_frame_frames(clip: Any, source: Any, ref: str) -> Sequence | None:
    """The frames matching may look at if REF, a clip's media, is the first frame file of a
    sequence (first_frame_sequence): those the clip would show, and the frame after REF's own that
    tells it is a sequence (matching.has_next_frame); None if it cannot be one."""
    ref = ref.replace("\\", "/")
    first = first_frame_sequence(clip, source, ref)
    parts = first_frame_parts(ref)
    if first is None or first.frames is None or parts is None:
        return None
    return replace(
        first, frames=range(min(int(parts[2]) + 1, first.frames.start), first.frames.stop)
    )


def chunked(b: Batch, asset_ids: list[str]) -> Iterator[str]:
    """ASSET_IDS, their rows loaded a chunk at a time; what the batch did with one chunk is written
    into its transaction before the next is loaded (Batch.spill): a cut showing 100,000 frames
    holds a chunk of their rows, not all of them, and commits (or not) as one."""
    for i in range(0, len(asset_ids), SPILL_EVERY):
        chunk = asset_ids[i : i + SPILL_EVERY]
        if i:
            b.spill()
        b.preload_assets(chunk)
        yield from chunk


def _legacy(events: list[CutEvent]) -> bool:
    """Whether EVENTS list an image sequence's frames one by one (imported before 2026-12-07)."""
    return any("frames" in seq for e in events if (seq := e.get("sequence")))


def frame_by_frame_events(events: list[CutEvent]) -> list[CutEvent]:
    """EVENTS with each image sequence's frames listed one by one, with their asset and record
    timecodes (what `cut show --json` and `cut import --json` give), however the cut keeps them."""
    return [
        {**e, "sequence": frame_by_frame(seq)} if (seq := e.get("sequence")) else e for e in events
    ]


def remove_cut(project: Project, name: str) -> CutRemoval:
    """Take a cut off the books (imported by mistake, or dropped from the show): its assets leave it
    and their flags follow. The import and the removal both stay in the ledger."""
    with project.batch() as b:
        cut = b.proj.cut(name)
        if cut is None:
            raise UnknownCut(f"no cut named {name!r}; list them with `reelprov cut ls`")
        assets = sorted({aid for e in cut["events"] for aid in event_asset_ids(e)})
        b.append("cut_removed", None, {"name": name})
        for aid in chunked(b, assets):
            if b.proj.asset(aid) is not None:
                b.append("left_cut", aid, {"cut": name})
        b.emit(CutRemoved(cut=CutGone(name=name, assets=len(assets))))
    return {"name": name, "left": assets}


def list_cuts(project: Project) -> list[CutListed]:
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


def show_cut(project: Project, name: str) -> CutShown:
    r = queries.cut(project.reader, project.cfg.project_id, name)
    if r is None:
        raise UnknownCut(f"no cut named {name!r}; list them with `reelprov cut ls`")
    return {
        "name": r["name"],
        "source": r["source"],
        "rate": r["rate"],
        "imported_at": r["imported_at"],
        "events": r["events"],
        "unmatched": r["unmatched"],
    }
