"""Scanning: seen, changed, moved, deleted, re-hashing only what changed, skipping what it must."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import (
    SAMPLES,
    SD_PARAMS,
    as_ordinary_user,
    reader_env,
    report_every_use,
    write_png,
)


def kinds(cli, root: Path, rel: str) -> list[str]:
    return [e["kind"] for e in cli("history", rel, "--json", cwd=root).json()]


def test_changed_moved_deleted(cli, show_root: Path) -> None:
    a = write_png(show_root / "temp/a.png")
    b = write_png(show_root / "temp/b.png", color=(1, 2, 3))
    write_png(show_root / "temp/c.png", color=(9, 9, 9))
    assert cli("scan", cwd=show_root).code == 0
    sha_a = cli("show", "temp/a.png", "--json", cwd=show_root).json()["sha256"]
    write_png(a, {"parameters": SD_PARAMS}, color=(50, 50, 50))  # edited in place
    (show_root / "final").mkdir()
    shutil.move(b, show_root / "final/b.png")  # moved
    os.remove(show_root / "temp/c.png")  # deleted
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["changed"], rep["moved"], rep["deleted"], rep["seen"]) == (1, 1, 1, 0)
    shown = cli("show", "temp/a.png", "--json", cwd=show_root).json()
    assert shown["sha256"] != sha_a and shown["origin"] == "ai_generated"
    # both verdicts stay in the history, each bound to its content hash, each in the entry that
    # recorded that content
    ev = [(e["kind"], e["payload"]) for e in shown["history"] if "evidence" in e["payload"]]
    assert [(k, e["sha256"]) for k, e in ev] == [("seen", sha_a), ("changed", shown["sha256"])]
    assert ev[1][1]["evidence"][0]["tool"] == "Stable Diffusion" and ev[0][1]["evidence"] == []
    assert kinds(cli, show_root, "final/b.png") == ["seen", "moved"]
    assert "deleted" in kinds(cli, show_root, "temp/c.png")
    paths = [x["path"] for x in cli("ls", "--json", cwd=show_root).json()]
    assert paths == ["final/b.png", "temp/a.png"]
    assert cli("verify", cwd=show_root).code == 0


@pytest.mark.parametrize("batch", [1, 256])
def test_moved_and_copied_file_keeps_its_asset_and_approval_at_the_new_path(
    cli, show_root: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """A file moved to another folder while a copy under another name appears (in a folder the
    walk reaches first, in another write batch): the same-named path is the move."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    write_png(show_root / "final/m/note.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    flag = next(
        f
        for f in cli("flags", "--json", cwd=show_root).json()
        if f["rule"] == "screen.ai_headed_to_screen"
    )
    assert cli("approve", str(flag["id"]), "--by", "J. Park", cwd=show_root).code == 0
    (show_root / "final/z").mkdir()
    shutil.move(show_root / "final/m/note.png", show_root / "final/z/note.png")
    shutil.copy(show_root / "final/z/note.png", show_root / "final/a_copy_of_note.png")
    import reelprov.recording.scan as scan_mod

    monkeypatch.setattr(scan_mod, "BATCH_SIZE", batch)
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["moved"], rep["seen"], rep["deleted"]) == (1, 1, 0)
    assert kinds(cli, show_root, "final/z/note.png") == [
        "seen",
        "flagged",
        "flagged",
        "decided",
        "moved",
    ]
    moved = cli("show", "final/z/note.png", "--json", cwd=show_root).json()
    assert [f["status"] for f in moved["flags"] if f["id"] == flag["id"]] == ["approved"]
    copy = cli("show", "final/a_copy_of_note.png", "--json", cwd=show_root).json()
    assert kinds(cli, show_root, "final/a_copy_of_note.png")[0] == "seen"
    assert {f["status"] for f in copy["flags"]} == {"open"}
    assert cli("verify", cwd=show_root).code == 0


