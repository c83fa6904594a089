"""Where cuts show assets: every frame of an image sequence an event shows, with its track, record
in and out (a frame's own where the timeline says which frames it shows), clip and frame number.

`event_assets` walks one event; `CutPlaces` keeps, for cuts of any size, where each asset is shown
as positions in the cuts' events (cut, event, the frame's place in its sequence) and reckons the
places of one asset when asked: a 100,000-frame shot is 100,000 small tuples, not 100,000 records
of timecodes. The import compares and writes an asset's places a chunk of assets at a time, the
report a row at a time.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator

from reelprov.cuts.frames import frame_assets, frame_shown, frames_of
from reelprov.ledger.records import CutEvent, FrameShown, Place


def event_assets(event: CutEvent) -> Iterator[tuple[str, Place]]:
    """Each asset a cut's EVENT shows (every frame of an image sequence) and where: track, record
    in and out (a frame's own where the timeline tells), clip (and frame)."""
    where = _where(event)
    seq = event.get("sequence")
    if not seq:
        yield event["asset"], where
        return
    for f in frames_of(seq):
        yield f["asset"], _framed(where, f)


def event_asset_ids(event: CutEvent) -> list[str]:
    """The assets EVENT shows, as event_assets gives them, without reckoning where."""
    seq = event.get("sequence")
    return frame_assets(seq) if seq else [event["asset"]]


def _where(event: CutEvent) -> Place:
    return Place(
        track=event["track"],
        record_in=event["record_in"],
        record_out=event["record_out"],
        clip=event["clip"],
    )


def _framed(where: Place, f: FrameShown) -> Place:
    """WHERE for one frame F of its event's sequence: its number and its own record in and out."""
    place = where.copy()
    if "frame" in f:  # stored rows are read as tolerantly as before they were typed
        place["frame"] = f["frame"]
    if "record_in" in f:
        place["record_in"] = f["record_in"]
    if "record_out" in f:
        place["record_out"] = f["record_out"]
    return place


class CutPlaces:
    """Where CUTS ((name, events) each) show each asset, kept as positions in their events: (cut,
    event, the frame's place in the event's image sequence or -1 for the event's own file). Its
    iteration gives the assets in the order the cuts first show them; `places` and `of` give what
    event_assets says of an asset, in the same order."""

    def __init__(self, cuts: Iterable[tuple[str, list[CutEvent]]]) -> None:
        self.cuts = list(cuts)
        self.at: dict[str, list[tuple[int, int, int]]] = {}
        self._ends: dict[tuple[int, int], list[int]] = {}  # a sequence's runs: where each ends
        for ci, (_, events) in enumerate(self.cuts):
            for ei, e in enumerate(events):
                seq = bool(e.get("sequence"))
                for fi, aid in enumerate(event_asset_ids(e)):
                    self.at.setdefault(aid, []).append((ci, ei, fi if seq else -1))

    def __contains__(self, aid: object) -> bool:
        return aid in self.at

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)

    def of(self, aid: str) -> list[tuple[str, Place]]:
        """Each place a cut shows AID, with the cut's name."""
        return [(self.cuts[ci][0], self._place(ci, ei, fi)) for ci, ei, fi in self.at.get(aid, [])]

    def places(self, aid: str) -> list[Place] | None:
        """Each place the cuts show AID, None where they do not show it."""
        at = self.at.get(aid)
        return None if at is None else [self._place(ci, ei, fi) for ci, ei, fi in at]

    def _place(self, ci: int, ei: int, fi: int) -> Place:
        e = self.cuts[ci][1][ei]
        where = _where(e)
        seq = e.get("sequence")
        if fi < 0 or not seq:
            return where
        if "numbers" not in seq:  # kept frame by frame (imported before 2026-12-07)
            return _framed(where, seq.get("frames", [])[fi])
        n = self._number(ci, ei, seq["numbers"], fi)
        return _framed(where, frame_shown(n, frame_assets(seq)[fi], seq.get("timing")))

    def _number(self, ci: int, ei: int, numbers: list[list[int]], fi: int) -> int:
        """The frame number of the FI-th frame of a sequence kept as NUMBERS ([first, count] runs)."""
        ends = self._ends.get((ci, ei))
        if ends is None:
            ends = self._ends[ci, ei] = list(itertools.accumulate(c for _, c in numbers))
        r = bisect.bisect_right(ends, fi)
        return numbers[r][0] + fi - (ends[r - 1] if r else 0)
