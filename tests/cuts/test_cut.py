"""Timeline import: real OTIO timelines, EDL and FCP XML text as editors' tools write them."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import opentimelineio as otio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import SD_PARAMS, run_cli, write_png

EDL = """TITLE: REEL 1 LOCK V12
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:02:00 01:00:00:00 01:00:02:00
* FROM CLIP NAME: castle.png
* SOURCE FILE: /Volumes/SHOW/temp/boards/castle.png

002  RANSOM   V     C        00:00:10:00 00:00:12:12 01:00:02:00 01:00:04:12
* FROM CLIP NAME: ransom_note.png

003  AX       A     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00
* FROM CLIP NAME: mystery_clip.mov
"""


def _edl(*clips: tuple[str, str | None]) -> str:
    """An EDL of one-second video events, one per (clip name, SOURCE FILE or None), in a row."""
    events = "".join(
        f"{i + 1:03d}  AX       V     C        00:00:00:00 00:00:01:00 01:00:{i:02d}:00 01:00:{i + 1:02d}:00\n"
        f"* FROM CLIP NAME: {name}\n" + (f"* SOURCE FILE: {source}\n" if source else "") + "\n"
        for i, (name, source) in enumerate(clips)
    )
    return "TITLE: R\nFCM: NON-DROP FRAME\n\n" + events


# Image sequences as an EDL names them: OpenTimelineIO reads a `[first-last]` range in FROM CLIP as a
# sequence whose first frame the event starts on; a clip name with a range is matched by name.
SEQ_EDL = """TITLE: VFX R1
FCM: NON-DROP FRAME

001  AX       V     C        00:00:41:17 00:00:41:23 01:00:00:00 01:00:00:06
* FROM CLIP NAME: sh010_comp_v003
* FROM CLIP: /Volumes/SHOW/temp/vfx/sh010/sh010_comp_v003.[1001-1010].png

002  AX       V     C        00:00:00:00 00:00:00:05 01:00:00:06 01:00:00:11
* FROM CLIP NAME: sh020_comp_v001.[1008-1012].png

