"""Deciding flags as a reviewer does: a shot of frames at once, ranges, revoking and amending,
moved files keeping their tags, and every bad selection refused with nothing recorded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, report_every_use, write_png

SHOT = "final/vfx/sh010/sh010_comp.{:04d}.png"


def _head(cli, root: Path) -> int:
    return cli("verify", "--json", cwd=root).json()["head"]["seq"]


@pytest.fixture
def shot(cli, show_root: Path) -> Path:
    """A 100-frame AI sequence in final (two review flags a frame), and one file beside it."""
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            'approved_tools = ["Adobe Firefly"]', 'approved_tools = ["Stable Diffusion"]'
        )
    )
    for n in range(1001, 1101):
        write_png(
            show_root / SHOT.format(n), {"parameters": SD_PARAMS}, color=(n % 256, n // 256, 9)
        )
    write_png(show_root / "final/props/knife.png", {"parameters": SD_PARAMS}, color=(1, 1, 1))
    report_every_use(show_root)  # the production reported its GenAI use: about the screen rule
    assert cli("scan", cwd=show_root).code == 0
    return show_root


def test_a_shot_of_frames_is_one_line_and_is_approved_by_its_pattern(cli, shot: Path) -> None:
    """Seen: a 100-frame AI sequence raised 100 flags and 100 report rows; `approve 10-19` was
    refused and approve took no path, so a shot needed a shell loop."""
    r = cli("flags", cwd=shot)
    assert r.code == 0
    lines = [ln for ln in r.out.splitlines() if not ln.startswith("      ")]
    assert len(lines) == 2, r.out  # the shot, and the knife
    [seq] = [ln for ln in lines if "sh010" in ln]
    assert (
        "final/vfx/sh010/sh010_comp.####.png (100 frames 1001-1100)" in seq
        and "review   open" in seq
    )
    assert seq.split()[0] == "2-101"  # the flag ids, as runs
    assert len(cli("flags", "--json", cwd=shot).json()) == 101  # --json: one per flag
    r = cli(
        "approve",
        "--path",
        "final/vfx/sh010/sh010_comp.####.png",
        "--by",
        "VFX Sup",
        "--note",
        "crowd",
        cwd=shot,
    )
    assert r.code == 0, r.err
    assert r.out.startswith("100 flags (2-101) approved by VFX Sup")
    flags = cli("flags", "--json", cwd=shot).json()
    assert {f["status"] for f in flags if "sh010" in f["path"]} == {"approved"}
    # each decision bound to its own frame's content
    shas = {f["decision"]["by"] and f["sha256"] for f in flags if "sh010" in f["path"]}
    assert len(shas) == 100
    # the report groups the frames decided alike into one row on the page
    md = cli("report", "--format", "md", "--output", "-", cwd=shot).out
    approved = md.split("## Approved and waived (100)")[1].split("\n## ")[0]
    assert "final/vfx/sh010/sh010_comp.####.png (100 files numbered 1001-1100)" in approved
    assert "#2-101 review/approved by VFX Sup" in approved
    # a frame decided otherwise keeps its own line
    assert cli("revoke", "51", "--by", "VFX Sup", "--note", "the hand is wrong", cwd=shot).code == 0
    assert cli("reject", "51", "--by", "VFX Sup", "--note", "fix the hand", cwd=shot).code == 0
    lines = [ln for ln in cli("flags", cwd=shot).out.splitlines() if not ln.startswith("      ")]
    assert any(re.match(r"\s*51 review\s+rejected .*sh010_comp\.1050\.png", ln) for ln in lines), (
        lines
    )
    assert any("99 frames 1001-1049, 1051-1100" in ln for ln in lines), lines


def test_ranges_rules_and_statuses_select_flags(cli, shot: Path) -> None:
    r = cli("approve", "10-19", "25", "--by", "J. Park", "--json", cwd=shot)
    assert r.code == 0, r.err
    assert [f["id"] for f in r.json()] == [*range(10, 20), 25]
    r = cli(
        "waive",
        "--path",
        "final",
        "--rule",
        "screen.ai_headed_to_screen",
        "--by",
        "J. Park",
        "--note",
        "temp comp",
        cwd=shot,
    )
    assert r.code == 0, r.err
    flags = cli("flags", "--json", cwd=shot).json()
    assert sum(f["status"] == "waived" for f in flags) == 101 - 11
    assert cli("flags", "--status", "unresolved", "--json", cwd=shot).json() == []
    assert (
        len(
            cli(
                "flags",
                "--status",
                "decided",
                "--rule",
                "screen.ai_headed_to_screen",
                "--json",
                cwd=shot,
            ).json()
        )
        == 101
    )
    # revoke takes a selection too: only decided flags are picked by a pattern
    r = cli(
        "revoke", "--path", "final/props", "--by", "Legal", "--note", "consent withdrawn", cwd=shot
    )
    assert r.code == 0 and "open again" in r.out
    assert [f["status"] for f in cli("flags", "final/props", "--json", cwd=shot).json()] == ["open"]


def test_a_decision_can_be_revoked_and_taken_again_all_on_record(cli, shot: Path) -> None:
    """Seen: `approved, not open; only open flags can be decided` and no way back."""
    fid = next(f["id"] for f in cli("flags", "final/props/knife.png", "--json", cwd=shot).json())
    assert (
        cli("approve", str(fid), "--by", "J. Park", "--ref", "L-1", "--note", "fine", cwd=shot).code
        == 0
    )
    r = cli("approve", str(fid), "--by", "J. Park", cwd=shot)
    assert r.code == 2 and f"`reelprov revoke {fid}` reopens it first" in r.err
    r = cli("revoke", str(fid), "--by", "Legal", cwd=shot)
    assert r.code == 2 and "--note is required" in r.err
    assert (
        cli("revoke", str(fid), "--by", "Legal", "--note", "wrong take approved", cwd=shot).code
        == 0
    )
    assert cli("reject", str(fid), "--by", "Legal", "--note", "replace it", cwd=shot).code == 0
    r = cli("flags", str(fid), cwd=shot)  # one flag, with who decided what and when
    assert r.code == 0
    assert "rejected at review by Legal (no reference)" in r.out and ": replace it" in r.out
    assert (
        "approved at review by J. Park (L-1)" in r.out
        and "approved revoked by Legal: wrong take approved" in r.out
    )
    shown = cli("show", "final/props/knife.png", cwd=shot).out
    assert "rejected at review by Legal (no reference)" in shown
    history = [
        e["kind"] for e in cli("history", "final/props/knife.png", "--json", cwd=shot).json()
    ]
    assert history[-3:] == ["decided", "revoked", "decided"]
    data = cli("report", "--format", "json", "--output", "-", cwd=shot).json()
    audit = next(s for s in data["sections"] if s["id"] == "audit")["rows"]
    [flag] = [f for row in audit for f in row["flags"]]
    assert [(t["event"], t.get("decision")) for t in flag["trail"]] == [
        ("decided", "approved"),
        ("revoked", None),
        ("decided", "rejected"),
    ]
    assert cli("verify", cwd=shot).code == 0  # the projection rebuilt from the ledger agrees


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["approve", "999", "--by", "X"], "no flag 999; list them with `reelprov flags`"),
        (["approve", "19-10", "--by", "X"], "flag range '19-10' is empty"),
        (["approve", "1-2000000", "--by", "X"], "spans 2,000,000 ids"),
        (["approve", "abc", "--by", "X"], "'abc' is not a flag id"),
        (["approve", "--by", "X"], "no flags named: give flag ids"),
        (
            ["approve", "--path", "final/nothing/**", "--by", "X"],
            "no flags to approve match path final/nothing/**",
        ),
        (["approve", "1-3", "999", "--by", "X"], "no flag 999"),
        (
            ["revoke", "1", "--by", "X", "--note", "n"],
            "flag 1 is open: there is no decision on it to revoke",
        ),
        (["approve", "1", "--by", "X", "--status", "sideways"], "unknown status 'sideways'"),
    ],
)
def test_bad_selections_exit_2_and_record_nothing(
    cli, shot: Path, args: list[str], words: str
) -> None:
    head = _head(cli, shot)
    r = cli(*args, cwd=shot)
    assert r.code == 2 and words in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert _head(cli, shot) == head


def test_deciding_a_resolved_flag_is_refused(cli, shot: Path) -> None:
    (shot / "final/props/knife.png").unlink()
    assert cli("scan", cwd=shot).code == 0
    fid = next(f["id"] for f in cli("flags", "final/props/knife.png", "--json", cwd=shot).json())
    head = _head(cli, shot)
    r = cli("approve", str(fid), "--by", "X", cwd=shot)
    assert r.code == 2 and f"flag {fid} is resolved, not open" in r.err
    assert _head(cli, shot) == head


def test_a_mistyped_sha256_says_no_such_content(cli, shot: Path) -> None:
    """Seen: a mistyped --sha256 prefix said "the file changed since" instead of "no such content"."""
    f = next(f for f in cli("flags", "final/props/knife.png", "--json", cwd=shot).json())
    r = cli("approve", str(f["id"]), "--by", "X", "--sha256", "deadbeefdead", cwd=shot)
    assert r.code == 2 and "no version of this file has content sha256 deadbeefdead" in r.err
    old = f["sha256"]
    write_png(shot / "final/props/knife.png", {"parameters": SD_PARAMS}, color=(2, 2, 2))
    assert cli("scan", cwd=shot).code == 0
    r = cli("approve", str(f["id"]), "--by", "X", "--sha256", old[:12], cwd=shot)
    assert r.code == 2 and "the file changed since" in r.err


def test_a_hero_prop_moved_to_final_keeps_its_tag_and_escalates(cli, show_root: Path) -> None:
    """Seen: a file tagged story_relevant by the rule `**/props/hero/**`, then moved to final/, lost
    the tag: only a review flag was raised, not the escalation."""
    write_png(show_root / "props/hero/axe.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    (show_root / "final").mkdir()
    (show_root / "props/hero/axe.png").rename(show_root / "final/axe.png")
    assert cli("scan", cwd=show_root).code == 0
    a = cli("show", "final/axe.png", "--json", cwd=show_root).json()
    assert a["tags"] == ["story_relevant"] and a["stage"] == "final"
    assert {f["rule"]: f["severity"] for f in a["flags"]}["creative.ai_key_creative"] == "escalate"
    tagged = [e for e in a["history"] if e["kind"] == "tagged"]
    assert tagged[-1]["payload"]["kept_on_move"] == {
        "from": "props/hero/axe.png",
        "rule": "**/props/hero/**",
    }


def test_approved_tools_match_whole_names_or_a_written_glob(cli, show_root: Path) -> None:
    """Seen: `FaceSwapper (not Adobe Firefly)` counted as the approved Adobe Firefly."""
    from reelprov.policy.engine import _tool_ok

    assert _tool_ok("adobe firefly", ["Adobe Firefly"])
    assert not _tool_ok("FaceSwapper (not Adobe Firefly)", ["Adobe Firefly"])
    assert not _tool_ok("Adobe Firefly Hacked", ["Adobe Firefly"])
    assert _tool_ok("Adobe Firefly Image 3", ["Adobe Firefly*"])
    assert not _tool_ok("FaceSwapper (not Adobe Firefly)", ["Adobe Firefly*"])
    write_png(show_root / "final/face.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "declare",
            "final/face.png",
            "--origin",
            "ai_generated",
            "--tool",
            "FaceSwapper (not Adobe Firefly)",
            "--by",
            "vendor",
            cwd=show_root,
        ).code
        == 0
    )
    rules = {
        f["rule"]
        for f in cli("flags", "final/face.png", "--json", cwd=show_root).json()
        if f["status"] == "open"
    }
    assert "security.unapproved_tool" in rules


def test_small_promises_version_status_and_declare(cli, show_root: Path) -> None:
    r = cli("--version")
    assert r.code == 0 and re.fullmatch(r"reelprov \d+\.\d+\.\d+\S*\n", r.out)
    r = cli("status", cwd=show_root)
    assert r.code == 1 and "no watcher running" in r.out
    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root).code == 0
    r = cli("declare", "final/a.png", "--origin", "unknown", cwd=show_root)
    assert r.code == 2 and "cannot declare origin 'unknown'" in r.err