def test_a_folder_scan_sees_a_file_moved_in_from_elsewhere_as_a_move(cli, show_root: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    write_png(show_root / "wip/sh010/plate.png", {"parameters": SD_PARAMS})
    write_png(show_root / "wip/sh010/other.png", color=(8, 8, 8))
    cli("scan", cwd=show_root)
    flag = cli("flags", "--json", cwd=show_root).json()[0]
    assert cli("approve", str(flag["id"]), "--by", "J. Park", cwd=show_root).code == 0
    (show_root / "final").mkdir()
    shutil.move(show_root / "wip/sh010/plate.png", show_root / "final/plate.png")
    rep = cli("scan", "final", "--json", cwd=show_root).json()
    assert (rep["moved"], rep["seen"], rep["deleted"]) == (1, 0, 0)
    assert kinds(cli, show_root, "final/plate.png")[:5] == [
        "seen",
        "flagged",
        "decided",
        "moved",
        "flagged",
    ]
    moved = cli("show", "final/plate.png", "--json", cwd=show_root).json()
    assert [f["status"] for f in moved["flags"] if f["id"] == flag["id"]] == ["approved"]
    rep = cli("scan", "--json", cwd=show_root).json()  # the whole tree agrees afterwards
    assert (rep["moved"], rep["seen"], rep["deleted"], rep["unchanged"]) == (0, 0, 0, 2)
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == [
        "final/plate.png",
        "wip/sh010/other.png",
    ]
    assert cli("verify", cwd=show_root).code == 0


def test_a_deleted_file_put_back_is_the_same_asset_with_its_approval(
    cli, show_root: Path, tmp_path: Path
) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    write_png(show_root / "final/plate.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    before = cli("show", "final/plate.png", "--json", cwd=show_root).json()
    for f in before["flags"]:
        assert cli("approve", str(f["id"]), "--by", "J. Park", cwd=show_root).code == 0
    shutil.move(show_root / "final/plate.png", tmp_path / "plate.png")
    assert cli("scan", "--json", cwd=show_root).json()["deleted"] == 1
    shutil.move(tmp_path / "plate.png", show_root / "final/plate.png")
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["restored"], rep["seen"], rep["flags_raised"]) == (1, 0, 0)
    back = cli("show", "final/plate.png", "--json", cwd=show_root).json()
    assert back["id"] == before["id"] and {f["status"] for f in back["flags"]} == {"approved"}
    assert kinds(cli, show_root, "final/plate.png")[-2:] == ["deleted", "seen"]
    # other content at the same path is another file: a new asset
    shutil.move(show_root / "final/plate.png", tmp_path / "plate.png")
    cli("scan", cwd=show_root)
    write_png(show_root / "final/plate.png", {"parameters": SD_PARAMS + ", v2"}, color=(1, 1, 1))
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["restored"], rep["seen"]) == (0, 1)
    assert cli("verify", cwd=show_root).code == 0