003  AX       V     C        00:00:00:00 00:00:00:05 01:00:00:11 01:00:00:16
* FROM CLIP: /Volumes/SHOW/final/vfx/sh030/sh030_comp_v009.[1001-1005].png
"""


def _setup(cli, root: Path) -> None:
    write_png(root / "temp/boards/castle.png", {"parameters": SD_PARAMS})
    write_png(root / "final/props/ransom_note.png", color=(4, 4, 4))
    cfg = root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }'))
    cli("scan", cwd=root)


def test_edl_import_matches_flags_and_supersedes(cli, show_root: Path) -> None:
    _setup(cli, show_root)
    edl = show_root / "exports/reel1_lock_v12.edl"
    edl.parent.mkdir()
    edl.write_text(EDL)
    r = cli("cut", "import", str(edl), "--name", "Reel 1 lock v12", "--json", cwd=show_root)
    assert r.code == 0, r.err
    res = r.json()
    got = {
        e["path"]: (e["matched_by"], e["track"], e["record_in"], e["record_out"])
        for e in res["events"]
    }
    assert got == {
        "temp/boards/castle.png": ("path", "V", "01:00:00:00", "01:00:02:00"),
        "final/props/ransom_note.png": ("clip name", "V", "01:00:02:00", "01:00:04:12"),
    }
    assert [u["clip"] for u in res["unmatched"]] == ["mystery_clip.mov"]
    # the temp AI clip in the locked cut is headed to screen: flagged at import time
    castle = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert castle["in_cut"] is True and castle["stage"] == "temp"
    assert any(
        f["rule"] == "screen.ai_headed_to_screen" and f["status"] == "open" for f in castle["flags"]
    )
    assert [
        a["path"]
        for a in cli("ls", "--in-cut", "--origin", "ai_generated", "--json", cwd=show_root).json()
    ] == ["temp/boards/castle.png"]
    shown = cli("cut", "show", "Reel 1 lock v12", "--json", cwd=show_root).json()
    assert len(shown["events"]) == 2 and len(shown["unmatched"]) == 1
    # a newer import without the castle supersedes: it leaves the cut and its screen flag resolves
    edl.write_text(EDL.split("001")[0] + "002" + EDL.split("002", 1)[1])
    r = cli("cut", "import", str(edl), "--name", "Reel 1 lock v12", cwd=show_root)
    assert r.code == 0 and r.out.startswith(
        "cut 'Reel 1 lock v12': 1 event matched, 1 unmatched, 1 asset left the cut"
    )
    castle = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert castle["in_cut"] is False
    assert [f["status"] for f in castle["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "resolved"
    ]
    assert [c["name"] for c in cli("cut", "ls", "--json", cwd=show_root).json()] == [
        "Reel 1 lock v12"
    ]
    r = cli("cut", "ls", cwd=show_root)
    assert (
        r.out.startswith("Reel 1 lock v12: 1 event, 1 unmatched, imported ")
        and r.err.strip() == "1 cut"
    )
    assert cli("verify", cwd=show_root).code == 0


def _castle_in_cut(cli, root: Path, name: str) -> tuple[Path, dict, dict]:
    """The temp AI board imported in a cut: (the EDL, the asset, its open screen flag)."""
    _setup(cli, root)
    edl = root / "reel1.edl"
    edl.write_text(EDL)
    assert cli("cut", "import", str(edl), "--name", name, cwd=root).code == 0
    asset = cli("show", "temp/boards/castle.png", "--json", cwd=root).json()
    screen = next(f for f in asset["flags"] if f["rule"] == "screen.ai_headed_to_screen")
    assert asset["in_cut"] is True and screen["status"] == "open"
    return edl, asset, screen


def test_a_file_deleted_while_in_the_cut_still_blocks_and_comes_back_as_itself(
    cli, show_root: Path
) -> None:
    """Deleting an AI file from the share must not clear it for delivery while the cut still
    uses it (media offline is still on screen); putting it back is the same asset again."""
    import shutil

    edl, before, screen = _castle_in_cut(cli, show_root, "Reel 1")
    castle = show_root / "temp/boards/castle.png"
    shutil.move(castle, show_root.parent / "castle.bak")  # off the share
    rep = cli("scan", "--json", cwd=show_root).json()
    assert rep["deleted"] == 1
    gone = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert gone["deleted"] is True and gone["in_cut"] is True
    assert [f["status"] for f in gone["flags"] if f["id"] == screen["id"]] == [
        "open"
    ]  # still blocks
    r = cli("report", "--fail-on", "review", "--format", "md", "--output", "-", cwd=show_root)
    assert r.code == 1 and "temp/boards/castle.png (deleted; still in the cut)" in r.out
    assert "temp/boards/castle.png" in r.err
    shutil.move(show_root.parent / "castle.bak", castle)  # restored from backup
    r = cli("scan", cwd=show_root)
    assert "1 restored" in r.out and "0 new" in r.out and "0 flags raised" in r.out
    back = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert back["id"] == before["id"] and back["deleted"] is False and back["in_cut"] is True
    assert [f["id"] for f in back["flags"]] == [f["id"] for f in before["flags"]]
    # the editor re-exports the cut while the file is offline again: still matched, still blocking
    shutil.move(castle, show_root.parent / "castle.bak")
    cli("scan", cwd=show_root)
    r = cli("cut", "import", str(edl), "--name", "Reel 1", "--json", cwd=show_root)
    assert [e["path"] for e in r.json()["events"] if e["path"].endswith("castle.png")] == [
        "temp/boards/castle.png"
    ]
    assert r.json()["left"] == []
    gone = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert gone["deleted"] is True and [
        f["status"] for f in gone["flags"] if f["id"] == screen["id"]
    ] == ["open"]
    shutil.move(show_root.parent / "castle.bak", castle)
    cli("scan", cwd=show_root)
    # the cut moves on without it: its screen flag resolves
    edl.write_text(EDL.split("001")[0] + "002" + EDL.split("002", 1)[1])
    cli("cut", "import", str(edl), "--name", "Reel 1", cwd=show_root)
    after = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert [f["status"] for f in after["flags"] if f["id"] == screen["id"]] == ["resolved"]
    assert cli("verify", cwd=show_root).code == 0


def test_names_match_whichever_unicode_form_the_share_and_the_editor_use(
    cli, show_root: Path
) -> None:
    """A Mac share stores "é" decomposed (NFD); the editor's EDL and the user's keyboard compose it."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "vfx/Café/plan_é.png")
    write_png(show_root / nfd, {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    nfc = unicodedata.normalize("NFC", "plan_é.png")
    assert nfc != nfd.rsplit("/", 1)[1]
    edl = show_root / "r.edl"
    edl.write_text(
        f"TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 "
        f"01:00:01:00\n* FROM CLIP NAME: {nfc}\n\n002  AX       V     C        00:00:00:00 00:00:01:00 "
        f"01:00:01:00 01:00:02:00\n* SOURCE FILE: {show_root}/{unicodedata.normalize('NFC', 'vfx/Café/x')}/../{nfc}\n"
    )
    r = cli("cut", "import", str(edl), "--json", cwd=show_root)
    assert r.code == 0 and r.json()["unmatched"] == []
    assert [(e["path"], e["matched_by"]) for e in r.json()["events"]] == [
        (nfd, "clip name"),
        (nfd, "path"),
    ]


def test_a_name_shared_by_temp_and_final_files_is_matched_by_its_folders_or_reported_as_a_guess(
    cli, show_root: Path
) -> None:
    """No path_map yet: the editor's Mac paths (/Volumes/SHOW/...) are not under the root, so
    clips fall back to file names, and sh010.png is both the temp board and the final shot."""
    write_png(show_root / "final/vfx/sh010.png", {"parameters": SD_PARAMS}, color=(1, 2, 3))
    write_png(show_root / "temp/vfx/sh010.png", {"parameters": SD_PARAMS}, color=(3, 2, 1))
    cli("scan", cwd=show_root)
    cli(
        "tag", "temp/vfx/sh010.png", "--tag", "story-critical", cwd=show_root
    )  # the temp one is the latest touched
    edl = show_root / "r.edl"
    edl.write_text(_edl(("sh010.png", "/Volumes/SHOW/final/vfx/sh010.png"), ("sh010.png", None)))
    r = cli("cut", "import", str(edl), "--json", cwd=show_root)
    assert r.code == 0, r.err
    ev = r.json()["events"]
    # the clip with a media path is the file in the same folders, whatever share it was mounted from
    assert (ev[0]["path"], ev[0]["matched_by"]) == (
        "final/vfx/sh010.png",
        "file name",
    ) and "also_fits" not in ev[0]
    # a bare clip name fits both: a guess, and said so
    assert ev[1]["matched_by"] == "clip name"
    assert {ev[1]["path"], *ev[1]["also_fits"]} == {"final/vfx/sh010.png", "temp/vfx/sh010.png"}
    r = cli("cut", "import", str(edl), cwd=show_root)
    assert r.code == 0
    assert (
        f"guessed: V 01:00:01:00 sh010.png -> {ev[1]['path']} (by clip name; also fits {ev[1]['also_fits'][0]})"
        in r.err.splitlines()
    )
    assert "[cuts] path_map" in r.err
    assert (
        "(guessed by clip name; also fits "
        in cli("cut", "show", "R", cwd=show_root).out.splitlines()[1]
    )
    assert cli("show", "final/vfx/sh010.png", "--json", cwd=show_root).json()["in_cut"] is True


@pytest.mark.parametrize("prefix", ["D:/SHOW", "D:\\\\SHOW\\\\", "d:/show"])
def test_path_map_maps_windows_paths_and_file_urls_of_an_editor_on_windows(
    cli, show_root: Path, prefix: str
) -> None:
    """Premiere on Windows writes D:\\SHOW\\... in EDLs and file:///D:/SHOW/... in XML; Windows ignores case."""
    write_png(show_root / "final/vfx/sh010.png", {"parameters": SD_PARAMS}, color=(1, 2, 3))
    write_png(show_root / "temp/vfx/sh010.png", {"parameters": SD_PARAMS}, color=(3, 2, 1))
    write_png(show_root / "REEL/sh030.png", color=(9, 9, 9))
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", f'path_map = {{ "{prefix}" = "." }}'))
    cli("scan", cwd=show_root)
    edl = show_root / "r.edl"
    edl.write_text(
        _edl(
            ("A", "D:\\SHOW\\temp\\vfx\\sh010.png"),
            ("B", "file:///D:/Show/final/vfx/sh010.png"),
            ("C", "D:\\SHOWREEL\\sh030.png"),
        )
    )
    r = cli("cut", "import", str(edl), "--json", cwd=show_root)
    assert r.code == 0, r.err
    # a prefix maps whole folders only: D:\\SHOWREEL\\sh030.png is not D:\\SHOW + REEL\\sh030.png (found by name)
    assert [(e["clip"], e["path"], e["matched_by"]) for e in r.json()["events"]] == [
        ("A", "temp/vfx/sh010.png", "path"),
        ("B", "final/vfx/sh010.png", "path"),
        ("C", "REEL/sh030.png", "file name"),
    ]


def test_a_cut_imported_by_mistake_can_be_removed(cli, show_root: Path) -> None:
    edl, castle, screen = _castle_in_cut(cli, show_root, "Wrong reel")
    r = cli("cut", "rm", "Wrong reel", cwd=show_root)
    assert r.code == 0 and r.out.strip() == "cut 'Wrong reel' removed; 2 assets left the cut"
    assert cli("cut", "ls", "--json", cwd=show_root).json() == []
    castle = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert castle["in_cut"] is False and [
        f["status"] for f in castle["flags"] if f["id"] == screen["id"]
    ] == ["resolved"]
    kinds = [
        e["kind"] for e in cli("history", "temp/boards/castle.png", "--json", cwd=show_root).json()
    ]
    assert kinds.count("used_in_cut") == 1 and "left_cut" in kinds  # both are kept
    r = cli("cut", "rm", "Wrong reel", cwd=show_root)
    assert r.code == 2 and "no cut named 'Wrong reel'" in r.err
    # a later import under the same name is a new cut again
    assert cli("cut", "import", str(edl), "--name", "Wrong reel", cwd=show_root).code == 0
    assert [c["name"] for c in cli("cut", "ls", "--json", cwd=show_root).json()] == ["Wrong reel"]
    assert cli("verify", cwd=show_root).code == 0
    assert cli("db", "rebuild", cwd=show_root).code == 0 and cli("verify", cwd=show_root).code == 0


def test_a_reel_of_unmatched_clips_is_summed_up_on_the_terminal(cli, show_root: Path) -> None:
    _setup(cli, show_root)
    events = [
        f"{i:03d}  AX       V     C        00:00:00:00 00:00:01:00 01:00:{i:02d}:00 01:00:{i + 1:02d}:00\n"
        f"* FROM CLIP NAME: A{i:03d}C001.mov\n"
        for i in range(1, 31)
    ]
    edl = show_root / "reel2.edl"
    edl.write_text("TITLE: REEL 2\nFCM: NON-DROP FRAME\n\n" + "\n".join(events))
    r = cli("cut", "import", str(edl), "--name", "Reel 2", cwd=show_root)
    assert r.code == 0 and "0 events matched, 30 unmatched" in r.out
    lines = r.err.strip().splitlines()
    assert len(lines) == 21 and lines[0].startswith("unmatched: V 01:00:01:00 A001C001.mov")
    assert lines[-1] == "... and 10 more unmatched; `reelprov cut show 'Reel 2'` lists them all"
    assert (
        len(
            cli("cut", "import", str(edl), "--name", "Reel 2", "--json", cwd=show_root).json()[
                "unmatched"
            ]
        )
        == 30
    )
    assert cli("cut", "show", "Reel 2", cwd=show_root).out.count("(unmatched)") == 30


def _timeline(root: Path) -> otio.schema.Timeline:
    tl = otio.schema.Timeline(
        name="Reel 2", global_start_time=otio.opentime.RationalTime(107892, 30000 / 1001)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    rate = 30000 / 1001
    for i, (ref, nm) in enumerate(
        [
            (f"file://{root}/final/props/ransom_note.png", "note"),
            ("temp/boards/castle.png", "castle"),
        ]
    ):
        track.append(
            otio.schema.Clip(
                name=nm,
                media_reference=otio.schema.ExternalReference(
                    target_url=ref,
                    available_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(100, rate)
                    ),
                ),
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(48 + i, rate)
                ),
            )
        )
    tl.tracks.append(track)
    return tl


def test_otio_and_fcp_xml_with_drop_frame(cli, show_root: Path) -> None:
    _setup(cli, show_root)
    tl = _timeline(show_root)
    otio.adapters.write_to_file(tl, str(show_root / "reel2.otio"))
    r = cli("cut", "import", str(show_root / "reel2.otio"), "--json", cwd=show_root)
    assert r.code == 0, r.err
    ev = r.json()["events"]
    assert [e["matched_by"] for e in ev] == ["path", "path"]
    assert (
        ev[0]["record_in"] == "01:00:00;00" and ev[1]["record_in"] == "01:00:01;18"
    )  # drop-frame at 29.97
    otio.adapters.write_to_file(tl, str(show_root / "reel2.xml"), adapter_name="fcp_xml")
    r = cli(
        "cut",
        "import",
        str(show_root / "reel2.xml"),
        "--name",
        "Reel 2 xml",
        "--json",
        cwd=show_root,
    )
    assert r.code == 0, r.err
    assert {e["path"] for e in r.json()["events"]} == {
        "final/props/ransom_note.png",
        "temp/boards/castle.png",
    }


# As Final Cut Pro 10.6 exports a project (FCPXML 1.10): files in <media-rep>, times as exact
# fractions of a second, a connected clip (lane 1) timed from its parent's source start.
FCPXML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.10">
    <resources>
        <format id="r1" name="{fmt}" frameDuration="{fd}s" width="1920" height="1080" colorSpace="1-1-1 (Rec. 709)"/>
        <asset id="r2" name="ransom_note" uid="9E1C" start="0s" duration="{ten}s" hasVideo="1" format="r1" videoSources="1">
            <media-rep kind="original-media" sig="9E1C" src="file:///Volumes/SHOW/final/props/ransom_note.png"/>
        </asset>
        <asset id="r3" name="castle" uid="77AB" start="0s" duration="{ten}s" hasVideo="1" format="r1" videoSources="1">
            <media-rep kind="original-media" sig="77AB" src="file:///Volumes/SHOW/temp/boards/castle.png"/>
        </asset>
    </resources>
    <library location="file:///Users/ed/Movies/Show.fcpbundle/">
        <event name="Reel 1" uid="E1">
            <project name="Reel 1 lock v3" uid="P1" modDate="2026-11-20 10:00:00 +0000">
                <sequence format="r1" duration="{four}s" tcStart="{hour}s" tcFormat="{tcf}" audioLayout="stereo" audioRate="48k">
                    <spine>
                        <asset-clip ref="r2" offset="{hour}s" name="Ransom note (hero)" start="{one}s" duration="{two}s" format="r1" tcFormat="{tcf}">
                            <asset-clip ref="r3" lane="1" offset="{one_half}s" name="castle" duration="{one}s" format="r1" tcFormat="{tcf}"/>
                        </asset-clip>
                        <asset-clip ref="r3" offset="{hour_two}s" name="castle" duration="{two}s" format="r1" tcFormat="{tcf}"/>
                    </spine>
                </sequence>
            </project>
        </event>
    </library>
</fcpxml>
"""


def _fcpxml(fps: int, drop: bool) -> str:
    """FCPXML at the NTSC rate FPS*1000/1001, its sequence starting at 01:00:00:00 (01:00:00;00)."""
    rate = otio.opentime.RationalTime(0, fps * 1000 / 1001).rate
    hour = int(otio.opentime.from_timecode("01:00:00;00" if drop else "01:00:00:00", rate).value)
    t = {
        k: f"{frames * 1001}/{fps * 1000}"
        for k, frames in {
            "fd": 1,
            "ten": 10 * fps,
            "four": 4 * fps,
            "hour": hour,
            "one": fps,
            "two": 2 * fps,
            "one_half": fps + fps // 2,
            "hour_two": hour + 2 * fps,
        }.items()
    }
    return FCPXML.format(fmt=f"FFVideoFormat1080p{fps}", tcf="DF" if drop else "NDF", **t)


@pytest.mark.parametrize(
    ("fps", "drop", "want"),
    [
        (
            24,
            False,
            [
                ("0", "01:00:00:00", "01:00:02:00"),
                ("1", "01:00:00:12", "01:00:01:12"),
                ("0", "01:00:02:00", "01:00:04:00"),
            ],
        ),
        (
            30,
            True,
            [
                ("0", "01:00:00;00", "01:00:02;00"),
                ("1", "01:00:00;15", "01:00:01;15"),
                ("0", "01:00:02;00", "01:00:04;00"),
            ],
        ),
    ],
)
def test_fcpxml_of_final_cut_pro_at_ntsc_rates(
    cli, show_root: Path, fps: int, drop: bool, want: list
) -> None:
    """OTIO's FCPXML adapter rounds 23.976 down to 23 and reads no file from <media-rep>: the clip at
    01:00:00:00 came out at 01:02:32:18, and clips matched only where their name was the file's."""
    _setup(cli, show_root)
    path = show_root / "exports/reel1.fcpxml"
    path.parent.mkdir()
    path.write_text(_fcpxml(fps, drop))
    r = cli("cut", "import", str(path), "--json", cwd=show_root)
    assert r.code == 0, r.err
    events = sorted(r.json()["events"], key=lambda e: (e["record_in"], e["track"]))
    assert [(e["track"], e["record_in"], e["record_out"]) for e in events] == sorted(
        want, key=lambda w: (w[1], w[0])
    )
    assert [(e["path"], e["matched_by"]) for e in events] == [
        ("final/props/ransom_note.png", "path"),
        ("temp/boards/castle.png", "path"),
        ("temp/boards/castle.png", "path"),
    ]
    assert r.json()["unmatched"] == []
    assert cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()["in_cut"] is True


def test_a_file_of_several_timelines_is_imported_one_named_timeline_at_a_time(
    cli, show_root: Path
) -> None:
    """An FCPXML library of two events (a project each), or an OTIO collection: the first timeline was
    imported as if it were the file's only one (and an FCPXML library's later events were never read)."""
    _setup(cli, show_root)
    one = _fcpxml(24, False)
    start, end = one.index("        <event "), one.index("    </library>")
    second = (
        one[start:end]
        .replace('name="Reel 1"', 'name="Reel 2"')
        .replace("Reel 1 lock v3", "Reel 2 lock v1")
        .replace('uid="E1"', 'uid="E2"')
        .replace('uid="P1"', 'uid="P2"')
    )
    lib = show_root / "exports/show.fcpxml"
    lib.parent.mkdir()
    lib.write_text(one[:end] + second + one[end:])
    r = cli("cut", "import", str(lib), cwd=show_root)
    assert (
        r.code == 2
        and "holds 2 timelines ('Reel 1 lock v3', 'Reel 2 lock v1')" in r.err
        and "--timeline" in r.err
    )
    assert cli("cut", "ls", "--json", cwd=show_root).json() == []
    r = cli("cut", "import", str(lib), "--timeline", "Reel 2 lock v1", "--json", cwd=show_root)
    assert r.code == 0, r.err
    assert r.json()["name"] == "Reel 2 lock v1" and len(r.json()["events"]) == 3
    assert [c["name"] for c in cli("cut", "ls", "--json", cwd=show_root).json()] == [
        "Reel 2 lock v1"
    ]
    r = cli("cut", "import", str(lib), "--timeline", "Reel 3", cwd=show_root)
    assert (
        r.code == 2
        and "no timeline named 'Reel 3'; it holds 'Reel 1 lock v3', 'Reel 2 lock v1'" in r.err
    )

    both = otio.schema.SerializableCollection(name="reels")
    for n in (1, 2):
        tl = _timeline(show_root)
        tl.name = f"R{n}"
        both.append(tl)
    otio.adapters.write_to_file(both, str(show_root / "reels.otio"))
    r = cli("cut", "import", str(show_root / "reels.otio"), cwd=show_root)
    assert r.code == 2 and "holds 2 timelines ('R1', 'R2')" in r.err
    assert (
        cli("cut", "import", str(show_root / "reels.otio"), "--timeline", "R2", cwd=show_root).code
        == 0
    )


def test_clips_inside_a_compound_clip_are_timed_on_the_timeline_and_only_what_it_shows(
    cli, show_root: Path
) -> None:
    """A compound clip (a nest: Premiere, Avid, Resolve, FCP) is a stack inside a track. Its clips were
    timed from the start of the compound, not of the timeline, and counted as in the cut even where
    the compound was trimmed so they never reach the screen."""
    _setup(cli, show_root)
    r = 24

    def t(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, r)

    def clip(name: str, url: str, frames: int) -> otio.schema.Clip:
        ref = otio.schema.ExternalReference(
            target_url=url, available_range=otio.opentime.TimeRange(t(0), t(480))
        )
        return otio.schema.Clip(
            name=name, media_reference=ref, source_range=otio.opentime.TimeRange(t(0), t(frames))
        )

    tl = otio.schema.Timeline(
        name="Nest", global_start_time=otio.opentime.from_timecode("01:00:00:00", r)
    )
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    track.append(clip("intro.mov", "file:///Volumes/SHOW/intro.mov", 48))  # 01:00:00:00-01:00:02:00
    inside = otio.schema.Track(name="nest V1")
    inside.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(t(0), t(24))))
    inside.append(
        clip("castle", "file:///Volumes/SHOW/temp/boards/castle.png", 48)
    )  # 1 s - 3 s of the nest
    inside.append(
        clip("ransom", "file:///Volumes/SHOW/final/props/ransom_note.png", 48)
    )  # 3 s - 5 s
    nest = otio.schema.Stack(
        name="nest", source_range=otio.opentime.TimeRange(t(36), t(24))
    )  # shows 1.5 s - 2.5 s
    nest.append(inside)
    track.append(nest)
    otio.adapters.write_to_file(tl, str(show_root / "nest.otio"))
    res = cli("cut", "import", str(show_root / "nest.otio"), "--json", cwd=show_root).json()
    assert [(e["path"], e["track"], e["record_in"], e["record_out"]) for e in res["events"]] == [
        ("temp/boards/castle.png", "V1", "01:00:02:00", "01:00:03:00")
    ]
    assert [u["clip"] for u in res["unmatched"]] == ["intro.mov"]
    assert (
        cli("show", "final/props/ransom_note.png", "--json", cwd=show_root).json()["in_cut"]
        is False
    )


