"""Where cuts show assets, kept as positions in the cuts' events and reckoned when asked: the same
places, frame by frame, as walking the events says (event_assets), for sequences with gaps and
frame steps, timed or not, kept compactly or frame by frame (cuts imported before 2026-12-07)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reelprov.cuts.frames import number_runs
from reelprov.cuts.importing import frame_by_frame_events
from reelprov.cuts.places import CutPlaces, event_asset_ids, event_assets


@settings(max_examples=100, deadline=None)
@given(
    runs_=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 30)), min_size=1, max_size=6),
    step=st.integers(1, 2),
    timed=st.booleans(),
    frame_by_frame=st.booleans(),
)
def test_the_places_kept_as_positions_are_those_the_events_say(
    runs_: list[tuple[int, int]], step: int, timed: bool, frame_by_frame: bool
) -> None:
    numbers, n = [], 1001
    for gap, count in runs_:  # frames with a file, in runs with gaps between
        n += gap
        numbers += list(range(n, n + count))
        n += count
    seq = {
        "path": "vfx/sh010/sh010.####.exr",
        "shown": f"{numbers[0]}-{numbers[-1]}",
        "numbers": number_runs(numbers),
        "assets": [f"f{k}" for k in numbers],
        "missing": [],
    }
    if timed:
        seq["timing"] = {"at": 3600.0, "first": 1001, "step": step, "rate": 24.0, "drop": False}
    clip = {"track": "V1", "kind": "Video", "clip": "sh010", "matched_by": "sequence path"}
    events = [
        {
            **clip,
            "asset": "f0",
            "path": "x",
            "record_in": "01:00:00:00",
            "record_out": "01:01:00:00",
            "sequence": seq,
        },
        {
            **clip,
            "asset": "still",
            "path": "s.png",
            "record_in": "01:01:00:00",
            "record_out": "01:01:01:00",
        },
        # the sequence's last frame again, cut in on its own
        {
            **clip,
            "asset": f"f{numbers[-1]}",
            "path": "y",
            "record_in": "01:02:00:00",
            "record_out": "01:02:01:00",
        },
    ]
    if frame_by_frame:
        events = frame_by_frame_events(events)  # type: ignore[arg-type]
    cuts = [("R1", events), ("R2", events[1:])]
    want: dict[str, list[tuple[str, dict]]] = {}
    for name, evs in cuts:
        for e in evs:
            assert [aid for aid, _ in event_assets(e)] == event_asset_ids(e)  # type: ignore[arg-type]
            for aid, where in event_assets(e):  # type: ignore[arg-type]
                want.setdefault(aid, []).append((name, where))
    places = CutPlaces(cuts)  # type: ignore[arg-type]
    assert list(places) == list(want) and len(places) == len(want)
    assert {aid: places.of(aid) for aid in places} == want
    assert {aid: places.places(aid) for aid in places} == {
        aid: [p for _, p in ps] for aid, ps in want.items()
    }
    assert (
        "nothing" not in places and places.of("nothing") == [] and places.places("nothing") is None
    )
    if timed and not frame_by_frame:
        first = places.places("f" + str(numbers[0]))
        assert first is not None and first[0]["frame"] == numbers[0]