def test_a_sidecar_added_or_removed_later_is_read_by_the_next_scan(cli, show_root: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    import json as _json

    write_png(show_root / "vfx/plate.png", color=(9, 9, 9))
    cli("scan", cwd=show_root)
    decl = show_root / "vfx/plate.reelprov.json"  # the NAME.suffix convention
    decl.write_text(
        _json.dumps(
            {"reelprov_declaration": 1, "origin": "ai_generated", "tool": "Flux", "by": "Vendor Y"}
        )
    )
    os.utime(
        decl, ns=(time_ns := os.stat(show_root / "vfx/plate.png").st_mtime_ns + 10**9, time_ns)
    )
    r = cli("scan", cwd=show_root)
    assert "0 changed" in r.out and "1 with new evidence" in r.out and "1 flag raised" in r.out
    a = cli("show", "vfx/plate.png", "--json", cwd=show_root).json()
    assert a["origin"] == "ai_generated" and a["tools"] == ["Flux"]
    assert cli("scan", cwd=show_root).out.startswith(
        "1 file: 0 new, 0 changed, 0 moved, 0 deleted, 1 unchanged;"
    )
    decl.unlink()
    r = cli("scan", "--json", cwd=show_root)
    assert r.json()["reread"] == 1
    assert cli("show", "vfx/plate.png", "--json", cwd=show_root).json()["origin"] == "unknown"
    assert cli("verify", cwd=show_root).code == 0


def test_a_sidecar_older_than_its_file_is_missed_neither_arriving_nor_leaving(
    cli, show_root: Path
) -> None:
    """The scan cache went by the newest of the file's and its sidecars' modification times: a
    declaration copied in with an old date (rsync -a, a vendor's archive), or one removed after its
    file was re-rendered, changed nothing in it, so the file kept or never got that evidence."""
    import json as _json

    f = write_png(show_root / "vfx/plate.png", color=(9, 9, 9))
    cli("scan", cwd=show_root)
    decl = show_root / "vfx/plate.png.reelprov.json"
    decl.write_text(
        _json.dumps({"reelprov_declaration": 1, "origin": "ai_composite", "tool": "Runway Gen-4"})
    )
    old = os.stat(f).st_mtime_ns - 10**12  # dated long before the file
    os.utime(decl, ns=(old, old))
    assert "1 with new evidence" in cli("scan", cwd=show_root).out
    assert cli("show", "vfx/plate.png", "--json", cwd=show_root).json()["origin"] == "ai_composite"
    decl.unlink()
    assert "1 with new evidence" in cli("scan", cwd=show_root).out
    assert cli("show", "vfx/plate.png", "--json", cwd=show_root).json()["origin"] == "unknown"


def test_rescan_rehashes_only_changed(cli, show_root: Path, tmp_path: Path) -> None:
    for i in range(5):
        write_png(show_root / f"p/{i}.png", color=(i, i, i))
    cli("scan", cwd=show_root)
    log = tmp_path / "hashed.txt"  # files are read in examining processes: they note them in a file
    write_png(show_root / "p/3.png", color=(200, 0, 0))
    rep = _scan_reading_with(show_root, reader_env("logged", str(log)))
    assert log.read_text().splitlines() == ["p/3.png"]
    assert rep["unchanged"] == 4 and rep["changed"] == 1


def _scan_reading_with(root: Path, env: dict[str, str]) -> dict[str, Any]:
    """`reelprov scan --json` in a process of its own whose files are read through a test reader
    (conftest.reader_env): one that reaches the examining processes however they are started."""
    p = subprocess.run(
        [sys.executable, "-m", "reelprov", "scan", "--json"],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)  # type: ignore[no-any-return]


def test_skips_hidden_state_and_ignored(cli, show_root: Path) -> None:
    write_png(show_root / ".hidden/x.png")
    write_png(show_root / ".dotfile.png")
    (show_root / "upload.part").write_bytes(b"partial")
    write_png(show_root / "ok.png")
    (show_root / "ok.png.xmp").write_text("<x:xmpmeta/>")
    rep = cli("scan", "--json", cwd=show_root).json()
    assert rep["seen"] == 1
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == ["ok.png"]


def test_project_policy_and_trust_anchors_are_settings_not_assets(cli, show_root: Path) -> None:
    """The README suggests `[policy] file = "policy.toml"` in the project: reelprov's own settings
    are never recorded as media, like reelprov.toml; the same file elsewhere in the tree is."""
    from importlib import resources

    (show_root / "settings").mkdir()
    (show_root / "settings/policy.toml").write_bytes(
        (resources.files("reelprov.policy") / "default.toml").read_bytes()
    )
    shutil.copy(SAMPLES / "trust/test_root.pem", show_root / "settings/root.pem")
    shutil.copy(SAMPLES / "trust/test_root.pem", show_root / "other.pem")
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text()
        .replace("[policy]", '[policy]\nfile = "settings/policy.toml"')
        .replace("[c2pa]", '[c2pa]\ntrust_anchors = "settings/root.pem"')
    )
    write_png(show_root / "ok.png")
    assert cli("scan", cwd=show_root).code == 0
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == ["ok.png", "other.pem"]


