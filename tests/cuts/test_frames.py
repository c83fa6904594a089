"""Frame patterns as editors' and pipeline tools write them, and the ledger's frame files."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reelprov.cuts.frames import (
    FrameIndex,
    Sequence,
    frame_by_frame,
    frame_count,
    frame_numbers,
    frames_of,
    from_pattern,
    number_runs,
    runs,
)
from reelprov.cuts.matching import Asset as _Asset
from reelprov.cuts.timeline import tc
from reelprov.ledger.chain import canonical


@pytest.mark.parametrize(
    ("path", "want"),
    [
        (
            "/show/vfx/sh010/sh010_comp.%04d.exr",
            Sequence("/show/vfx/sh010", "sh010_comp.", ".exr", 4, None),
        ),
        ("sh010_comp.%d.exr", Sequence(None, "sh010_comp.", ".exr", 0, None)),
        (
            "D:\\SHOW\\vfx\\sh010_comp_####.dpx",
            Sequence("D:/SHOW/vfx", "sh010_comp_", ".dpx", 4, None),
        ),
        ("plate.@@@@@@.exr", Sequence(None, "plate.", ".exr", 6, None)),
        ("sh010_comp.[1001-1100].exr", Sequence(None, "sh010_comp.", ".exr", 4, range(1001, 1101))),
        ("sh010_comp.[0001-0100].exr", Sequence(None, "sh010_comp.", ".exr", 4, range(1, 101))),
        ("sh010_comp.[1-100].exr", Sequence(None, "sh010_comp.", ".exr", 0, range(1, 101))),
        (
            "sh010_comp.[100-1].exr",
            Sequence(None, "sh010_comp.", ".exr", 0, None),
        ),  # backwards: which frames is not told
    ],
)
def test_frame_patterns(path: str, want: Sequence) -> None:
    assert from_pattern(path) == want


@pytest.mark.parametrize(
    "path",
    [
        "/show/vfx/sh010_comp.1001.exr",
        "castle.png",
        "a.%04d.%04d.exr",
        "100% done.mov",
        "#1 fan.png",
        "Take #2.mov",
        "Scene ####",
        "shot.#### v2.exr",
        "sh010.%04d",
    ],
)
def test_what_is_not_a_sequence(path: str) -> None:
    assert from_pattern(path) is None


def test_the_index_finds_frames_by_name_padding_and_folder() -> None:
    idx = FrameIndex(
        [
            _Asset("a", "vfx/sh010/sh010.1001.exr"),
            _Asset("b", "vfx/sh010/sh010.1002.exr"),
            _Asset("c", "vfx/sh010/sh010.10000.exr"),
            _Asset("d", "vfx/sh010/sh010.7.exr"),
            _Asset("e", "old/sh010/SH010.1001.EXR"),
            _Asset("f", "vfx/sh010/sh010_v2.1001.exr"),
            _Asset("g", "vfx/sh010/notes.txt"),
        ]
    )
    found = {
        folder: {n: a.id for n, a in frames.items()}
        for folder, frames in idx.folders(Sequence(None, "sh010.", ".exr", 4, None))
    }
    assert found == {
        "vfx/sh010": {1001: "a", 1002: "b", 10000: "c"},
        "old/sh010": {1001: "e"},
    }  # 7 is not written 0007
    unpadded = {f: sorted(fr) for f, fr in idx.folders(Sequence(None, "sh010.", ".exr", 0, None))}
    assert unpadded == {"vfx/sh010": [7, 1001, 1002, 10000], "old/sh010": [1001]}


def test_runs() -> None:
    assert runs([1005, 1001, 1002, 1003, 1007]) == ["1001-1003", "1005", "1007"]
    assert runs([]) == []
    assert runs(range(5, 6)) == ["5"]


def test_a_file_url_names_a_sequence_encoded_or_not() -> None:
    import opentimelineio as otio

    from reelprov.cuts.frames import sequence_of

    def seq(url: str) -> Sequence | None:
        clip = otio.schema.Clip(
            name="c", media_reference=otio.schema.ExternalReference(target_url=url)
        )
        return sequence_of(clip, None)

    assert seq("file://localhost/show/vfx/sh010/sh010.%5B1001-1100%5D.exr") == Sequence(
        "/show/vfx/sh010", "sh010.", ".exr", 4, range(1001, 1101)
    )
    assert seq("file:///show/vfx/sh010/sh010.%04d.exr") == Sequence(
        "file:///show/vfx/sh010", "sh010.", ".exr", 4, None
    )
    assert seq("file:///show/vfx/sh010/sh010.1001.exr") is None


@pytest.mark.parametrize(
    ("path", "start", "count", "want"),
    [
        (
            "/show/vfx/sh010_comp.1001.exr",
            0,
            48,
            Sequence("/show/vfx", "sh010_comp.", ".exr", 4, range(1001, 1049)),
        ),
        (
            "/show/vfx/sh010_comp.1001.exr",
            10,
            5,
            Sequence("/show/vfx", "sh010_comp.", ".exr", 4, range(1011, 1016)),
        ),
        ("sh020_bg_0001.DPX", 2, 3, Sequence(None, "sh020_bg_", ".DPX", 4, range(3, 6))),
        ("plate-00100.tif", 0, 2, Sequence(None, "plate-", ".tif", 5, range(100, 102))),
        ("/show/boards/board_v003.png", 0, 48, None),  # a version, not a frame
        ("/show/vfx/sh010_comp.1001.mov", 0, 48, None),  # a movie is many frames in one file
        ("/show/vfx/sh010_comp.1001.exr", 0, 1, None),  # one frame shown: that file
        (
            "/show/vfx/shot_12.png",
            0,
            48,
            None,
        ),  # two digits: a take or a shot number more often than a frame
    ],
)
def test_a_sequence_named_by_its_first_frame_file(
    path: str, start: int, count: int, want: Sequence | None
) -> None:
    import opentimelineio as otio

    def t(n: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(n, 24)

    from reelprov.cuts.frames import first_frame_sequence

    clip = otio.schema.Clip(
        name="c",
        source_range=otio.opentime.TimeRange(t(start), t(count)),
        media_reference=otio.schema.ExternalReference(
            target_url=path, available_range=otio.opentime.TimeRange(t(0), t(240))
        ),
    )
    assert first_frame_sequence(clip, clip.source_range, path) == want


@settings(max_examples=200, deadline=None)
@given(
    first=st.integers(0, 100_000),
    step=st.integers(1, 3),
    count=st.integers(1, 60),
    gaps=st.sets(st.integers(0, 59), max_size=20),
    rate_drop=st.sampled_from(
        [(24.0, False), (25.0, False), (30000 / 1001, True), (60000 / 1001, False)]
    ),
    at=st.floats(0, 86_000, allow_nan=False, allow_infinity=False),
)
def test_a_sequence_kept_compactly_gives_each_frame_the_timecodes_reckoned_at_import(
    first: int,
    step: int,
    count: int,
    gaps: set[int],
    rate_drop: tuple[float, bool],
    at: float,
) -> None:
    """Each frame's record in and out, reckoned from where the first frame the timeline shows sits
    (stored through the ledger's JSON), are those the import wrote frame by frame before: the clip's
    record in plus the frame's place among the frames the timeline shows, one timeline frame each."""
    rate, drop = rate_drop
    told = range(first, first + count * step, step)
    there = [n for i, n in enumerate(told) if i not in gaps]  # frames with a file in the ledger
    assume(there)
    seq = {
        "path": "vfx/sh010/sh010.####.exr",
        "shown": f"{told[0]}-{told[-1]}",
        "numbers": number_runs(there),
        "assets": [f"a{n}" for n in there],
        "timing": {"at": at, "first": told.start, "step": told.step, "rate": rate, "drop": drop},
        "missing": [],
    }
    kept = json.loads(canonical(seq))  # as the ledger and the cut table give it back
    before = [
        {
            "frame": n,
            "asset": f"a{n}",
            "record_in": tc(at + told.index(n) / rate, rate, drop),
            "record_out": tc(at + told.index(n) / rate + 1 / rate, rate, drop),
        }
        for n in there
    ]
    assert list(frames_of(kept)) == before
    assert list(frame_numbers(kept)) == there and frame_count(kept) == len(there)
    assert frame_by_frame(kept)["frames"] == before