def test_bad_timelines_exit_2_and_keep_previous_cut(cli, show_root: Path) -> None:
    _setup(cli, show_root)
    good = show_root / "a.edl"
    good.write_text(EDL)
    cli("cut", "import", str(good), "--name", "R1", cwd=show_root)
    before = cli("cut", "show", "R1", "--json", cwd=show_root).json()
    bad = show_root / "bad.edl"
    bad.write_text("TITLE: x\n001  AX  V  C  garbage here\n")
    empty = show_root / "empty.otio"
    otio.adapters.write_to_file(otio.schema.Timeline(name="empty"), str(empty))
    junk_aaf = show_root / "junk.aaf"
    junk_aaf.write_bytes(b"not an aaf" * 10)
    folder = show_root / "exports.edl"
    folder.mkdir()
    for f, words in [
        (bad, "cannot read"),
        (show_root / "cut.mov", "unsupported"),
        (empty, "no clips"),
        (junk_aaf, "cannot read"),
        (folder, "is a folder; give the timeline file"),
        (show_root / "gone.txt", "no such file"),
    ]:
        if f.suffix == ".mov":
            f.write_bytes(b"x")
        r = cli("cut", "import", str(f), "--name", "R1", cwd=show_root)
        assert r.code == 2 and str(f.name) in r.err and words in r.err, (f, r.err)
    assert cli("cut", "show", "R1", "--json", cwd=show_root).json() == before


