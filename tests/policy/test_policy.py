"""Policy and review: stages, tags, declarations, flags raised early, approvals bound to content."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, report_every_use, write_png


def open_flags(cli, root: Path, path: str) -> list[dict]:
    return [
        f for f in cli("show", path, "--json", cwd=root).json()["flags"] if f["status"] == "open"
    ]


def test_stages_from_path_rules_and_explicit_tag(cli, show_root: Path) -> None:
    for rel in (
        "final/a.png",
        "shots/deliverables/b.png",
        "temp/c.png",
        "previs/sh010/d.png",
        "plates/e.png",
    ):
        write_png(show_root / rel, color=(len(rel), 0, 0))
    cli("scan", cwd=show_root)
    stages = {a["path"]: a["stage"] for a in cli("ls", "--json", cwd=show_root).json()}
    assert stages == {
        "final/a.png": "final",
        "shots/deliverables/b.png": "final",
        "temp/c.png": "temp",
        "previs/sh010/d.png": "temp",
        "plates/e.png": "unassigned",
    }
    assert cli("tag", "temp/c.png", "--stage", "final", cwd=show_root).code == 0
    assert cli("show", "temp/c.png", "--json", cwd=show_root).json()["stage"] == "final"


def test_ai_in_temp_no_flag_then_final_and_story_escalate(cli, show_root: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    write_png(show_root / "temp/boards/castle.png", {"parameters": SD_PARAMS})
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            'approved_tools = ["Adobe Firefly"]', 'approved_tools = ["Stable Diffusion"]'
        )
    )
    cli("scan", cwd=show_root)
    assert open_flags(cli, show_root, "temp/boards/castle.png") == []
    assert [
        a["path"]
        for a in cli(
            "ls", "--origin", "ai_generated", "--stage", "temp", "--json", cwd=show_root
        ).json()
    ] == ["temp/boards/castle.png"]
    # flagged the moment the stage changes, not at report time
    cli("tag", "temp/boards/castle.png", "--stage", "final", cwd=show_root)
    flags = open_flags(cli, show_root, "temp/boards/castle.png")
    assert [(f["rule"], f["severity"]) for f in flags] == [("screen.ai_headed_to_screen", "review")]
    cli("tag", "temp/boards/castle.png", "--tag", "story_relevant", cwd=show_root)
    rules = {f["rule"]: f["severity"] for f in open_flags(cli, show_root, "temp/boards/castle.png")}
    assert rules == {"screen.ai_headed_to_screen": "review", "creative.ai_key_creative": "escalate"}
    # idempotent: re-evaluating raises nothing new
    before = cli("flags", "--json", cwd=show_root).json()
    assert cli("policy", "check", "--json", cwd=show_root).json()["raised"] == 0
    assert cli("flags", "--json", cwd=show_root).json() == before
    # untag resolves the escalation (with who and the reference: it clears an escalate flag)
    assert (
        cli("untag", "temp/boards/castle.png", "--tag", "story_relevant", cwd=show_root).code == 2
    )
    cli(
        "untag",
        "temp/boards/castle.png",
        "--tag",
        "story_relevant",
        "--by",
        "Legal",
        "--ref",
        "L-3",
        cwd=show_root,
    )
    assert [f["rule"] for f in open_flags(cli, show_root, "temp/boards/castle.png")] == [
        "screen.ai_headed_to_screen"
    ]
    assert [a["path"] for a in cli("ls", "--flagged", "--json", cwd=show_root).json()] == [
        "temp/boards/castle.png"
    ]


def test_talent_tag_unapproved_tool_and_invalid_c2pa(cli, sample_show: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(sample_show)
    cli("scan", cwd=sample_show)
    rules = {f["rule"] for f in open_flags(cli, sample_show, "audio/elevenlabs_voice.mp3")}
    assert rules == {"security.unapproved_tool"}
    cli("tag", "audio/elevenlabs_voice.mp3", "--tag", "synthetic_voice", cwd=sample_show)
    flags = {f["rule"]: f for f in open_flags(cli, sample_show, "audio/elevenlabs_voice.mp3")}
    assert flags["talent.ai_likeness_or_voice"]["area"] == "talent_performance"
    assert flags["talent.ai_likeness_or_voice"]["severity"] == "escalate"
    tampered = open_flags(cli, sample_show, "c2pa/tampered_after_signing.jpg")
    assert [(f["area"], f["severity"]) for f in tampered] == [("integrity", "escalate")]
    assert (
        open_flags(cli, sample_show, "c2pa/firefly_ai.png") == []
    )  # approved tool, not headed to screen


def test_approval_binds_to_content_and_reopens(cli, show_root: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    f = write_png(show_root / "final/props/note.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    cli("tag", "final/props/note.png", "--tag", "key_creative", cwd=show_root)
    esc = next(
        x for x in open_flags(cli, show_root, "final/props/note.png") if x["severity"] == "escalate"
    )
    r = cli("approve", str(esc["id"]), "--by", "J. Park", cwd=show_root)
    assert r.code == 2 and "--ref" in r.err
    r = cli(
        "approve",
        str(esc["id"]),
        "--by",
        "J. Park",
        "--ref",
        "LEGAL-0042",
        "--note",
        "consent on file",
        "--json",
        cwd=show_root,
    )
    assert (
        r.code == 0
        and r.json()["status"] == "approved"
        and r.json()["decision"]["ref"] == "LEGAL-0042"
    )
    r = cli("approve", str(esc["id"]), "--by", "J. Park", "--ref", "X", cwd=show_root)
    assert r.code == 2 and "not open" in r.err
    still_open = next(
        x for x in open_flags(cli, show_root, "final/props/note.png") if x["id"] != esc["id"]
    )
    write_png(f, {"parameters": SD_PARAMS + ", v2"}, color=(99, 0, 0))  # the file changes
    r = cli("scan", cwd=show_root)
    assert r.out.startswith("1 file: 0 new, 1 changed") and r.out.rstrip().endswith(
        "0 flags raised, 3 reopened"
    )
    other = next(
        x
        for x in cli("flags", "final/props/note.png", "--json", cwd=show_root).json()
        if x["id"] == still_open["id"]
    )
    assert "content changed since it was raised" in other["reason"]
    reopened = next(
        x
        for x in cli("show", "final/props/note.png", "--json", cwd=show_root).json()["flags"]
        if x["id"] == esc["id"]
    )
    assert (
        reopened["status"] == "open"
        and "content changed since it was approved" in reopened["reason"]
    )
    kinds = [
        e["kind"] for e in cli("history", "final/props/note.png", "--json", cwd=show_root).json()
    ]
    assert "decided" in kinds and kinds.index("flag_reopened") > kinds.index("decided")


def test_an_approval_for_the_content_reviewed_is_refused_once_the_file_has_changed(
    cli, show_root: Path
) -> None:
    """Legal reviewed v1 from the morning's report; the vendor delivered v2 at the same path at noon;
    the approval typed in the afternoon must not land on v2, which nobody looked at."""
    f = write_png(show_root / "final/props/note.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    cli("tag", "final/props/note.png", "--tag", "key_creative", cwd=show_root)
    esc = next(
        x for x in open_flags(cli, show_root, "final/props/note.png") if x["severity"] == "escalate"
    )
    v1 = esc["sha256"]
    listed = cli("flags", "final/props/note.png", cwd=show_root).out
    assert (
        f"final/props/note.png  sha256 {v1[:12]}" in listed
    )  # what the reviewer names the content by
    write_png(f, {"parameters": SD_PARAMS + ", v2"}, color=(99, 0, 0))
    cli("scan", cwd=show_root)
    v2 = cli("show", "final/props/note.png", "--json", cwd=show_root).json()["sha256"]
    r = cli(
        "approve",
        str(esc["id"]),
        "--by",
        "J. Park",
        "--ref",
        "LEGAL-0042",
        "--sha256",
        v1[:12],
        cwd=show_root,
    )
    assert r.code == 2
    assert (
        f"flag {esc['id']} on final/props/note.png now judges content sha256 {v2[:12]}, not the {v1[:12]} you reviewed"
        in r.err
    ) and f"--sha256 {v2[:12]}" in r.err
    assert (
        next(x for x in open_flags(cli, show_root, "final/props/note.png") if x["id"] == esc["id"])[
            "status"
        ]
        == "open"
    )
    # the content still the one reviewed (the full hash here, in capitals): decided
    r = cli(
        "reject", str(esc["id"]), "--by", "J. Park", "--sha256", v2.upper(), "--json", cwd=show_root
    )
    assert r.code == 0 and r.json()["status"] == "rejected" and r.json()["sha256"] == v2
    for bad in ("1234567", "not-a-hash", v2 + "00"):
        r = cli("waive", "1", "--by", "me", "--note", "x", "--sha256", bad, cwd=show_root)
        assert r.code == 2 and "give the reviewed content's SHA-256 as hex" in r.err


def test_declare_counts_as_evidence(cli, show_root: Path) -> None:
    write_png(show_root / "vfx/sh020/a.png")
    write_png(show_root / "vfx/sh020/b.png", color=(3, 3, 3))
    cli("scan", cwd=show_root)
    r = cli(
        "declare",
        "vfx/sh020/*.png",
        "--origin",
        "ai_generated",
        "--tool",
        "Runway Gen-4",
        "--note",
        "crowd extension",
        "--consent",
        "LEGAL-7",
        "--json",
        cwd=show_root,
    )
    assert r.code == 0
    for a in r.json():
        assert a["origin"] == "ai_generated" and a["tools"] == ["Runway Gen-4"]
        assert any(e["source"].startswith("declaration") for e in a["evidence"])


def test_a_declaration_of_human_origin_does_not_carry_over_to_new_content(
    cli, show_root: Path
) -> None:
    """Declared human for one version; the file is then replaced by another with no evidence: that
    is unknown, not human. Declared AI use still counts for the new version."""
    still = write_png(show_root / "final/still.png")
    plate = write_png(show_root / "final/plate.png", color=(5, 5, 5))
    cli("scan", cwd=show_root)
    assert (
        cli(
            "declare",
            "final/still.png",
            "--origin",
            "human",
            "--note",
            "unit photographer",
            cwd=show_root,
        ).code
        == 0
    )
    assert (
        cli(
            "declare",
            "final/plate.png",
            "--origin",
            "ai_generated",
            "--tool",
            "Flux",
            cwd=show_root,
        ).code
        == 0
    )
    assert cli("show", "final/still.png", "--json", cwd=show_root).json()["origin"] == "human"
    write_png(still, color=(99, 1, 1))
    write_png(plate, color=(98, 1, 1))
    cli("scan", cwd=show_root)
    a = cli("show", "final/still.png", "--json", cwd=show_root).json()
    assert a["origin"] == "unknown"
    assert any(
        "declared for earlier content" in e["detail"] and e["origin"] is None for e in a["evidence"]
    )
    b = cli("show", "final/plate.png", "--json", cwd=show_root).json()
    assert b["origin"] == "ai_generated" and b["tools"] == ["Flux"]
    assert any(
        f["rule"] == "screen.ai_headed_to_screen" and f["status"] == "open" for f in b["flags"]
    )
    assert cli("verify", cwd=show_root).code == 0


def test_a_rejected_element_taken_off_screen_stops_blocking_and_comes_back_saying_so(
    cli, show_root: Path
) -> None:
    import shutil

    write_png(show_root / "final/props/cup.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    screen = next(
        f
        for f in open_flags(cli, show_root, "final/props/cup.png")
        if f["rule"] == "screen.ai_headed_to_screen"
    )
    assert (
        cli(
            "reject",
            str(screen["id"]),
            "--by",
            "K. Lee",
            "--note",
            "replace with a practical",
            cwd=show_root,
        ).code
        == 0
    )
    (show_root / "temp").mkdir()
    shutil.move(
        show_root / "final/props/cup.png", show_root / "temp/cup.png"
    )  # done as the rejection asked
    r = cli("scan", cwd=show_root)
    assert r.code == 0
    moved = {
        f["id"]: f["status"]
        for f in cli("show", "temp/cup.png", "--json", cwd=show_root).json()["flags"]
    }
    assert moved[screen["id"]] == "resolved"  # it stayed "rejected", blocking delivery for ever
    gate = cli("report", "--fail-on", "review", "--format", "md", "--output", "-", cwd=show_root)
    assert f"#{screen['id']} " not in gate.err
    shutil.move(
        show_root / "temp/cup.png", show_root / "final/props/cup.png"
    )  # the same content back on screen
    cli("scan", cwd=show_root)
    back = next(
        f for f in open_flags(cli, show_root, "final/props/cup.png") if f["id"] == screen["id"]
    )
    assert "this content was rejected by K. Lee: replace with a practical" in back["reason"]
    assert cli("verify", cwd=show_root).code == 0


def test_bad_review_input_is_exit_2_and_changes_nothing(cli, show_root: Path) -> None:
    write_png(show_root / "a.png")
    cli("scan", cwd=show_root)
    head = cli("verify", "--json", cwd=show_root).json()["head"]
    for args, words in [
        (("tag", "a.png", "--tag", "villain"), "unknown tag"),
        (("approve", "999", "--by", "x"), "no flag 999"),
        (
            ("approve", "99999999999999999999", "--by", "x"),
            "no flag 99999999999999999999",
        ),  # past 64 bits
        (("reject", "0", "--by", "x"), "no flag 0"),
        (("declare", "nothing/*.png", "--origin", "ai_generated"), "matches no recorded asset"),
        (("tag", "a.png", "--stage", "locked"), "unknown stage"),
        (("tag", "a.png"), "nothing to do: give --tag NAME"),
        (("tag", "a.png", "--stage", "final", "--clear-stage"), "contradict"),
    ]:
        r = cli(*args, cwd=show_root)
        assert r.code == 2 and words in r.err, (args, r.err)
    assert cli("verify", "--json", cwd=show_root).json()["head"] == head


def test_several_flags_decided_together_or_not_at_all(cli, show_root: Path) -> None:
    write_png(show_root / "final/props/note.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/props/cup.png", {"parameters": SD_PARAMS}, color=(7, 7, 7))
    cli("scan", cwd=show_root)
    cli("tag", "final/props/cup.png", "--tag", "key_creative", cwd=show_root)
    flags = cli("flags", "--json", cwd=show_root).json()
    review = [f["id"] for f in flags if f["severity"] == "review"]
    esc = next(f["id"] for f in flags if f["severity"] == "escalate")
    head = cli("verify", "--json", cwd=show_root).json()["head"]
    r = cli(
        "approve", *map(str, review), str(esc), "--by", "J. Park", cwd=show_root
    )  # the escalate one needs --ref
    assert r.code == 2 and f"flag {esc} is escalate" in r.err
    assert cli("verify", "--json", cwd=show_root).json()["head"] == head  # nothing of it recorded
    assert {f["status"] for f in cli("flags", "--json", cwd=show_root).json()} == {"open"}
    r = cli(
        "approve", *map(str, review), str(review[0]), "--by", "J. Park", "--json", cwd=show_root
    )
    assert (
        r.code == 0
        and [f["id"] for f in r.json()] == review
        and {f["status"] for f in r.json()} == {"approved"}
    )
    r = cli("waive", str(esc), "--by", "J. Park", "--note", "never on screen", cwd=show_root)
    assert (
        r.code == 2 and f"flag {esc} is escalate: waiving it needs --ref" in r.err
    )  # no way around written approval
    r = cli(
        "waive",
        str(esc),
        "--by",
        "J. Park",
        "--note",
        "never on screen",
        "--ref",
        "LEGAL-9",
        "--json",
        cwd=show_root,
    )
    assert (
        r.code == 0 and r.json()["id"] == esc and r.json()["status"] == "waived"
    )  # one id: the flag itself
    assert cli("verify", cwd=show_root).code == 0


def test_policy_file_with_unknown_field_is_exit_2(cli, show_root: Path) -> None:
    (show_root / "policy.toml").write_text(
        '[[rule]]\nid = "x"\narea = "screen"\nseverity = "review"\nmessage = "m"\ncolour = "red"\n'
    )
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[policy]", '[policy]\nfile = "policy.toml"'))
    r = cli("policy", "show", cwd=show_root)
    assert r.code == 2 and "colour" in r.err and "policy.toml" in r.err


_RULE = '[[rule]]\nid = "x"\narea = "screen"\nseverity = "review"\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_RULE + 'message = "{origin} by {nope}"\n', "message uses {nope}"),
        (_RULE + 'message = "{origin.upper}"\n', "message uses {origin.upper}"),
        (_RULE + 'message = "{0}"\n', "message uses {0}"),
        (_RULE + 'message = "a { b"\n', "literal braces"),
        ("rule = 5\n", "array of tables"),
        ("rule = [1, 2]\n", "rule 1 is not a table"),
        (_RULE + 'message = "m"\nwhen = 5\n', "`when` must be a table"),
        (b"\xff\xfe[[rule]]\n", "cannot read the project policy"),
    ],
)
def test_broken_project_policy_is_exit_2_before_anything_is_written(
    cli, show_root: Path, text: str | bytes, words: str
) -> None:
    """A policy that would fail while raising flags (an unknown placeholder in a message crashed
    every scan mid-batch) is refused when it is loaded, naming the file and rule."""
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    pol = show_root / "policy.toml"
    pol.write_bytes(text if isinstance(text, bytes) else text.encode())
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[policy]", '[policy]\nfile = "policy.toml"'))
    r = cli("scan", cwd=show_root)
    assert r.code == 2 and "policy.toml" in r.err and words in r.err and r.err.count("\n") == 1, (
        r.err
    )
    assert cli("verify", "--json", cwd=show_root).json()["entries"] == 0


def test_policy_show_lists_areas(cli, show_root: Path) -> None:
    r = cli("policy", "show", "--json", cwd=show_root)
    areas = {x["area"] for x in r.json()["rules"]}
    from reelprov.policy import AREAS

    # every area of the guidance has a rule in the default policy, reporting included (issue 22)
    assert areas == set(AREAS) and "reporting" in areas


def test_path_rule_tags(cli, show_root: Path) -> None:
    write_png(show_root / "final/props/hero/locket.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    a = cli("show", "final/props/hero/locket.png", "--json", cwd=show_root).json()
    assert "story_relevant" in a["tags"]
    assert any(f["rule"] == "creative.ai_key_creative" for f in a["flags"])
    # untag cannot take away what a rule gives, and says so instead of a silent "0 changed"
    r = cli("untag", "final/props/hero/locket.png", "--tag", "story_relevant", cwd=show_root)
    assert r.code == 0
    assert (
        "note: story_relevant stays on 1 asset: the tag rule '**/props/hero/**' in reelprov.toml gives it; "
        "change that to remove it"
    ) in r.err
    assert (
        "story_relevant"
        in cli("show", "final/props/hero/locket.png", "--json", cwd=show_root).json()["tags"]
    )


def test_a_waiver_says_why(cli, show_root: Path) -> None:
    write_png(show_root / "temp/boards/a.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    fid = cli("flags", "--json", cwd=show_root).json()[0]["id"]
    head = cli("verify", "--json", cwd=show_root).json()["head"]
    for note in (None, "  "):
        r = cli(
            "waive",
            str(fid),
            "--by",
            "J. Park",
            *(["--note", note] if note is not None else []),
            cwd=show_root,
        )
        assert r.code == 2 and f"flag {fid}: waiving it needs --note" in r.err, r.err
    assert cli("verify", "--json", cwd=show_root).json()["head"] == head
    assert cli("flags", "--json", cwd=show_root).json()[0]["status"] == "open"
    r = cli("waive", str(fid), "--by", "J. Park", "--note", "temp only", "--json", cwd=show_root)
    assert r.code == 0, r.err
    f = cli("flags", "--json", cwd=show_root).json()[0]
    assert (
        f["status"] == "waived"
        and f["decision"]["note"] == "temp only"
        and f["decision"]["by"] == "J. Park"
    )


def test_a_voice_cloning_tool_headed_to_screen_escalates_without_a_tag(
    cli, sample_show: Path
) -> None:
    cli("scan", cwd=sample_show)
    voice, music = "audio/elevenlabs_voice.mp3", "audio/suno_temp_music.mp3"
    # Scratch VO and temp music: no talent review while they stay off screen.
    assert "talent.voice_or_likeness_tool" not in {
        f["rule"] for f in open_flags(cli, sample_show, voice)
    }
    for path in (voice, music):
        assert cli("tag", path, "--stage", "final", cwd=sample_show).code == 0
    flags = {f["rule"]: f for f in open_flags(cli, sample_show, voice)}
    talent = flags["talent.voice_or_likeness_tool"]
    assert (talent["area"], talent["severity"]) == ("talent_performance", "escalate")
    assert talent["reason"].startswith("made with ElevenLabs, which makes synthetic voices")
    assert "talent.voice_or_likeness_tool" not in {
        f["rule"] for f in open_flags(cli, sample_show, music)
    }  # Suno: music
    r = cli("approve", str(talent["id"]), "--by", "Legal", cwd=sample_show)
    assert r.code == 2 and "--ref" in r.err  # escalate: needs the written consent reference


def test_tag_and_declare_take_a_folder_like_ls(cli, show_root: Path) -> None:
    for rel in ("props/hero/a.png", "props/hero/b.png", "props/heroic.png"):
        write_png(show_root / rel, color=(len(rel), 1, 1))
    cli("scan", cwd=show_root)
    r = cli("tag", "props/hero", "--tag", "story_relevant", cwd=show_root)
    assert r.code == 0 and "tagged 2 assets" in r.out, r.err
    tagged = [
        a["path"] for a in cli("ls", "--tag", "story_relevant", "--json", cwd=show_root).json()
    ]
    assert tagged == ["props/hero/a.png", "props/hero/b.png"]  # not props/heroic.png
    r = cli(
        "declare",
        ".",
        "--origin",
        "ai_generated",
        "--tool",
        "Midjourney",
        "--by",
        "vendor",
        cwd=show_root / "props/hero",
    )
    assert r.code == 0 and "on 2 assets" in r.out, r.err
    assert {a["path"]: a["origin"] for a in cli("ls", "--json", cwd=show_root).json()} == {
        "props/hero/a.png": "ai_generated",
        "props/hero/b.png": "ai_generated",
        "props/heroic.png": "unknown",
    }


def test_policy_check_reports_its_progress(project, show_root: Path) -> None:
    from reelprov.policy.check import policy_check
    from reelprov.recording.scan import scan

    for i in range(3):
        write_png(show_root / f"final/{i}.png", {"parameters": SD_PARAMS}, color=(i, 0, 0))
    scan(project)
    seen: list[tuple[str, int, int]] = []
    counts = policy_check(project, progress=lambda *a: seen.append(a))
    assert (
        counts["assets"] == 3 and counts["raised"] == 0
    )  # idempotent: the scan raised them already
    assert seen == [("evaluate", 0, 3), ("evaluate", 3, 3)]


def test_declaring_human_against_the_files_own_ai_metadata_is_flagged(cli, show_root: Path) -> None:
    write_png(show_root / "vfx/sky.png", {"parameters": SD_PARAMS})
    write_png(
        show_root / "midjourney_refs/sketch.png", color=(9, 9, 9)
    )  # AI only by its folder's name
    cli("scan", cwd=show_root)
    for path in ("vfx/sky.png", "midjourney_refs/sketch.png"):
        r = cli(
            "declare",
            path,
            "--origin",
            "human",
            "--by",
            "Vendor X",
            "--note",
            "hand painted",
            cwd=show_root,
        )
        assert r.code == 0, r.err
    sky = {f["rule"]: f for f in open_flags(cli, show_root, "vfx/sky.png")}
    conflict = sky["integrity.declared_human_against_file"]
    assert (conflict["area"], conflict["severity"]) == ("integrity", "escalate")
    assert (
        "a declaration says less than the file's own metadata, which says ai_generated (Stable Diffusion)"
        in conflict["reason"]
    )
    # the file's own claim stands: the declaration cannot make it human
    assert cli("show", "vfx/sky.png", "--json", cwd=show_root).json()["origin"] == "ai_generated"
    # a declaration may still correct a weak hint such as a folder name
    sketch = cli("show", "midjourney_refs/sketch.png", "--json", cwd=show_root).json()
    assert sketch["origin"] == "human" and not [f for f in sketch["flags"] if f["status"] == "open"]
    r = cli("approve", str(conflict["id"]), "--by", "Legal", cwd=show_root)
    assert r.code == 2 and "--ref" in r.err
    sections = {
        sec["id"]: sec["rows"]
        for sec in cli("report", "--format", "json", "--output", "-", cwd=show_root).json()[
            "sections"
        ]
    }
    assert [row["path"] for row in sections["blocking"]] == ["vfx/sky.png"]


def test_flags_raised_together_are_numbered_in_path_order(cli, show_root: Path) -> None:
    """They were numbered in the order of the assets' random ids: `flags` read in no order, and the
    same changes numbered them differently each time."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    for name in ("d.png", "a.png", "c.png", "b.png", "e.png"):
        write_png(show_root / "gen" / name, {"parameters": SD_PARAMS}, color=(ord(name[0]), 0, 0))
    cli("scan", cwd=show_root)
    flags = cli("flags", "--json", cwd=show_root).json()
    assert [f["path"] for f in flags] == [f"gen/{n}.png" for n in "abcde"]
    assert [f["id"] for f in flags] == [1, 2, 3, 4, 5]