def test_symlink_loop_with_follow_is_reported_not_fatal(cli, show_root: Path) -> None:
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[scan]", "[scan]\nfollow_symlinks = true"))
    write_png(show_root / "d/a.png")
    os.symlink(show_root / "d", show_root / "d/loop")
    rep = cli("scan", "--json", cwd=show_root).json()
    assert rep["seen"] == 1
    assert any("symlink loop" in e["error"] for e in rep["errors"])


def test_symbolic_links_not_followed_are_counted_and_the_setting_named(
    cli, show_root: Path
) -> None:
    write_png(show_root / "vfx/sky.png", {"parameters": SD_PARAMS})
    os.symlink(show_root / "vfx/sky.png", show_root / "final_sky.png")
    os.symlink(show_root / "vfx", show_root / "conform")
    r = cli("scan", cwd=show_root)
    assert r.code == 0
    assert (
        "note: 2 symbolic links not followed; set [scan] follow_symlinks = true in reelprov.toml "
        "to record what they point to"
    ) in r.err
    assert cli("scan", "--json", cwd=show_root).json()["symlinks"] == 2
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == ["vfx/sky.png"]


def test_unreadable_file_reported_and_skipped(show_root: Path) -> None:
    """A file the user cannot read: named in the report with the reason, the rest recorded, and
    recorded once it can be read (the scan runs as a real process without root's read-anything)."""
    write_png(show_root / "ok.png")
    bad = write_png(show_root / "locked.png", color=(5, 5, 5))
    cmd = [*as_ordinary_user(), sys.executable, "-m", "reelprov", "scan", "--json"]
    bad.chmod(0)
    try:
        r = subprocess.run(cmd, cwd=show_root, capture_output=True, text=True, timeout=120)
    finally:
        bad.chmod(0o644)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["seen"] == 1
    assert rep["errors"] == [{"path": "locked.png", "error": "cannot read: Permission denied"}]
    r = subprocess.run(cmd, cwd=show_root, capture_output=True, text=True, timeout=120)
    assert json.loads(r.stdout)["seen"] == 1 and json.loads(r.stdout)["errors"] == []


def test_thousands_of_skipped_files_are_summed_up_on_the_terminal(cli, show_root: Path) -> None:
    folder = os.fsencode(show_root / "renders")
    os.mkdir(folder)
    for i in range(60):  # names no ledger can hold (not UTF-8): each is skipped with its reason
        with open(os.path.join(folder, b"frame_%03d_\xff.png" % i), "wb") as f:
            f.write(b"x")
    r = cli("scan", cwd=show_root)
    lines = r.err.strip().splitlines()
    assert (
        r.code == 0
        and len(lines) == 51
        and lines[0].startswith("skipped renders/frame_000_\\xff.png: file name is not valid UTF-8")
    )
    assert lines[-1] == "... and 10 more skipped; `reelprov scan --json` lists them all"
    assert len(cli("scan", "--json", cwd=show_root).json()["errors"]) == 60


def test_vanished_mid_scan_is_reported(show_root: Path) -> None:
    write_png(show_root / "ok.png")
    write_png(show_root / "gone.png", color=(7, 7, 7))
    rep = _scan_reading_with(show_root, reader_env("vanishing", "gone.png"))
    assert rep["seen"] == 1
    assert rep["errors"] == [
        {"path": "gone.png", "error": "cannot read: No such file or directory"}
    ]


