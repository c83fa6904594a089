"""Cut matching holds the assets a timeline names, not the project (issue 23: memory independent of
project size), and finds what it did before."""

from __future__ import annotations

from pathlib import Path

from reelprov.cuts.frames import Sequence, frame_numbers
from reelprov.cuts.importing import cut_events, matched_events
from reelprov.cuts.matching import Asking, Catalog
from reelprov.cuts.timeline import read_timeline
from reelprov.project import Project
from tests.conftest import write_png

EDL = """TITLE: R1
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00
* FROM CLIP NAME: castle.png

002  AX       V     C        00:00:00:00 00:00:00:05 01:00:01:00 01:00:01:05
* FROM CLIP: /Volumes/SHOW/vfx/sh010/sh010_comp.[1001-1005].png

003  AX       V     C        00:00:00:00 00:00:01:00 01:00:01:05 01:00:02:05
* FROM CLIP NAME: nowhere.mov
"""


def _project(cli, root: Path) -> Project:
    write_png(root / "final/boards/castle.png", color=(1, 2, 3))
    for n in range(1001, 1031):  # the cut shows five of these thirty frames
        write_png(root / f"vfx/sh010/sh010_comp.{n}.png", color=(n % 256, 0, 0))
    for n in range(40):  # the rest of the project: nothing the cut names
        write_png(root / f"vfx/sh020/sh020_plate.{1001 + n}.png", color=(0, n, 0))
        write_png(root / f"stills/still_{n:02d}.png", color=(0, 0, n))
    cfg = root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }'))
    assert cli("scan", cwd=root).code == 0
    return Project.open(root)


def test_the_catalog_holds_only_the_assets_the_timeline_names(cli, show_root: Path) -> None:
    p = _project(cli, show_root)
    try:
        (show_root / "r1.edl").write_text(EDL)
        edit = read_timeline(show_root / "r1.edl", 24.0, [], None)
        asked = Asking()
        cut_events(edit, p, asked, {"clip": 0})
        assert "castle.png" in asked.names and "nowhere.mov" in asked.names
        # the frames the range names, and those its source timecode (00:00:00:00) counts
        assert asked.frames == {("sh010_comp.", ".png"): [(1001, 1005), (0, 4)]}
        catalog = Catalog(p, asked)
        assert len(catalog) == 6  # castle.png and the five frames shown, of 111 assets
        assert [a.path for a in catalog.named("castle.png")] == ["final/boards/castle.png"]
        assert catalog.named("still_00.png") == []  # never asked for: not read
        # A sequence the first pass did not meet is read when asked for, in a pass of its own.
        later = catalog.frame_folders(Sequence(None, "sh020_plate.", ".png", 4, None))
        assert sorted(later["vfx/sh020"]) == list(range(1001, 1041))
        assert len(catalog) == 46
        # Frames of a sequence read in part that were not asked for are read when asked for.
        more = catalog.frame_folders(Sequence(None, "sh010_comp.", ".png", 4, range(1004, 1011)))
        assert sorted(more["vfx/sh010"]) == list(range(1004, 1011))  # what this clip shows
        assert len(catalog) == 76

        where = {"clip": 0, "track": 0}
        events, unmatched = matched_events(edit, p, where)
        assert [(e["path"], e["matched_by"]) for e in events] == [
            ("final/boards/castle.png", "clip name"),
            ("vfx/sh010/sh010_comp.1001.png", "sequence path"),
        ]
        assert list(frame_numbers(events[1]["sequence"])) == list(range(1001, 1006))
        assert [u["clip"] for u in unmatched] == ["nowhere.mov"]
        assert where["clip"] == 3  # counted once, not once a pass
    finally:
        p.close()


def test_a_deleted_asset_is_matched_after_a_live_one_of_the_same_name(cli, show_root: Path) -> None:
    """Two files named castle.png: the live one is the clip's; the other, deleted, still answers
    to its name (an edit keeps using media that went offline)."""
    p = _project(cli, show_root)
    p.close()
    write_png(show_root / "temp/castle.png", color=(9, 9, 9))
    assert cli("scan", cwd=show_root).code == 0
    (show_root / "final/boards/castle.png").unlink()
    assert cli("scan", cwd=show_root).code == 0
    p = Project.open(show_root)
    try:
        asked = Asking()
        asked.names.add("castle.png")
        hits = Catalog(p, asked).named("castle.png")
        assert [(a.path, a.live) for a in hits] == [
            ("temp/castle.png", True),
            ("final/boards/castle.png", False),
        ]
    finally:
        p.close()


def test_sequences_named_by_their_first_frame_are_read_with_the_rest(
    cli, show_root: Path, monkeypatch
) -> None:
    """An XML timeline names an image sequence by its first frame file: the frames it shows are
    asked for in the first pass, so the project's assets are read once, not once a sequence (a
    reel of 500 such shots in a project of a million files)."""
    import opentimelineio as otio

    from reelprov.cuts import matching

    for shot in ("sh070", "sh080"):
        for n in range(1001, 1011):
            write_png(show_root / f"final/vfx/{shot}/{shot}_comp.{n}.png", color=(n % 256, 7, 7))
    assert cli("scan", cwd=show_root).code == 0
    r = 24
    t = otio.opentime.RationalTime
    tl = otio.schema.Timeline(name="XML R1")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for shot in ("sh070", "sh080"):
        track.append(
            otio.schema.Clip(
                name=f"{shot}_comp.1001.png",
                source_range=otio.opentime.TimeRange(t(3, r), t(4, r)),  # frames 1004-1007
                media_reference=otio.schema.ExternalReference(
                    target_url=f"file://{show_root}/final/vfx/{shot}/{shot}_comp.1001.png",
                    available_range=otio.opentime.TimeRange(t(0, r), t(10, r)),
                ),
            )
        )
    tl.tracks.append(track)
    otio.adapters.write_to_file(tl, str(show_root / "r1.xml"), adapter_name="fcp_xml")
    reads = []
    real = matching.queries.asset_places

    def counted(*args: object, **kw: object) -> object:
        reads.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(matching.queries, "asset_places", counted)
    res = cli("cut", "import", str(show_root / "r1.xml"), "--json", cwd=show_root)
    assert res.code == 0, res.err
    assert [(e["matched_by"], e["sequence"]["shown"]) for e in res.json()["events"]] == [
        ("sequence first frame", "1004-1007"),
        ("sequence first frame", "1004-1007"),
    ]
    assert len(reads) == 1