@pytest.mark.parametrize(
    "where",
    [
        "edl source file",
        "otio media path",
        "otio clip name",
        "otio sequence name",
        "otio sequence padding",
    ],
)
def test_megabyte_names_in_a_timeline_are_refused_and_nothing_is_stored(
    cli, show_root: Path, where: str
) -> None:
    _setup(cli, show_root)
    big = "shot_" + "x" * 1_000_000
    rate = 24
    if where == "edl source file":
        f = show_root / "big.edl"
        f.write_text(
            EDL
            + f"\n002  AX       V     C        00:00:00:00 00:00:01:00 01:00:10:00 01:00:11:00\n* SOURCE FILE: /x/{big}.mov\n"
        )
    else:
        f = show_root / "big.otio"
        tl = otio.schema.Timeline(name="R1")
        track = otio.schema.Track(name="V1")
        url = f"file:///x/{big}.mov" if where == "otio media path" else "file:///x/plate.mov"
        ref = otio.schema.ExternalReference(target_url=url)
        if where.startswith(
            "otio sequence"
        ):  # the name around the frame number, or its padding, never checked
            ref = otio.schema.ImageSequenceReference(
                target_url_base="file:///x/",
                name_prefix=big if where == "otio sequence name" else "s.",
                name_suffix=".exr",
                frame_zero_padding=1_000_000 if where == "otio sequence padding" else 4,
                start_frame=1,
                rate=rate,
            )
        track.append(
            otio.schema.Clip(
                name=big if where == "otio clip name" else "c1",
                media_reference=ref,
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(24, rate)
                ),
            )
        )
        tl.tracks.append(track)
        otio.adapters.write_to_file(tl, str(f))
    db = show_root / ".reelprov/ledger.db"
    before = cli("history", "temp/boards/castle.png", "--json", cwd=show_root).json()
    r = cli("cut", "import", str(f), "--name", "R1", cwd=show_root)
    assert (
        r.code == 2
        and f.name in r.err
        and re.search(r"clip \d+ on track V", r.err)
        and "1,000,0" in r.err
        and "export it again" in r.err
    ), r.err[:500]
    assert len(r.err) < 1000
    assert cli("cut", "ls", "--json", cwd=show_root).json() == []
    assert cli("history", "temp/boards/castle.png", "--json", cwd=show_root).json() == before
    assert db.stat().st_size < 1_000_000
    assert cli("verify", cwd=show_root).code == 0


def test_ntsc_edl_rates_as_typed_and_drop_frame_record_timecode(cli, show_root: Path) -> None:
    """`--rate 29.97` means 30000/1001 (SMPTE timecode refuses 29.97 itself); under FCM: DROP FRAME
    the record timecodes are drop-frame; DROP FRAME at a rate without it is exit 2 saying what to pass."""
    _setup(cli, show_root)
    body = "\n001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n* FROM CLIP NAME: castle.png\n"
    df, ndf = show_root / "df.edl", show_root / "ndf.edl"
    df.write_text("TITLE: DF\nFCM: DROP FRAME\n" + body)
    ndf.write_text("TITLE: NDF\nFCM: NON-DROP FRAME\n" + body)
    for f, rate, want in [
        (df, "29.97", ("01:00:00;00", "01:00:01;00")),
        (ndf, "29.97", ("01:00:00:00", "01:00:01:00")),
        (df, "59.94", ("01:00:00;00", "01:00:01;00")),
    ]:
        r = cli("cut", "import", str(f), "--rate", rate, "--json", cwd=show_root)
        assert r.code == 0, r.err
        ev = r.json()["events"]
        assert [(e["path"], e["record_in"], e["record_out"]) for e in ev] == [
            ("temp/boards/castle.png", *want)
        ], (f.name, rate)
    for rate, words in [
        ("24", "--rate 29.97"),
        ("0", "not a frame rate"),
        ("nan", "not a frame rate"),
    ]:
        r = cli("cut", "import", str(df), "--rate", rate, cwd=show_root)
        assert r.code == 2 and "df.edl" in r.err and words in r.err, (rate, r.err)