@pytest.mark.parametrize(
    ("pem", "words"),
    [("not a certificate\n", "no PEM certificate in it"), ("", "no PEM certificate in it")],
)
def test_unusable_trust_anchors_stop_the_scan_before_anything_is_written(
    cli, show_root: Path, pem: str, words: str
) -> None:
    shutil.copy(SAMPLES / "c2pa/firefly_ai.png", show_root / "firefly_ai.png")
    (show_root / "anchors.pem").write_text(pem)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[c2pa]", '[c2pa]\ntrust_anchors = "anchors.pem"'))
    r = cli("scan", cwd=show_root)
    assert r.code == 2, r.err
    assert f"{show_root / 'anchors.pem'}: not usable as C2PA trust anchors ({words})" in r.err
    # nothing recorded: every signed file would have been called invalid, and its AI origin lost
    assert cli("ls", "--json", cwd=show_root).json() == []
    (show_root / "anchors.pem").write_text((SAMPLES / "trust/test_root.pem").read_text())
    assert cli("scan", cwd=show_root).code == 0
    [a] = cli("ls", "--json", cwd=show_root).json()
    assert (a["origin"], a["c2pa"]["state"]) == ("ai_generated", "trusted")


def _share(root: Path, n: int, folder: str = "media") -> None:
    for i in range(n):
        write_png(root / folder / f"gen_{i:03d}.png", {"parameters": SD_PARAMS}, color=(i, 1, 2))