def test_an_undecided_flag_says_why_as_things_stand_now(cli, show_root: Path) -> None:
    """A flag's reason was written when it was raised: a tag added later (a synthetic voice on top of
    a likeness) or a tool declared later never reached it, so the reviewer read half the story."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    f = write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    cli("tag", "final/hero.png", "--tag", "talent_likeness", cwd=show_root)
    talent = next(
        x
        for x in open_flags(cli, show_root, "final/hero.png")
        if x["rule"] == "talent.ai_likeness_or_voice"
    )
    assert "(talent_likeness)" in talent["reason"]
    r = cli("tag", "final/hero.png", "--tag", "synthetic_voice", cwd=show_root)
    assert r.code == 0
    now = {x["rule"]: x for x in open_flags(cli, show_root, "final/hero.png")}
    assert now["talent.ai_likeness_or_voice"]["id"] == talent["id"]
    assert "(synthetic_voice, talent_likeness)" in now["talent.ai_likeness_or_voice"]["reason"]
    cli(
        "declare",
        "final/hero.png",
        "--origin",
        "ai_generated",
        "--tool",
        "Midjourney",
        cwd=show_root,
    )
    security = {x["rule"]: x for x in open_flags(cli, show_root, "final/hero.png")}[
        "security.unapproved_tool"
    ]
    assert "Midjourney" in security["reason"] and "Stable Diffusion" in security["reason"]
    kinds = [e["kind"] for e in cli("history", "final/hero.png", "--json", cwd=show_root).json()]
    assert kinds.count("flag_updated") == 2
    # nothing left to bring up to date, and the projection rebuilt from the ledger says the same
    before = cli("flags", "--json", cwd=show_root).json()
    assert cli("policy", "check", "--json", cwd=show_root).json() | {"assets": 0} == {
        "assets": 0,
        "raised": 0,
        "reopened": 0,
        "resolved": 0,
        "updated": 0,
    }
    assert cli("db", "rebuild", cwd=show_root).code == 0
    assert cli("flags", "--json", cwd=show_root).json() == before

    # a decided flag keeps the reason it was decided on
    cli("approve", str(talent["id"]), "--by", "J. Park", "--ref", "LEGAL-7", cwd=show_root)
    cli("untag", "final/hero.png", "--tag", "synthetic_voice", cwd=show_root)
    decided = next(
        x for x in cli("flags", "--json", cwd=show_root).json() if x["id"] == talent["id"]
    )
    assert (
        decided["status"] == "approved"
        and "(synthetic_voice, talent_likeness)" in decided["reason"]
    )

    # reopened by new content: the note on what changed stays when the rule's text moves on
    write_png(f, {"parameters": SD_PARAMS + ", v2"}, color=(9, 9, 9))
    cli("scan", cwd=show_root)
    cli("tag", "final/hero.png", "--tag", "synthetic_voice", cwd=show_root)
    reopened = next(
        x for x in cli("flags", "--json", cwd=show_root).json() if x["id"] == talent["id"]
    )
    assert reopened["status"] == "open"
    assert "(synthetic_voice, talent_likeness)" in reopened["reason"]
    assert "content changed since it was approved" in reopened["reason"]


def test_a_policy_change_brings_open_flags_up_to_date(cli, show_root: Path) -> None:
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    pol = show_root / "policy.toml"
    rule = '[[rule]]\nid = "x"\narea = "screen"\nseverity = "{sev}"\nmessage = "{msg} ({{stage}})"\n[rule.when]\norigin = ["ai_generated"]\n'
    pol.write_text(rule.format(sev="review", msg="check it"))
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[policy]", '[policy]\nfile = "policy.toml"'))
    cli("scan", cwd=show_root)
    assert [(x["severity"], x["reason"]) for x in open_flags(cli, show_root, "final/a.png")] == [
        ("review", "check it (final)")
    ]
    pol.write_text(rule.format(sev="block", msg="replace it"))
    r = cli("policy", "check", cwd=show_root)
    assert (
        r.code == 0
        and r.out.strip()
        == "checked 1 asset: 0 raised, 0 reopened, 0 resolved, 1 with a new reason"
    )
    assert [
        (x["id"], x["severity"], x["reason"]) for x in open_flags(cli, show_root, "final/a.png")
    ] == [(1, "block", "replace it (final)")]


def test_a_scan_that_finds_a_tool_in_a_new_sidecar_says_the_flag_now_names_it(
    cli, show_root: Path
) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    import json

    write_png(show_root / "final/plate.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    (show_root / "final/plate.png.reelprov.json").write_text(
        json.dumps({"reelprov_declaration": 1, "origin": "ai_composite", "tool": "Runway Gen-4"})
    )
    r = cli("scan", cwd=show_root)
    assert r.out.rstrip().endswith("0 flags raised, 2 with a new reason"), r.out
    assert cli("scan", "--json", cwd=show_root).json()["flags_updated"] == 0
    flags = {x["rule"]: x for x in open_flags(cli, show_root, "final/plate.png")}
    assert "Runway Gen-4" in flags["security.unapproved_tool"]["reason"]
    assert flags["screen.ai_headed_to_screen"]["reason"].startswith(
        "ai_composite element headed to screen"
    )


def test_a_vendor_sidecar_cannot_downgrade_what_the_file_itself_says(cli, show_root: Path) -> None:
    """Seen: `x.jpg.reelprov.json` declaring `ai_enhanced` outranked the file's own XMP
    trainedAlgorithmicMedia: the escalate and review flags went away and `report --fail-on
    escalate` passed. The file's own claim sets the verdict; the disagreement is an escalation."""
    import json

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt(
        "XML:com.adobe.xmp",
        '<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/'
        'newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></x:xmpmeta>',
    )
    (show_root / "final/props").mkdir(parents=True)
    Image.new("RGB", (8, 8), (3, 3, 3)).save(show_root / "final/props/x.png", "PNG", pnginfo=info)
    (show_root / "final/props/x.png.reelprov.json").write_text(
        json.dumps({"reelprov_declaration": 1, "origin": "ai_enhanced", "tags": ["story_relevant"]})
    )
    assert cli("scan", cwd=show_root).code == 0
    a = cli("show", "final/props/x.png", "--json", cwd=show_root).json()
    assert a["origin"] == "ai_generated"
    rules = {f["rule"]: f["severity"] for f in a["flags"] if f["status"] == "open"}
    assert (
        rules["creative.ai_key_creative"] == "escalate"
        and rules["integrity.declared_human_against_file"] == "escalate"
    )
    assert (
        cli(
            "report", "--fail-on", "escalate", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 1
    )
    # a declaration may still strengthen: ai_generated declared over a weak hint wins
    write_png(show_root / "midjourney_refs/sketch.png", color=(9, 9, 9))
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "declare",
            "midjourney_refs/sketch.png",
            "--origin",
            "ai_composite",
            "--by",
            "v",
            cwd=show_root,
        ).code
        == 0
    )
    assert (
        cli("show", "midjourney_refs/sketch.png", "--json", cwd=show_root).json()["origin"]
        == "ai_composite"
    )