_FUZZ_TOKENS = [
    b"-1",
    b"0",
    b"99999999999",
    b"nan",
    b"inf",
    b"\x00",
    b"",
    b"\xff\xfe",
    b"null",
    b"[]",
    b"{}",
    b'"',
    b"<",
    b"99:99:99:99",
    b"-00:00:01:00",
    b"1/0",
    b"DROP FRAME",
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@example(
    kind=".edl", edits=[(EDL.encode().index(b"NON-"), 4, b"")]
)  # DROP FRAME at 24 fps: was a traceback
@example(kind=".edl", edits=[(EDL.encode().index(b"01:00:00:00"), 11, b"99:99:99:99")])
@example(kind=".seq.edl", edits=[(SEQ_EDL.encode().index(b"1010]"), 4, b"99999999999")])
@given(
    kind=st.sampled_from([".edl", ".otio", ".xml", ".fcpxml", ".seq.edl", ".seq.otio", ".seq.xml"]),
    edits=st.lists(
        st.tuples(
            st.integers(0, 1 << 12),
            st.integers(0, 8),
            st.one_of(st.sampled_from(_FUZZ_TOKENS), st.binary(max_size=4)),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_timelines_are_imported_or_refused_never_crash(
    tmp_path_factory: pytest.TempPathFactory, kind: str, edits: list[tuple[int, int, bytes]]
) -> None:
    """Damaged timeline files: exit 0 (imported) or 2 (refused, naming the file), never a traceback;
    the ledger stays valid."""
    root = tmp_path_factory.mktemp("fuzzcut")
    run_cli("init", str(root))
    seed = root / f"seed{kind}"
    if kind == ".edl":
        seed.write_text(EDL)
    elif kind in (
        ".seq.edl",
        ".seq.otio",
        ".seq.xml",
    ):  # image sequences, with frames of them in the ledger
        for n in (1001, 1002, 1009, 1010):
            (root / "temp/vfx/sh010").mkdir(parents=True, exist_ok=True)
            (root / f"temp/vfx/sh010/sh010_comp_v003.{n}.png").write_bytes(b"frame %d" % n)
        run_cli("scan", cwd=root)
        if kind == ".seq.edl":
            seed.write_text(SEQ_EDL)
        elif kind == ".seq.xml":  # FCP 7 XML names a sequence by its first frame file
            rt = otio.opentime.RationalTime
            tl = otio.schema.Timeline(name="S")
            tl.tracks.append(otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video))
            tl.tracks[0].append(
                otio.schema.Clip(
                    name="sh010",
                    source_range=otio.opentime.TimeRange(rt(1, 24), rt(8, 24)),
                    media_reference=otio.schema.ExternalReference(
                        target_url=f"file://{root}/temp/vfx/sh010/sh010_comp_v003.1001.png",
                        available_range=otio.opentime.TimeRange(rt(0, 24), rt(10, 24)),
                    ),
                )
            )
            otio.adapters.write_to_file(tl, str(seed), adapter_name="fcp_xml")
        else:
            rt = otio.opentime.RationalTime
            ref = otio.schema.ImageSequenceReference(
                target_url_base=f"file://{root}/temp/vfx/sh010/",
                name_prefix="sh010_comp_v003.",
                name_suffix=".png",
                start_frame=1001,
                frame_zero_padding=4,
                rate=24,
                available_range=otio.opentime.TimeRange(rt(0, 24), rt(10, 24)),
            )
            tl = otio.schema.Timeline(name="S")
            tl.tracks.append(otio.schema.Track(name="V1"))
            tl.tracks[0].append(
                otio.schema.Clip(
                    name="sh010",
                    media_reference=ref,
                    source_range=otio.opentime.TimeRange(rt(1, 24), rt(8, 24)),
                )
            )
            otio.adapters.write_to_file(tl, str(seed))
    elif kind == ".fcpxml":
        seed.write_text(_fcpxml(24, False))
    else:
        otio.adapters.write_to_file(
            _timeline(root), str(seed), **({"adapter_name": "fcp_xml"} if kind == ".xml" else {})
        )
    data = bytearray(seed.read_bytes())
    for pos, n, blob in edits:
        p = pos % (len(data) + 1)
        data[p : p + n] = blob
    f = root / f"damaged{kind}"
    f.write_bytes(bytes(data))
    r = run_cli("cut", "import", str(f), "--name", "F", cwd=root)
    assert r.code in (0, 2), r.err
    assert "Traceback" not in r.err
    if r.code == 2:
        assert (
            "damaged" + kind in r.err
            and r.err.startswith("reelprov: error:")
            and r.err.count("\n") == 1
        ), r.err
    assert run_cli("verify", cwd=root).code == 0


def test_what_the_aaf_reader_logs_is_a_note_not_raw_log_lines(show_root: Path) -> None:
    """pyaaf2 logs through the root logger when an AAF is slightly damaged; the import goes on, and
    the user gets one reelprov warning line (and `notes` in --json), not 'WARNING:root:...'."""
    import json
    import os
    import struct
    import subprocess
    import sys

    rate = 24
    tl = otio.schema.Timeline(name="Reel 3")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(
        otio.schema.Clip(
            name="a",
            media_reference=otio.schema.ExternalReference(
                target_url="file:///Volumes/SHOW/a.png",
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(100, rate)
                ),
            ),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(48, rate)
            ),
        )
    )
    tl.tracks.append(track)
    aaf = show_root / "reel3.aaf"
    otio.adapters.write_to_file(tl, str(aaf), use_empty_mob_ids=True)
    data = bytearray(
        aaf.read_bytes()
    )  # a compound file whose root entry misstates the mini stream's size
    sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    at = (struct.unpack_from("<I", data, 0x30)[0] + 1) * sector + 0x78
    struct.pack_into("<Q", data, at, struct.unpack_from("<Q", data, at)[0] + 4096)
    aaf.write_bytes(bytes(data))
    env = {**os.environ, "REELPROV_PROJECT": str(show_root), "REELPROV_ACTOR": "t"}
    r = subprocess.run(
        [sys.executable, "-m", "reelprov", "cut", "import", str(aaf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "WARNING:" not in r.stderr
    assert (
        "reelprov: warning: " in r.stderr
        and "reel3.aaf: the reader says: mini stream size" in r.stderr
    ), r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "reelprov", "cut", "import", str(aaf), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (
        any("mini stream size" in n for n in json.loads(r.stdout)["notes"])
        and "WARNING:" not in r.stderr
    )


def test_timeline_with_invalid_utf8_names_is_refused_naming_the_clip(cli, show_root: Path) -> None:
    """OTIO keeps whatever bytes a file held; reading such a clip name raised a traceback."""
    _setup(cli, show_root)
    f = show_root / "reel2.otio"
    otio.adapters.write_to_file(_timeline(show_root), str(f))
    f.write_bytes(f.read_bytes().replace(b'"castle"', b'"cas\xf0\x28tle"'))
    r = cli("cut", "import", str(f), "--json", cwd=show_root)
    assert (
        r.code == 2
        and "reel2.otio: clip 2 on track 1 cannot be read" in r.err
        and "export it again" in r.err
    ), r.err
    assert cli("cut", "ls", "--json", cwd=show_root).json() == []


def test_aaf_written_by_pyaaf2(cli, show_root: Path) -> None:
    """A real AAF file (written through otio-aaf-adapter / pyaaf2), media on an editor's mount."""
    _setup(cli, show_root)
    rate = 24
    tl = otio.schema.Timeline(name="Reel 3")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for rel in ("temp/boards/castle.png", "final/props/ransom_note.png"):
        ref = otio.schema.ExternalReference(
            target_url=f"file:///Volumes/SHOW/{rel}",
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(100, rate)
            ),
        )
        track.append(
            otio.schema.Clip(
                name=Path(rel).stem,
                media_reference=ref,
                source_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(48, rate)
                ),
            )
        )
    tl.tracks.append(track)
    aaf = show_root / "reel3.aaf"
    otio.adapters.write_to_file(tl, str(aaf), use_empty_mob_ids=True)
    r = cli("cut", "import", str(aaf), "--json", cwd=show_root)
    assert r.code == 0, r.err
    got = {
        e["path"]: (e["matched_by"], e["record_in"], e["record_out"]) for e in r.json()["events"]
    }
    assert got == {
        "temp/boards/castle.png": ("path", "00:00:00:00", "00:00:02:00"),
        "final/props/ransom_note.png": ("path", "00:00:02:00", "00:00:04:00"),
    }


def _frames(root: Path, folder: str, name: str, numbers: range, ai: int | None = None) -> None:
    """An image sequence as a render writes it: one file per frame, FRAME AI made by Stable Diffusion."""
    for n in numbers:
        write_png(
            root / folder / name.replace("####", f"{n:04d}"),
            {"parameters": SD_PARAMS} if n == ai else None,
            color=(n % 256, n // 256 % 256, 7),
        )


def test_image_sequences_in_an_edl_are_matched_frame_by_frame(cli, show_root: Path) -> None:
    """A comp delivered as an image sequence (one file per frame): its clip stayed unmatched, so an
    AI-made frame in it was never in the cut and nothing was flagged for the screen. Each frame the
    cut shows is now in it, with its own record timecode; frames it does not show are not."""
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1011), ai=1005)
    _frames(show_root, "final/vfx/sh020", "sh020_comp_v001.####.png", range(1001, 1011))
    assert cli("scan", cwd=show_root).code == 0
    ai = cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()
    assert ai["origin"] == "ai_generated" and not [
        f for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"
    ]
    edl = show_root / "vfx_r1.edl"
    edl.write_text(SEQ_EDL)
    r = cli("cut", "import", str(edl), cwd=show_root)
    assert r.code == 0, r.err
    assert r.out.startswith(
        "cut 'VFX R1': 2 events matched (9 frames of 2 image sequences), 1 unmatched, 0 assets left the cut"
    )
    assert (
        "missing frames: V 01:00:00:06 sh020_comp_v001.[1008-1012].png: 1011-1012 of final/vfx/sh020/sh020_comp_v001.####.png"
        in r.err
    )
    assert (
        "unmatched: V 01:00:00:11 sh030_comp_v009.[1001-1005] (/Volumes/SHOW/final/vfx/sh030/sh030_comp_v009.####.png)"
        in r.err
    )
    in_cut = [a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()]
    assert sorted(in_cut) == [
        f"final/vfx/sh020/sh020_comp_v001.{n}.png" for n in range(1008, 1011)
    ] + [f"temp/vfx/sh010/sh010_comp_v003.{n}.png" for n in range(1001, 1007)]
    ai = cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()
    assert ai["in_cut"] is True and ai["cuts"] == ["VFX R1"]
    assert [f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "open"
    ]
    shown = cli("cut", "show", "VFX R1", "--json", cwd=show_root).json()
    seq = shown["events"][0]["sequence"]
    assert (seq["path"], seq["shown"], seq["missing"]) == (
        "temp/vfx/sh010/sh010_comp_v003.####.png",
        "1001-1006",
        [],
    )
    assert [(f["frame"], f["record_in"]) for f in seq["frames"]][3:5] == [
        (1004, "01:00:00:03"),
        (1005, "01:00:00:04"),
    ]
    assert (
        shown["events"][0]["matched_by"] == "sequence path"
        and shown["events"][1]["matched_by"] == "sequence file name"
    )
    assert cli("cut", "show", "VFX R1", cwd=show_root).out.splitlines()[:2] == [
        "V    01:00:00:00 01:00:00:06  temp/vfx/sh010/sh010_comp_v003.####.png [1001-1006, 6 frames]",
        "V    01:00:00:06 01:00:00:11  final/vfx/sh020/sh020_comp_v001.####.png [1008-1010, 3 frames; missing 1011-1012]",
    ]
    report = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    rows = [
        r
        for s in report["sections"]
        for r in s["rows"]
        if r["path"] == "temp/vfx/sh010/sh010_comp_v003.1005.png"
    ]
    assert rows and rows[0]["cut_usage"] == [
        {"cut": "VFX R1", "track": "V", "record_in": "01:00:00:04", "record_out": "01:00:00:05"}
    ]
    # a new version of the cut trims the shot to its first four frames: the AI frame leaves the cut
    edl.write_text(
        SEQ_EDL.replace(
            "00:00:41:23 01:00:00:00 01:00:00:06", "00:00:41:21 01:00:00:00 01:00:00:04"
        )
    )
    r = cli("cut", "import", str(edl), "--json", cwd=show_root)
    assert r.code == 0 and len(r.json()["left"]) == 2
    ai = cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()
    assert ai["in_cut"] is False
    assert [f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "resolved"
    ]
    assert (
        cli("show", "temp/vfx/sh010/sh010_comp_v003.1004.png", "--json", cwd=show_root).json()[
            "in_cut"
        ]
        is True
    )
    # and a cut removed takes every frame out with it
    assert cli("cut", "rm", "VFX R1", cwd=show_root).code == 0
    assert cli("ls", "--in-cut", "--json", cwd=show_root).json() == []
    assert cli("verify", cwd=show_root).code == 0


def _cut_payload(root: Path) -> dict:
    con = sqlite3.connect(root / ".reelprov/ledger.db")
    try:
        (text,) = con.execute(
            "SELECT payload FROM ledger_entry WHERE kind = 'cut_imported' ORDER BY seq DESC"
        ).fetchone()
    finally:
        con.close()
    return json.loads(text)


def test_a_cut_keeps_a_sequences_frames_compactly_and_reads_a_cut_kept_frame_by_frame(
    cli, show_root: Path
) -> None:
    """A 100,000-frame shot was a 100,000-item list in the ledger, each frame with its asset and two
    timecodes, held parsed by every command that read the cut. The frames are now kept as runs of
    numbers, their assets and where the first sits on the timeline; every command shows the same.
    A cut imported before (frame by frame) reads as it did, and is not imported again for it."""
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1011), ai=1005)
    _frames(show_root, "final/vfx/sh020", "sh020_comp_v001.####.png", range(1001, 1011))
    edl = show_root / "vfx_r1.edl"
    edl.write_text(SEQ_EDL)
    assert cli("cut", "import", str(edl), cwd=show_root).code == 0
    assert cli("scan", cwd=show_root).code == 0  # the EDL itself recorded
    stored = _cut_payload(show_root)
    seq = stored["events"][0]["sequence"]
    assert "frames" not in seq and seq["numbers"] == [[1001, 6]] and len(seq["assets"]) == 6
    assert seq["timing"] == {"at": 3600.0, "first": 1001, "step": 1, "rate": 24.0, "drop": False}
    shown = cli("cut", "show", "VFX R1", "--json", cwd=show_root).json()
    frames = shown["events"][0]["sequence"]["frames"]
    assert [(f["frame"], f["record_in"], f["record_out"]) for f in frames][4:] == [
        (1005, "01:00:00:04", "01:00:00:05"),
        (1006, "01:00:00:05", "01:00:00:06"),
    ]
    assert [f["asset"] for f in frames] == seq["assets"]
    ai = cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()
    assert (ai["id"], ai["in_cut"]) == (seq["assets"][4], True)
    text = cli("cut", "show", "VFX R1", cwd=show_root).out
    report = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    # the same cut as reelprov kept it before 2026-12-07: every frame listed with its timecodes
    from reelprov.cuts.importing import frame_by_frame_events
    from reelprov.project import Project

    old = {**stored, "events": frame_by_frame_events(stored["events"])}
    assert old["events"][0]["sequence"]["frames"] == frames
    p = Project.open(show_root)
    try:
        with p.batch() as b:
            b.append("cut_imported", None, old)
    finally:
        p.close()
    assert "numbers" not in _cut_payload(show_root)["events"][0]["sequence"]
    again = cli("cut", "show", "VFX R1", "--json", cwd=show_root).json()
    assert (again["events"], again["unmatched"]) == (shown["events"], shown["unmatched"])
    assert cli("cut", "show", "VFX R1", cwd=show_root).out == text
    after = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    for c in (*after["cuts"], *report["cuts"]):
        del c["imported_at"]  # when the entry was written: the old one was written later here
    assert after["cuts"] == report["cuts"] and after["sections"] == report["sections"]
    assert cli("verify", cwd=show_root).code == 0
    # the timeline written again as it was (another tool's line endings): the cut is the same
    edl.write_text(edl.read_text().replace("\n", "\r\n"))
    r = cli("scan", "--json", cwd=show_root).json()
    assert (r["changed"], r["cuts_imported"], r["cut_errors"]) == (1, [], [])
    assert cli("db", "rebuild", cwd=show_root).code == 0
    assert cli("verify", cwd=show_root).code == 0