def test_a_share_down_inside_the_project_is_not_recorded_as_mass_deletion(
    cli, show_root: Path
) -> None:
    """media/ is a NAS mount inside the project; when it is down its mount point is an empty folder.
    Recording its files as deleted resolved every open flag on them and let the delivery gate pass."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    _share(show_root, 25)
    write_png(show_root / "local/board.png", color=(7, 7, 7))
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 1
    )
    share = show_root.parent / "nas"
    (show_root / "media").rename(share)  # the mount is down: an empty mount point stays
    (show_root / "media").mkdir()
    r = cli("scan", cwd=show_root)
    assert r.code == 0, r.err
    assert r.out.startswith(
        "1 file: 0 new, 0 changed, 0 moved, 0 deleted, 1 unchanged, 25 missing but not recorded as deleted"
    )
    assert (
        "reelprov: warning: 25 recorded files missing, in media (25): more than half of those recorded, so not "
        "recorded as deleted"
    ) in r.err and "If they were removed on purpose: reelprov scan --allow-deletions" in r.err
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (
        rep["deleted"] == 0
        and len(rep["deletions_held"]) == 25
        and rep["deletions_held"][0] == "media/gen_000.png"
    )
    # the truth stays conservative: the files are still there as far as the ledger knows, flags open
    assert len(cli("ls", "media", "--json", cwd=show_root).json()) == 25
    assert (
        cli(
            "report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 1
    )
    # the share comes back: nothing happened
    (show_root / "media").rmdir()
    share.rename(show_root / "media")
    r = cli("scan", "--json", cwd=show_root)
    assert r.json()["unchanged"] == 26 and r.json()["deletions_held"] == [] and r.err == ""
    assert kinds(cli, show_root, "media/gen_000.png") == ["seen", "flagged"]
    # removed on purpose: said so, recorded
    shutil.rmtree(show_root / "media")
    r = cli("scan", "--allow-deletions", cwd=show_root)
    assert r.code == 0 and "25 deleted" in r.out and r.err == ""
    assert cli("ls", "media", "--json", cwd=show_root).json() == []
    assert cli("verify", cwd=show_root).code == 0


def test_ordinary_deletions_are_recorded_as_ever(cli, show_root: Path) -> None:
    _share(show_root, 19, "few")  # fewer than 20: a small folder deleted whole
    _share(show_root, 40, "keep")
    _share(show_root, 30, "temp")
    assert cli("scan", cwd=show_root).code == 0
    shutil.rmtree(show_root / "few")
    r = cli("scan", "--json", cwd=show_root)
    assert r.json()["deleted"] == 19 and r.json()["deletions_held"] == []
    shutil.rmtree(show_root / "temp")  # 30 of 70: under half
    assert cli("scan", "--json", cwd=show_root).json()["deleted"] == 30
    # a folder scan weighs the files under that folder: all of keep/ is missing
    (show_root / "keep").rename(show_root.parent / "keep")
    (show_root / "keep").mkdir()
    r = cli("scan", "keep", cwd=show_root)
    assert (
        "40 missing but not recorded as deleted" in r.out
        and "reelprov scan keep --allow-deletions" in r.err
    )


def test_scanning_one_file_or_a_folder_that_is_gone(cli, show_root: Path) -> None:
    """`reelprov scan vfx/sh010.png` right after a render lands; `scan vfx/old` after deleting it."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    write_png(show_root / "vfx/old/a.png", color=(1, 1, 1))
    write_png(show_root / "vfx/old/b.png", color=(2, 2, 2))
    assert cli("scan", cwd=show_root).code == 0
    write_png(show_root / "vfx/sh010.png", {"parameters": SD_PARAMS})
    write_png(show_root / "vfx/sh020.png", color=(3, 3, 3))
    r = cli("scan", "vfx/sh010.png", cwd=show_root)
    assert r.code == 0, r.err
    assert (
        r.out.startswith("1 file: 1 new, 0 changed, 0 moved, 0 deleted, 0 unchanged; 1 flag raised")
        and r.err == ""
    )
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == [
        "vfx/old/a.png",
        "vfx/old/b.png",
        "vfx/sh010.png",
    ]
    # passed by as the walk passes it by: a sidecar, an ignored name
    (show_root / "vfx/sh020.png.reelprov.json").write_text("{}")
    (show_root / "vfx/render.tmp").write_bytes(b"x")
    for rel in ("vfx/sh020.png.reelprov.json", "vfx/render.tmp"):
        r = cli("scan", rel, "--json", cwd=show_root)
        assert r.code == 0 and r.json()["files"] == 0
    (show_root / "link").symlink_to(
        show_root / "vfx"
    )  # [scan] follow_symlinks is off: passed by, and said
    r = cli("scan", "link/sh020.png", "--json", cwd=show_root)
    assert r.code == 0 and (r.json()["files"], r.json()["symlinks"]) == (0, 1)
    # a folder deleted whole: its files are recorded deleted, with no "cannot list folder" line
    shutil.rmtree(show_root / "vfx/old")
    r = cli("scan", "vfx/old", cwd=show_root)
    assert r.code == 0 and "2 deleted" in r.out and r.err == ""
    # a path that never held anything: a typo, said so
    r = cli("scan", "vfx/olld", cwd=show_root)
    assert r.code == 2 and "vfx/olld: no such file or folder in the project" in r.err


