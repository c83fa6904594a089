"""Following cuts: a timeline file that changed, or media a cut named that arrived, imports the cut
again, as it was imported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from reelprov.cuts.frames import (
    first_frame_parts,
    frame_parts,
    from_pattern,
    name_key,
)
from reelprov.cuts.importing import CutImport, import_cut
from reelprov.cuts.matching import name_keys
from reelprov.cuts.timeline import SUPPORTED
from reelprov.errors import ReelprovError
from reelprov.ledger import queries
from reelprov.ledger.records import CutSource
from reelprov.project import Project

if TYPE_CHECKING:
    from reelprov.recording.report import Arrivals


class CutFollowed(CutImport):
    """A cut imported again: what the import did, the timeline file as shown, and why."""

    path: str
    why: str


class CutNotFollowed(TypedDict):
    """A cut that could not be imported again (the previous import stands), and why."""

    cut: str
    path: str
    why: str
    error: str


def follow_cuts(
    project: Project, recorded: list[str], arrived: Arrivals | None = None
) -> tuple[list[CutFollowed], list[CutNotFollowed]]:
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
    todo: dict[str, tuple[CutSource, str, str]] = {}  # cut name -> (its row, file as shown, why)
    for c in cuts:
        if c["source"] in changed:
            rel = changed[c["source"]]
            todo[c["name"]] = (c, rel, f"its changed timeline {rel}")
    keys = _arrival_keys(arrived.paths) if arrived else None
    for c in cuts:
        if c["name"] in todo or keys is None:
            continue
        wants = _wants(project, c)
        if wants.wanted_by(keys) or (arrived is not None and arrived.overflow and wants.any()):
            source = Path(c["source"])
            shown = (
                source.relative_to(root).as_posix() if source.is_relative_to(root) else str(source)
            )
            todo[c["name"]] = (c, shown, f"{shown}, as media it named arrived")
    done: list[CutFollowed] = []
    failed: list[CutNotFollowed] = []
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
            done.append(CutFollowed(**res, path=shown, why=why))
    return done, failed


@dataclass
class _Wanted:
    """What a cut named but did not find: file and clip names (lower case, with and without
    extension) and frames of sequences by the name around the number (None: any frame)."""

    names: set[str]
    frames: dict[tuple[str, str], set[int] | None]

    def any(self) -> bool:
        """Does the cut still miss anything?"""
        return bool(self.names or self.frames)

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


def _wants(project: Project, cut: CutSource) -> _Wanted:
    """What CUT (a row of the cut table) named and did not find, read once per import of it."""
    key = (project.cfg.project_id, cut["name"], cut["imported_seq"])
    if key not in _WANTED:
        row = queries.cut(project.reader, key[0], key[1])
        names: set[str] = set()
        frames: dict[tuple[str, str], set[int] | None] = {}
        for u in row["unmatched"] if row else []:
            for text in (u.get("reference") or "", u.get("clip") or ""):
                if (wanted := _sequence_named(text)) is not None:
                    frames[wanted] = None
                names |= name_keys(text)
        xml = Path(cut["source"]).suffix.lower() != ".edl"
        for e in row["events"] if row else []:
            shown = e.get("sequence")
            if (  # stored rows are read as tolerantly as before they were typed
                shown
                and shown.get("missing")
                and (named := _sequence_named(shown["path"])) is not None
            ):
                frames[named] = _frame_numbers(shown["missing"], frames.get(named, set()))
            elif (
                not shown and xml and (parts := first_frame_parts(e.get("path") or "")) is not None
            ):
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
        names |= name_keys(p)
        parts = frame_parts(p)
        if parts is not None:
            frames.append((*name_key(parts[1], parts[3]), int(parts[2])))
    return names, frames