def test_otio_image_sequences_count_the_frames_the_cut_shows(cli, show_root: Path) -> None:
    """An OTIO ImageSequenceReference (as Resolve, RV and pipeline tools write it) inside a trimmed
    compound clip: the frames its source range shows, as OpenTimelineIO reckons them. A media path
    with a frame pattern and no range counts every frame of the sequence there is."""
    _setup(cli, show_root)
    _frames(show_root, "final/vfx/sh040", "sh040_comp.####.png", range(1001, 1025), ai=1003)
    _frames(show_root, "final/vfx/sh050", "sh050_fg.####.png", range(1, 4))
    _frames(show_root, "final/vfx/sh060", "sh060_bg_####.png", range(7, 9))
    assert cli("scan", cwd=show_root).code == 0
    r = 24

    def t(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, r)

    ref = otio.schema.ImageSequenceReference(
        target_url_base="file:///Volumes/SHOW/final/vfx/sh040/",
        name_prefix="sh040_comp.",
        name_suffix=".png",
        start_frame=1001,
        frame_zero_padding=4,
        rate=r,
        available_range=otio.opentime.TimeRange(t(86400), t(24)),
    )
    tl = otio.schema.Timeline(
        name="Seq", global_start_time=otio.opentime.from_timecode("01:00:00:00", r)
    )
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    inside = otio.schema.Track(name="nest V1")
    inside.append(
        otio.schema.Clip(
            name="sh040", media_reference=ref, source_range=otio.opentime.TimeRange(t(86402), t(20))
        )
    )
    nest = otio.schema.Stack(
        name="nest", source_range=otio.opentime.TimeRange(t(0), t(10))
    )  # only its first 10 frames
    nest.append(inside)
    track.append(nest)
    track.append(
        otio.schema.Clip(
            name="sh050 fg",
            media_reference=otio.schema.ExternalReference(
                target_url="/Volumes/SHOW/final/vfx/sh050/sh050_fg.%04d.png"
            ),
            source_range=otio.opentime.TimeRange(t(0), t(3)),
        )
    )
    track.append(
        otio.schema.Clip(
            name="sh060 bg",
            media_reference=otio.schema.ImageSequenceReference(
                target_url_base="final/vfx/sh060",
                name_prefix="sh060_bg_",
                name_suffix=".png",
                frame_zero_padding=4,
                rate=r,
            ),
            source_range=otio.opentime.TimeRange(t(0), t(2)),
        )
    )
    otio.adapters.write_to_file(tl, str(show_root / "seq.otio"))
    res = cli("cut", "import", str(show_root / "seq.otio"), "--json", cwd=show_root).json()
    first, second, third = res["events"]
    assert (third["sequence"]["shown"], [f["frame"] for f in third["sequence"]["frames"]]) == (
        None,
        [7, 8],
    )
    assert (first["sequence"]["shown"], [f["frame"] for f in first["sequence"]["frames"]]) == (
        "1003-1012",
        list(range(1003, 1013)),
    )
    assert (
        first["record_in"],
        first["sequence"]["frames"][0]["record_in"],
        first["sequence"]["frames"][-1]["record_out"],
    ) == ("01:00:00:00", "01:00:00:00", "01:00:00:10")
    assert (second["sequence"]["shown"], [f["frame"] for f in second["sequence"]["frames"]]) == (
        None,
        [1, 2, 3],
    )
    assert (
        cli("show", "final/vfx/sh040/sh040_comp.1003.png", "--json", cwd=show_root).json()["in_cut"]
        is True
    )
    assert (
        cli("show", "final/vfx/sh040/sh040_comp.1013.png", "--json", cwd=show_root).json()["in_cut"]
        is False
    )
    assert len(cli("ls", "--in-cut", "--json", cwd=show_root).json()) == 15


def test_an_xml_timeline_naming_a_sequence_by_its_first_frame_shows_the_frames_from_it(
    cli, show_root: Path
) -> None:
    """Premiere and FCP 7 XML name an image sequence by its first frame file: only that file was in
    the cut, so an AI-made frame further in was never flagged for the screen. With the next frame
    there too, the clip shows the frames from its in point on; a version number (`_v003`) or a
    numbered still with no next frame stays one file."""
    _setup(cli, show_root)
    _frames(show_root, "final/vfx/sh070", "sh070_comp.####.png", range(1001, 1011), ai=1006)
    write_png(show_root / "final/boards/board_v003.png", color=(9, 9, 1))
    write_png(show_root / "final/boards/board_v004.png", {"parameters": SD_PARAMS}, color=(9, 9, 2))
    write_png(show_root / "final/plates/plate_0001.png", color=(9, 9, 3))
    assert cli("scan", cwd=show_root).code == 0
    r = 24

    def t(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, r)

    tl = otio.schema.Timeline(
        name="XML R1", global_start_time=otio.opentime.from_timecode("01:00:00:00", r)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for rel, media, shown in (
        ("final/vfx/sh070/sh070_comp.1001.png", 10, otio.opentime.TimeRange(t(2), t(5))),
        ("final/boards/board_v003.png", 240, otio.opentime.TimeRange(t(0), t(48))),
        ("final/plates/plate_0001.png", 240, otio.opentime.TimeRange(t(0), t(24))),
    ):
        track.append(
            otio.schema.Clip(
                name=Path(rel).name,
                source_range=shown,
                media_reference=otio.schema.ExternalReference(
                    target_url=f"file:///Volumes/SHOW/{rel}",
                    available_range=otio.opentime.TimeRange(t(0), t(media)),
                ),
            )
        )
    tl.tracks.append(track)
    otio.adapters.write_to_file(tl, str(show_root / "r1.xml"), adapter_name="fcp_xml")
    res = cli("cut", "import", str(show_root / "r1.xml"), "--json", cwd=show_root)
    assert res.code == 0, res.err
    comp, board, plate = res.json()["events"]
    assert comp["matched_by"] == "sequence first frame"
    assert (comp["sequence"]["path"], comp["sequence"]["shown"]) == (
        "final/vfx/sh070/sh070_comp.####.png",
        "1003-1007",
    )
    assert [(f["frame"], f["record_in"]) for f in comp["sequence"]["frames"]] == [
        (1003, "01:00:00:00"),
        (1004, "01:00:00:01"),
        (1005, "01:00:00:02"),
        (1006, "01:00:00:03"),
        (1007, "01:00:00:04"),
    ]
    assert (board["path"], board["matched_by"], "sequence" in board) == (
        "final/boards/board_v003.png",
        "path",
        False,
    )
    assert (plate["path"], "sequence" in plate) == ("final/plates/plate_0001.png", False)
    ai = cli("show", "final/vfx/sh070/sh070_comp.1006.png", "--json", cwd=show_root).json()
    assert ai["in_cut"] is True
    assert [f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "open"
    ]
    in_cut = {a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()}
    assert {p for p in in_cut if "sh070" in p} == {
        f"final/vfx/sh070/sh070_comp.{n}.png" for n in range(1003, 1008)
    }
    assert "final/boards/board_v004.png" not in in_cut  # the next version is not the next frame
    assert cli("verify", cwd=show_root).code == 0


def test_the_rest_of_a_sequence_named_by_its_first_frame_joins_the_cut_when_it_arrives(
    cli, show_root: Path
) -> None:
    """The comp's first frame was delivered before the cut was imported, the rest after: the clip
    matched that one file; the next frame arriving makes it a sequence, and the cut is matched again
    from its unchanged timeline."""
    _setup(cli, show_root)
    _frames(show_root, "final/vfx/sh080", "sh080_comp.####.png", range(1001, 1002))
    assert cli("scan", cwd=show_root).code == 0
    r = 24
    tl = otio.schema.Timeline(
        name="XML R2", global_start_time=otio.opentime.from_timecode("01:00:00:00", r)
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(
        otio.schema.Clip(
            name="sh080",
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, r), otio.opentime.RationalTime(4, r)
            ),
            media_reference=otio.schema.ExternalReference(
                target_url="file:///Volumes/SHOW/final/vfx/sh080/sh080_comp.1001.png",
                available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(0, r), otio.opentime.RationalTime(8, r)
                ),
            ),
        )
    )
    tl.tracks.append(track)
    xml = show_root.parent / "editorial" / "r2.xml"  # the editor's export, outside the project
    xml.parent.mkdir()
    otio.adapters.write_to_file(tl, str(xml), adapter_name="fcp_xml")
    res = cli("cut", "import", str(xml), "--json", cwd=show_root)
    assert res.code == 0, res.err
    assert [(e["path"], "sequence" in e) for e in res.json()["events"]] == [
        ("final/vfx/sh080/sh080_comp.1001.png", False)
    ]
    _frames(show_root, "final/vfx/sh080", "sh080_comp.####.png", range(1002, 1009), ai=1003)
    scan = cli("scan", "--json", cwd=show_root)
    assert scan.code == 0, scan.err
    assert [c["name"] for c in scan.json()["cuts_imported"]] == ["XML R2"]
    ev = cli("cut", "show", "XML R2", "--json", cwd=show_root).json()["events"][0]
    assert (ev["matched_by"], ev["sequence"]["shown"]) == ("sequence first frame", "1001-1004")
    ai = cli("show", "final/vfx/sh080/sh080_comp.1003.png", "--json", cwd=show_root).json()
    assert ai["in_cut"] is True and [
        f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"
    ] == ["open"]
    assert (
        cli("show", "final/vfx/sh080/sh080_comp.1005.png", "--json", cwd=show_root).json()["in_cut"]
        is False
    )