def _cached_paths(root: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(root / ".reelprov/ledger.db") as c:
        return [r[0] for r in c.execute("SELECT path FROM file_state ORDER BY path")]


def test_a_moved_file_leaves_no_cached_state_at_the_path_it_left(cli, show_root: Path) -> None:
    """The scan's cache of each path's size, time and hash kept a row for every path a file was
    moved away from, for good: a show renaming its folders grew it (and every scan's read of it)
    by a row per file."""
    write_png(show_root / "wip/a.png", {"parameters": SD_PARAMS})
    write_png(show_root / "wip/b.png", color=(4, 4, 4))
    write_png(show_root / "wip/c.png", color=(5, 5, 5))
    cli("scan", cwd=show_root)
    assert _cached_paths(show_root) == ["wip/a.png", "wip/b.png", "wip/c.png"]
    (show_root / "final").mkdir()
    shutil.move(show_root / "wip/a.png", show_root / "final/a.png")
    shutil.move(show_root / "wip/b.png", show_root / "final/b.png")
    assert cli("scan", "--json", cwd=show_root).json()["moved"] == 2
    assert _cached_paths(show_root) == ["final/a.png", "final/b.png", "wip/c.png"]
    shutil.move(
        show_root / "wip/c.png", show_root / "final/c.png"
    )  # into a folder scanned on its own
    assert cli("scan", "final", "--json", cwd=show_root).json()["moved"] == 1
    assert _cached_paths(show_root) == ["final/a.png", "final/b.png", "final/c.png"]
    write_png(show_root / "wip/a.png", color=(6, 6, 6))  # a new file where one moved away from
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["seen"], rep["unchanged"]) == (1, 3)
    assert _cached_paths(show_root) == ["final/a.png", "final/b.png", "final/c.png", "wip/a.png"]
    assert cli("scan", "--json", cwd=show_root).json()["unchanged"] == 4
    assert cli("verify", cwd=show_root).code == 0


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=200 << 20), max_size=400),
    workers=st.integers(min_value=2, max_value=8),
)
def test_files_handed_to_workers_in_chunks_are_every_file_once_in_walk_order(
    sizes: list[int], workers: int
) -> None:
    """The examining workers get the files in chunks; the scan records what they give back in
    order: a chunking that dropped, repeated or reordered a file would lose or misplace records."""
    from reelprov.recording.pool import CHUNK_BYTES, CHUNK_FILES, _chunks
    from reelprov.recording.walk import Candidate

    todo = [Candidate(f"f{i:04d}.png", f"/x/f{i:04d}.png", size, i) for i, size in enumerate(sizes)]
    chunks = list(_chunks(todo, None, workers))
    assert [a[1] for chunk in chunks for a in chunk] == [c.rel for c in todo]
    for chunk in chunks:
        assert 1 <= len(chunk) <= CHUNK_FILES
        assert len(chunk) == 1 or sum(sizes[int(a[1][1:5])] for a in chunk) <= CHUNK_BYTES
    if len(todo) >= workers * 4 and max(sizes, default=0) == 0:
        assert len(chunks) >= workers * 4  # short last chunks: no worker waits long on another


def test_the_walk_gives_paths_in_the_order_the_ledger_sorts_them(show_root: Path) -> None:
    """A scan compares the walk with the ledger side by side, so both must sort alike: byte order
    of the whole path, where "a.b/x" comes before "a/x" ('.' < '/') though folder "a" sorts first."""
    from reelprov.config import load
    from reelprov.recording.walk import walk

    names = [
        "a/x.png",
        "a.b/x.png",
        "a-b.png",
        "a b/x.png",
        "a/c/d.png",
        "a/c.png",
        "ab.png",
        "A.png",
        "é/x.png",
        "z.png",
        "a0/x.png",
    ]
    for n in names:
        write_png(show_root / n)
    errors: list[dict[str, str]] = []
    walked = [c.rel for c in walk(load(show_root), errors)]
    assert walked == sorted(names) == sorted(names, key=lambda p: p.encode())
    assert errors == []