def test_a_sequence_matches_whatever_case_and_unicode_form_the_editor_wrote(
    cli, show_root: Path
) -> None:
    """A Mac share hands the editor NFD names, an editor on Windows may change case: the frames are
    found all the same, and the sequence is named as its files are."""
    import unicodedata

    _setup(cli, show_root)
    _frames(
        show_root,
        unicodedata.normalize("NFC", "final/vfx/café"),
        "sh070_comp.####.png",
        range(1, 4),
    )
    assert cli("scan", cwd=show_root).code == 0
    folder = unicodedata.normalize("NFD", "/Volumes/SHOW/final/vfx/café")
    (show_root / "r.edl").write_text(
        _edl(("sh070", f"{folder}/SH070_COMP.[0001-0003].PNG")).replace("SOURCE FILE", "FROM CLIP")
    )
    ev = cli("cut", "import", str(show_root / "r.edl"), "--json", cwd=show_root).json()["events"]
    assert [(e["matched_by"], e["sequence"]["path"], len(e["sequence"]["frames"])) for e in ev] == [
        ("sequence path", unicodedata.normalize("NFC", "final/vfx/café/sh070_comp.####.png"), 3)
    ]


def test_a_cut_imported_again_unchanged_records_only_the_import(cli, show_root: Path) -> None:
    """Editors export the cut daily: a reel of image-sequence shots imported again wrote a
    used_in_cut entry for every frame every time (28,800 a day for one reel of VFX). Only assets
    whose place in the cut changed get one; the import itself is always recorded."""
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1011), ai=1005)
    assert cli("scan", cwd=show_root).code == 0
    edl = show_root / "r.edl"
    one_shot = SEQ_EDL.split("002  ")[0]
    edl.write_text(one_shot)

    def uses(path: str) -> list[str]:
        return [
            e["payload"]["events"][0]["record_in"]
            for e in cli("history", path, "--json", cwd=show_root).json()
            if e["kind"] == "used_in_cut"
        ]

    def head() -> int:
        return cli("verify", "--json", cwd=show_root).json()["entries"]

    assert cli("cut", "import", str(edl), cwd=show_root).code == 0
    before = head()
    assert cli("cut", "import", str(edl), cwd=show_root).code == 0
    assert head() == before + 1  # the cut_imported entry, nothing else
    assert uses("temp/vfx/sh010/sh010_comp_v003.1005.png") == ["01:00:00:04"]
    assert cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()[
        "cuts"
    ] == ["VFX R1"]
    # the shot slips a second later in the reel: its frames are recorded where they now are
    edl.write_text(one_shot.replace("01:00:00:00 01:00:00:06", "01:00:01:00 01:00:01:06"))
    assert cli("cut", "import", str(edl), cwd=show_root).code == 0
    assert uses("temp/vfx/sh010/sh010_comp_v003.1005.png") == ["01:00:00:04", "01:00:01:04"]
    assert head() == before + 1 + 1 + 6  # the import, and the 6 frames shown
    assert cli("verify", cwd=show_root).code == 0


def test_image_sequences_on_a_shared_postgresql_ledger(show_root: Path, pg_url: str) -> None:
    """The bulk lookups of a cut import (frames, the assets it records) on PostgreSQL: the same cut
    as on SQLite, and an unchanged import again records only itself."""
    env = {"REELPROV_DATABASE_URL": pg_url}
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1011), ai=1005)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }'))
    assert run_cli("scan", cwd=show_root, env=env).code == 0
    (show_root / "r.edl").write_text(SEQ_EDL.split("002  ")[0])
    for _ in range(2):
        r = run_cli("cut", "import", str(show_root / "r.edl"), "--json", cwd=show_root, env=env)
        assert r.code == 0, r.err
        assert [f["frame"] for f in r.json()["events"][0]["sequence"]["frames"]] == list(
            range(1001, 1007)
        )
    in_cut = run_cli("ls", "--in-cut", "--json", cwd=show_root, env=env).json()
    assert [a["path"] for a in in_cut] == [
        f"temp/vfx/sh010/sh010_comp_v003.{n}.png" for n in range(1001, 1007)
    ]
    ai = run_cli(
        "show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root, env=env
    ).json()
    assert [f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "open"
    ]
    assert [
        e["kind"] for e in run_cli("history", ai["path"], "--json", cwd=show_root, env=env).json()
    ].count("used_in_cut") == 1
    assert run_cli("verify", cwd=show_root, env=env).code == 0


def test_an_edl_sequence_trimmed_at_the_head_counts_frames_by_its_source_timecode(
    cli, show_root: Path
) -> None:
    """OpenTimelineIO reads `[1001-1010]` in an EDL as a sequence the event shows from frame 1001,
    whatever its source timecode says. Editing systems time a sequence without embedded timecode
    by its frame numbers (frame 1004 is 00:00:41:20 at 24 fps; a DI conform's rule too): where the
    timecode names frames that are there, those are the frames on screen. Where it names none (a
    sequence with embedded timecode), OpenTimelineIO's reading stands."""
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1011), ai=1002)
    _frames(show_root, "temp/vfx/sh020", "sh020_comp_v001.####.png", range(1001, 1011), ai=1009)
    assert cli("scan", cwd=show_root).code == 0
    (show_root / "r.edl").write_text("""TITLE: TRIMMED
FCM: NON-DROP FRAME

001  AX       V     C        00:00:41:20 00:00:41:23 01:00:00:00 01:00:00:03
* FROM CLIP: /Volumes/SHOW/temp/vfx/sh010/sh010_comp_v003.[1001-1010].png

002  AX       V     C        01:00:00:00 01:00:00:03 01:00:00:03 01:00:00:06
* FROM CLIP: /Volumes/SHOW/temp/vfx/sh020/sh020_comp_v001.[1001-1010].png
""")
    ev = cli("cut", "import", str(show_root / "r.edl"), "--json", cwd=show_root).json()["events"]
    assert [
        (e["sequence"]["shown"], [(f["frame"], f["record_in"]) for f in e["sequence"]["frames"]])
        for e in ev
    ] == [
        ("1004-1006", [(1004, "01:00:00:00"), (1005, "01:00:00:01"), (1006, "01:00:00:02")]),
        ("1001-1003", [(1001, "01:00:00:03"), (1002, "01:00:00:04"), (1003, "01:00:00:05")]),
    ]
    ai_frames = {
        a["path"]: a["in_cut"]
        for a in cli("ls", "--origin", "ai_generated", "--json", cwd=show_root).json()
        if "/vfx/" in a["path"]
    }
    assert ai_frames == {
        "temp/vfx/sh010/sh010_comp_v003.1002.png": False,
        "temp/vfx/sh020/sh020_comp_v001.1009.png": False,
    }


def test_a_cut_follows_its_timeline_file_when_a_scan_records_it_changed(
    cli, show_root: Path
) -> None:
    """Editors export the cut to the same file again and again. A cut imported from a file in the
    project is imported again, under its name and rate, when a scan records that file changed;
    a rewrite that changes nothing records nothing; a damaged export is a warning naming the cut
    and the file, and the previous import stands."""
    _setup(cli, show_root)
    edl = show_root / "editorial/REEL1_LATEST.edl"
    edl.parent.mkdir()
    edl.write_text(EDL)
    assert (
        cli("cut", "import", str(edl), "--name", "Reel 1", "--rate", "25", cwd=show_root).code == 0
    )
    assert cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()["in_cut"] is True
    # the next export drops the castle
    edl.write_text(EDL.split("001")[0] + "002" + EDL.split("002", 1)[1])
    r = cli("scan", cwd=show_root)
    assert r.code == 0, r.err
    assert (
        "cut 'Reel 1' imported again from its changed timeline editorial/REEL1_LATEST.edl: "
        "1 event matched, 1 unmatched, 1 asset left the cut"
    ) in r.out
    castle = cli("show", "temp/boards/castle.png", "--json", cwd=show_root).json()
    assert castle["in_cut"] is False
    assert [f["status"] for f in castle["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "resolved"
    ]
    assert [c["rate"] for c in cli("cut", "ls", "--json", cwd=show_root).json()] == [25.0]
    # written again with the same cut (another tool's line endings): nothing to record
    entries = cli("verify", "--json", cwd=show_root).json()["entries"]
    edl.write_text(edl.read_text().replace("\n", "\r\n"))
    r = cli("scan", "--json", cwd=show_root)
    assert (
        r.json()["changed"] == 1
        and r.json()["cuts_imported"] == []
        and r.json()["cut_errors"] == []
    )
    assert (
        cli("verify", "--json", cwd=show_root).json()["entries"] == entries + 1
    )  # the file's change, with what reading it found
    # a damaged export: the scan records the file, says so, and the cut stays as it was
    edl.write_text("TITLE: R\n001  garbage\n")
    r = cli("scan", cwd=show_root)
    assert r.code == 0
    assert (
        "reelprov: warning: cut 'Reel 1' not imported again from its changed timeline editorial/REEL1_LATEST.edl: "
        in r.err
    )
    assert "the previous import stands" in r.err
    assert [(c["name"], c["events"]) for c in cli("cut", "ls", "--json", cwd=show_root).json()] == [
        ("Reel 1", 1)
    ]
    assert cli("verify", cwd=show_root).code == 0


def test_a_fault_while_following_a_cut_never_stops_the_recording(
    cli, show_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong while a cut follows its file (fault injected here), the files are
    recorded and the scan says what happened: the watcher would otherwise retry its batch for ever."""
    import reelprov.cuts.follow

    def broken(*args: object) -> None:
        raise RuntimeError("injected")

    (show_root / "r.edl").write_text(EDL)
    assert cli("cut", "import", "r.edl", "--name", "Reel 1", cwd=show_root).code == 0
    monkeypatch.setattr(reelprov.cuts.follow, "follow_cuts", broken)
    write_png(show_root / "final/a.png")
    r = cli("scan", "--json", cwd=show_root)
    assert r.code == 0 and r.json()["seen"] == 2
    assert r.json()["cut_errors"] == [
        {
            "cut": "?",
            "path": "r.edl",
            "why": "the files just recorded",
            "error": "RuntimeError: injected",
        }
    ]


def test_media_a_cut_named_is_matched_when_it_arrives(cli, show_root: Path, tmp_path: Path) -> None:
    """A cut imported before its media was delivered (a VFX shot, the frames of a comp) kept those
    clips unmatched and those frames missing until someone imported it again. When a file the cut
    named arrives, the same timeline (unchanged since its import) is matched again; an unrelated
    file or a timeline changed since changes nothing."""
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1004))
    assert cli("scan", cwd=show_root).code == 0
    edl = tmp_path / "exports/r.edl"  # outside the project: the editor's own disk
    edl.parent.mkdir()
    edl.write_text(
        SEQ_EDL.split("002  ")[0].replace("[1001-1010]", "[1001-1006]")
        + "002  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:06 01:00:01:06\n"
        "* FROM CLIP NAME: sh050_comp_v001.mov\n* SOURCE FILE: /Volumes/SHOW/final/vfx/sh050_comp_v001.mov\n"
    )
    r = cli("cut", "import", str(edl), "--name", "R", cwd=show_root)
    assert "unmatched: V 01:00:00:06 sh050_comp_v001.mov" in r.err
    assert "missing frames: V 01:00:00:00 sh010_comp_v003: 1004-1006" in r.err
    before = cli("verify", "--json", cwd=show_root).json()["entries"]
    write_png(show_root / "final/vfx/unrelated.png", color=(5, 5, 5))
    r = cli("scan", cwd=show_root)
    assert "imported again" not in r.out
    assert (
        cli("verify", "--json", cwd=show_root).json()["entries"] == before + 1
    )  # the file and what reading it found, in one entry
    # the comp's last frames and the shot are delivered
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1004, 1007), ai=1005)
    write_png(
        show_root / "final/vfx/sh050_comp_v001.mov", color=(6, 6, 6)
    )  # named as the clip's media
    r = cli("scan", "--json", cwd=show_root)
    assert r.json()["cuts_imported"] == [
        {
            "name": "R",
            "path": str(edl),
            "why": f"{edl}, as media it named arrived",
            "events": 2,
            "unmatched": 0,
            "left": 0,
        }
    ]
    in_cut = {a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()}
    assert in_cut == {f"temp/vfx/sh010/sh010_comp_v003.{n}.png" for n in range(1001, 1007)} | {
        "final/vfx/sh050_comp_v001.mov"
    }
    ai = cli("show", "temp/vfx/sh010/sh010_comp_v003.1005.png", "--json", cwd=show_root).json()
    assert [f["status"] for f in ai["flags"] if f["rule"] == "screen.ai_headed_to_screen"] == [
        "open"
    ]
    # the editor's file changed since its import: new media does not re-read it (it may be another cut now)
    edl2 = tmp_path / "exports/r2.edl"
    edl2.write_text(_edl(("sh060.png", "/Volumes/SHOW/final/vfx/sh060.png")))
    assert cli("cut", "import", str(edl2), "--name", "R2", cwd=show_root).code == 0
    assert [
        c["unmatched"]
        for c in cli("cut", "ls", "--json", cwd=show_root).json()
        if c["name"] == "R2"
    ] == [1]
    edl2.write_text(_edl(("sh070.png", "/Volumes/SHOW/final/vfx/sh070.png")))
    write_png(show_root / "final/vfx/sh060.png", color=(7, 7, 7))
    assert "imported again" not in cli("scan", cwd=show_root).out
    assert cli("show", "final/vfx/sh060.png", "--json", cwd=show_root).json()["in_cut"] is False
    assert cli("verify", cwd=show_root).code == 0


def test_fcm_non_drop_frame_written_without_the_hyphen_is_non_drop(cli, show_root: Path) -> None:
    """`FCM: NON DROP FRAME` (no hyphen) was read as drop-frame: every record time wrong at 29.97."""
    write_png(show_root / "final/a.png")
    cli("scan", cwd=show_root)
    edl = show_root / "r.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 01:00:10:00 "
        "01:00:11:00\n* FROM CLIP NAME: a.png\n"
    )
    r = cli("cut", "import", str(edl), "--rate", "29.97", "--json", cwd=show_root)
    assert r.code == 0, r.err
    [ev] = r.json()["events"]
    assert (ev["record_in"], ev["record_out"]) == (
        "01:00:10:00",
        "01:00:11:00",
    )  # drop-frame would read 01:00:10;00


def test_disabled_clips_are_not_on_screen(cli, show_root: Path) -> None:
    """OTIO clips with enabled = False (switched off in the edit) were counted as on screen."""
    write_png(show_root / "final/on.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/off.png", {"parameters": SD_PARAMS}, color=(5, 5, 5))
    cli("scan", cwd=show_root)
    tl = otio.schema.Timeline(name="R")
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    for name, on in (("on.png", True), ("off.png", False)):
        clip = otio.schema.Clip(
            name=name,
            media_reference=otio.schema.ExternalReference(
                target_url=str(show_root / "final" / name)
            ),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
            ),
        )
        clip.enabled = on
        track.append(clip)
    path = show_root / "r.otio"
    otio.adapters.write_to_file(tl, str(path))
    r = cli("cut", "import", str(path), cwd=show_root)
    assert r.code == 0, r.err
    assert "1 disabled clip (switched off in the edit) left out: not on screen" in r.err
    in_cut = {a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()}
    assert in_cut == {"final/on.png"}


def test_a_percent_encoded_file_url_matches_by_its_decoded_name(cli, show_root: Path) -> None:
    """File names in file:// URLs were matched without percent-decoding (`Temp%20Title.mxf`)."""
    write_png(show_root / "final/Temp Title.png")
    cli("scan", cwd=show_root)
    tl = otio.schema.Timeline(name="R")
    track = otio.schema.Track(name="V1")
    tl.tracks.append(track)
    track.append(
        otio.schema.Clip(
            name="clip 1",
            media_reference=otio.schema.ExternalReference(
                target_url="file:///Volumes/ELSEWHERE/Temp%20Title.png"
            ),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(24, 24)
            ),
        )
    )
    path = show_root / "r.otio"
    otio.adapters.write_to_file(tl, str(path))
    r = cli("cut", "import", str(path), "--json", cwd=show_root)
    assert r.code == 0, r.err
    assert [e["path"] for e in r.json()["events"]] == ["final/Temp Title.png"]


def test_an_edl_event_with_no_clip_name_does_not_match_a_file_named_like_its_number(
    cli, show_root: Path
) -> None:
    """An EDL event with no clip name got the name "001" from the adapter, which matched a file 001.png:
    a file put on screen that the cut never showed."""
    write_png(show_root / "final/001.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/real.png", color=(4, 4, 4))
    cli("scan", cwd=show_root)
    edl = show_root / "r.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n"
        "001  BL       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n\n"
        "002  AX       V     C        00:00:00:00 00:00:01:00 01:00:01:00 01:00:02:00\n"
        "* FROM CLIP NAME: real.png\n"
    )
    r = cli("cut", "import", str(edl), "--json", cwd=show_root)
    assert r.code == 0, r.err
    assert [e["path"] for e in r.json()["events"]] == ["final/real.png"]
    assert [(u["clip"], u["record_in"]) for u in r.json()["unmatched"]] == [("", "01:00:00:00")]
    assert {a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()} == {
        "final/real.png"
    }


def test_many_arrivals_at_once_still_match_the_cut_that_wanted_them(
    cli, show_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ARRIVALS_KEPT files arriving at once (a million frames landing), the scan keeps no list
    of them; every cut still missing media is matched again instead, and finds what arrived."""
    from reelprov.recording import report

    monkeypatch.setattr(report, "ARRIVALS_KEPT", 2)
    _setup(cli, show_root)
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1001, 1004))
    assert cli("scan", cwd=show_root).code == 0
    edl = tmp_path / "r.edl"
    edl.write_text(SEQ_EDL.split("002  ")[0].replace("[1001-1010]", "[1001-1006]"))
    r = cli("cut", "import", str(edl), "--name", "R", cwd=show_root)
    assert "missing frames: V 01:00:00:00 sh010_comp_v003: 1004-1006" in r.err
    # the missing frames arrive among many other files, more than are kept
    for i in range(5):
        write_png(show_root / f"final/other/o{i}.png", color=(i, 9, 9))
    _frames(show_root, "temp/vfx/sh010", "sh010_comp_v003.####.png", range(1004, 1007))
    r = cli("scan", "--json", cwd=show_root)
    assert [(c["name"], c["why"], c["events"]) for c in r.json()["cuts_imported"]] == [
        ("R", f"{edl}, as media it named arrived", 1)
    ]
    in_cut = {a["path"] for a in cli("ls", "--in-cut", "--json", cwd=show_root).json()}
    assert in_cut == {f"temp/vfx/sh010/sh010_comp_v003.{n}.png" for n in range(1001, 1007)}