def test_a_huge_folder_is_sorted_on_disk_in_the_same_order(
    show_root: Path, project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder of more names than memory should hold (a million frames in one folder) is sorted
    in runs on disk: the walk gives the same order, the scan the same result. Here with runs of
    7 names, over 60 files and folders in one folder."""
    from reelprov.config import load
    from reelprov.recording import walk as walk_mod
    from reelprov.recording.scan import scan

    paths = [f"big/f{i:03d}.png" for i in range(0, 120, 2)]
    paths += ["big/a.b/x.png", "big/a/x.png", "big/zz/y.png", "big/f050/in.png"]
    for i, p in enumerate(paths):
        (show_root / p).parent.mkdir(parents=True, exist_ok=True)
        (show_root / p).write_bytes(b"frame %d" % i)
    in_memory = [c.rel for c in walk_mod.walk(load(show_root), [])]
    monkeypatch.setattr(walk_mod, "SPILL_NAMES", 7)
    spilled: list[int] = []
    real_spill = walk_mod.SortedSpill

    def counting_spill() -> object:
        s = real_spill(run=7)
        spilled.append(1)
        return s

    monkeypatch.setattr(walk_mod, "SortedSpill", counting_spill)
    on_disk = [c.rel for c in walk_mod.walk(load(show_root), [])]
    assert spilled  # the folder really went to disk
    assert on_disk == in_memory == sorted(paths, key=lambda p: p.encode())
    rep = scan(project)
    assert (rep.seen, rep.errors) == (len(paths), [])
    assert scan(project).unchanged == len(paths)


def test_a_folder_that_cannot_be_listed_keeps_its_recorded_files(
    show_root: Path, project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the scan cannot list (permissions, a stale mount) is said as an error; the files
    recorded under it are not recorded as deleted (their flags would resolve)."""
    from reelprov.recording import walk as walk_mod
    from reelprov.recording.scan import scan
    from reelprov.review.assets import list_assets

    for i in range(3):
        write_png(show_root / f"vfx/sh010/f{i}.png", color=(i, 0, 0))
    write_png(show_root / "vfx/z.png")
    assert scan(project).seen == 4
    real = os.scandir

    def refuse(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("sh010"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(walk_mod.os, "scandir", refuse)
    rep = scan(project)
    assert rep.errors == [{"path": "vfx/sh010", "error": "cannot list folder: Permission denied"}]
    assert rep.deleted == 0 and rep.unchanged == 1
    assert {a["path"] for a in list_assets(project)} == {
        "vfx/sh010/f0.png",
        "vfx/sh010/f1.png",
        "vfx/sh010/f2.png",
        "vfx/z.png",
    }


def test_scan_progress_counts_every_file_walked(show_root: Path, project) -> None:
    """Progress counts files as the walk finds them (the total grows until it ends) and each
    file once settled: unchanged or examined. The last call says all of them."""
    from reelprov.recording.scan import scan

    for i in range(150):
        write_png(show_root / f"plates/p{i:03d}.png", color=(i, 1, 1))
    calls: list[tuple[str, int, int]] = []
    scan(project, progress=lambda *a: calls.append(a))
    assert calls[-1] == ("examine", 150, 150)
    assert all(done <= total for _, done, total in calls[1:])
    write_png(show_root / "plates/p000.png", color=(200, 1, 1))
    calls.clear()
    rep = scan(project, progress=lambda *a: calls.append(a))
    assert (rep.unchanged, rep.changed) == (149, 1)
    assert calls[-1] == ("examine", 150, 150)


def test_a_plug_in_that_cannot_be_loaded_stops_the_scan_saying_so(
    show_root: Path, tmp_path: Path
) -> None:
    """A vendor's extractor plug-in whose code is missing (an upgrade half done): the scan stops
    before recording anything, says which entry point and what to do, and exits 2. It is not a
    file's fault: no file is recorded unread as if it had crashed its reader."""
    site = tmp_path / "site"
    info = site / "vendor_reader-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vendor-reader\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[reelprov.extractors]\nvendor = vendor_reader_gone\n")
    for i in range(60):  # enough to read them in parallel
        write_png(show_root / f"final/f{i:03}.png", color=(i, 2, 3))
    env = {k: v for k, v in os.environ.items() if k != "REELPROV_NO_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    p = subprocess.run(
        [sys.executable, "-m", "reelprov", "-P", str(show_root), "scan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 2, p.stderr[-2000:]
    assert p.stderr == (
        "reelprov: error: an extractor plug-in (entry points reelprov.extractors) could not be "
        "loaded: ModuleNotFoundError: No module named 'vendor_reader_gone'; reinstall the package "
        "that provides it, or uninstall it\n"
    )
    ls = subprocess.run(
        [sys.executable, "-m", "reelprov", "-P", str(show_root), "ls", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(ls.stdout) == []
