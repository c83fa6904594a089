"""`reelprov use`: intended GenAI uses reported, classified, decided, and met by the files that
arrive (scan and watch), on the sample project; what a user sees on the terminal and in JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SD_PARAMS, run_cli, write_png

UNREPORTED = "reporting.unreported_ai_use"
YES = "yes,yes,yes,yes,yes"
CROWD = "vfx/sh020/sh020_crowd_v003.png"  # a vendor's Runway Gen-4 composite (declaration sidecar)
RANSOM = "final/props/ransom_note.jpg"  # DALL-E, in a final folder: headed to screen


def head(root: Path) -> int:
    return run_cli("verify", "--json", cwd=root).json()["head"]["seq"]


def flags_of(root: Path, path: str) -> dict[str, dict[str, Any]]:
    a = run_cli("show", path, "--json", cwd=root).json()
    return {f["rule"]: f for f in a["flags"]}


def propose(root: Path, *args: str) -> Any:
    r = run_cli("use", "propose", *args, "--json", cwd=root)
    assert r.code == 0, r.err
    return r.json()


@pytest.fixture
def scanned(sample_show: Path) -> Path:
    assert run_cli("scan", cwd=sample_show).code == 0
    return sample_show


def test_unreported_ai_files_are_flagged_and_a_use_covers_them(scanned: Path) -> None:
    # every AI file is flagged: no use was reported; headed to screen it escalates
    crowd = flags_of(scanned, CROWD)[UNREPORTED]
    assert (crowd["severity"], crowd["status"]) == ("review", "open")
    assert "no registered use covers it" in crowd["reason"]
    ransom = flags_of(scanned, RANSOM)[UNREPORTED]
    assert (ransom["severity"], ransom["status"]) == ("escalate", "open")
    human = run_cli("show", "plain/no_metadata.png", "--json", cwd=scanned).json()
    assert UNREPORTED not in {f["rule"] for f in human["flags"]} and human["use"] is None

    u = propose(
        scanned,
        "--tool",
        "Runway Gen-4",
        "--purpose",
        "crowd_extension",
        "--scope",
        "vfx/sh020/**",
        "--by",
        "VFX Sup",
        "--note",
        "crowd in the wide shots",
        "--answers",
        YES,
    )
    assert (u["id"], u["risk"], u["status"], u["escalated_by"]) == ("U-1", "review", "proposed", [])
    assert u["scope"] == ["vfx/sh020/**"] and u["note"] == "crowd in the wide shots"
    # the file's flag resolves (the use is reported), the file shows its use
    assert flags_of(scanned, CROWD)[UNREPORTED]["status"] == "resolved"
    shown = run_cli("show", CROWD, "--json", cwd=scanned).json()["use"]
    assert shown == {
        "id": "U-1",
        "status": "proposed",
        "registered": True,
        "purpose": "crowd_extension",
        "tool": "Runway Gen-4",
        "risk": "review",
        "decided_by": None,
        "ref": None,
    }
    listed = {a["path"]: a for a in run_cli("ls", "--json", cwd=scanned).json()}
    assert listed[CROWD]["use"]["id"] == "U-1" and listed[RANSOM]["use"] is None
    # use ls / show: the files it covers
    ls = run_cli("use", "ls", "--json", cwd=scanned).json()
    assert [(x["id"], x["files"]["count"]) for x in ls] == [("U-1", 1)]
    assert ls[0]["files"]["out_of_cut"] == [CROWD]
    text = run_cli("use", "show", "U-1", cwd=scanned).out
    assert "use U-1: Runway Gen-4 for crowd_extension" in text and CROWD in text
    assert "yes     The tools run in an enterprise-secured environment?" in text
    assert run_cli("verify", cwd=scanned).code == 0


def test_a_no_answer_escalates_a_low_risk_purpose_and_needs_a_reference(scanned: Path) -> None:
    u = propose(
        scanned,
        "--tool",
        "Suno",
        "--purpose",
        "temp_music",
        "--scope",
        "audio/**",
        "--by",
        "Music Ed",
        "--answers",
        "yes,no,yes,yes,yes",
    )
    assert (u["matrix_risk"], u["risk"]) == ("low", "escalate")
    assert u["escalated_by"] == ["no_training_on_production_data"]
    assert u["answers"]["no_training_on_production_data"] == "no"
    before = head(scanned)
    r = run_cli("use", "approve", "U-1", "--by", "J. Park", cwd=scanned)
    assert r.code == 2
    assert r.err.strip().splitlines() == [
        "reelprov: error: use U-1 is at escalate risk: approving it needs --ref with the written "
        "approval reference"
    ]
    assert head(scanned) == before  # nothing recorded
    r = run_cli("use", "approve", "U-1", "--by", "J. Park", "--ref", "NFX-GENAI-014", cwd=scanned)
    assert r.code == 0, r.err
    assert "use U-1 approved by J. Park" in r.out
    got = run_cli("use", "show", "U-1", "--json", cwd=scanned).json()
    assert (got["status"], got["decided_by"], got["ref"]) == (
        "approved",
        "J. Park",
        "NFX-GENAI-014",
    )
    # an all-yes low-risk use is recorded: reported, no approval to wait for
    low = propose(
        scanned, "--tool", "ComfyUI", "--purpose", "mood_board", "--scope", "temp/**",
        "--by", "AD", "--answers", YES,
    )  # fmt: skip
    assert (low["risk"], low["status"]) == ("low", "recorded")


def test_report_lists_intended_uses_and_each_flagged_files_use(scanned: Path) -> None:
    propose(
        scanned, "--tool", "DALL-E", "--purpose", "prop", "--scope", "final/props/**",
        "--by", "Props", "--answers", "yes,yes,unsure,no,yes",
    )  # fmt: skip
    run_cli("use", "approve", "U-1", "--by", "J. Park", "--ref", "NFX-7", cwd=scanned)
    r = run_cli("report", "--format", "json", "--output", "-", cwd=scanned)
    assert r.code == 0, r.err
    rep = json.loads(r.out)
    (u,) = rep["uses"]
    assert (u["id"], u["risk"], u["status"], u["ref"]) == ("U-1", "escalate", "approved", "NFX-7")
    assert u["escalated_by"] == ["enterprise_secured", "temporary_only"]
    assert u["files"]["count"] == 1 and u["files"]["out_of_cut"] == [RANSOM]
    rows = [r for s in rep["sections"] for r in s["rows"] if r["path"] == RANSOM]
    assert rows and all(r["use"]["id"] == "U-1" and r["use"]["ref"] == "NFX-7" for r in rows)
    md = run_cli("report", "--format", "md", "--output", "-", cwd=scanned).out
    assert "## Intended uses (1)" in md
    assert (
        "| U-1 | DALL-E | prop | escalate | enterprise_secured, temporary_only | approved |" in md
    )
    assert "use U-1 (prop) approved by J. Park, ref NFX-7" in md
    csv = run_cli("report", "--format", "csv", "--output", "-", cwd=scanned).out
    assert any(line.startswith("use:U-1,final/props/**,prop,DALL-E") for line in csv.splitlines())


def test_files_arriving_after_a_use_is_closed_are_flagged(scanned: Path) -> None:
    propose(
        scanned, "--tool", "Stable Diffusion", "--purpose", "concept_art", "--scope", "art/**",
        "--by", "AD", "--answers", YES,
    )  # fmt: skip
    write_png(scanned / "art/one.png", {"parameters": SD_PARAMS})
    assert run_cli("scan", cwd=scanned).code == 0
    assert UNREPORTED not in flags_of(scanned, "art/one.png")  # arrived covered: never flagged
    r = run_cli("use", "close", "U-1", "--by", "AD", cwd=scanned)
    assert r.code == 0 and "use U-1 closed by AD" in r.out
    write_png(scanned / "art/two.png", {"parameters": SD_PARAMS}, color=(1, 2, 3))
    assert run_cli("scan", cwd=scanned).code == 0
    late = flags_of(scanned, "art/two.png")[UNREPORTED]
    assert late["status"] == "open"
    assert "arrived after its use U-1 was closed by AD" in late["reason"]
    # the file there before the close stays covered
    assert UNREPORTED not in flags_of(scanned, "art/one.png")
    ls = run_cli("use", "ls", "--json", cwd=scanned).json()
    assert ls[0]["status"] == "closed" and ls[0]["files"]["arrived_after_close"] == ["art/two.png"]
    assert (ls[0]["files"]["count"], ls[0]["files"]["after_close_count"]) == (2, 1)
    assert "2 files (0 in cut)" in run_cli("use", "ls", cwd=scanned).out
    # the report and `use show` list the first paths of a big use; the counts stay exact
    from reelprov.project import Project
    from reelprov.uses.register import files_by_use, load_uses

    p = Project.open(scanned)
    try:
        files = files_by_use(p, load_uses(p), keep=1)["U-1"]
    finally:
        p.close()
    assert (files.count, files.out_of_cut, files.after_close_count) == (2, ["art/one.png"], 1)
    # a closed use is decided no more
    before = head(scanned)
    r = run_cli("use", "approve", "U-1", "--by", "x", "--ref", "y", cwd=scanned)
    assert r.code == 2 and "closed by AD; a closed use is decided no more" in r.err
    assert head(scanned) == before


def test_rejected_use_flags_its_files_and_revoked_approval_reopens_theirs(scanned: Path) -> None:
    cfg = scanned / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            "use_approval_covers = []", 'use_approval_covers = ["screen", "reporting"]'
        )
    )
    propose(
        scanned, "--tool", "DALL-E", "--purpose", "background_element", "--scope", "final/**",
        "--by", "Props", "--answers", YES,
    )  # fmt: skip
    assert run_cli("use", "approve", "U-1", "--by", "J. Park", cwd=scanned).code == 0
    screen = flags_of(scanned, RANSOM)["screen.ai_headed_to_screen"]
    assert (screen["status"], screen["decision"]["by"]) == ("approved", "J. Park")
    assert "covered by the approval of intended use U-1" in screen["decision"]["note"]
    # the approval of the use does not clear what the project did not say it covers
    assert flags_of(scanned, RANSOM)["security.unapproved_tool"]["status"] == "open"

    r = run_cli(
        "use", "revoke", "U-1", "--by", "J. Park", "--note", "consent withdrawn", cwd=scanned
    )
    assert r.code == 0, r.err
    after = flags_of(scanned, RANSOM)
    assert after["screen.ai_headed_to_screen"]["status"] == "open"  # its approval came from U-1
    unreported = after[UNREPORTED]
    assert (unreported["status"], unreported["severity"]) == ("open", "escalate")
    assert "its use U-1 was revoked by J. Park" in unreported["reason"]
    shown = run_cli("show", RANSOM, "--json", cwd=scanned).json()["use"]
    assert (shown["id"], shown["status"]) == ("U-1", "revoked")
    # the gate refuses: the file is headed to screen and its use no longer stands
    gate = run_cli(
        "report", "--fail-on", "escalate", "--output", str(scanned / "r.html"), cwd=scanned
    )
    assert gate.code == 1
    # a use rejected outright: its files are flagged too
    propose(
        scanned, "--tool", "Runway Gen-4", "--purpose", "crowd_extension", "--scope", "vfx/**",
        "--by", "VFX", "--answers", YES,
    )  # fmt: skip
    assert run_cli("use", "reject", "U-2", "--by", "Studio", cwd=scanned).code == 0
    crowd = flags_of(scanned, CROWD)[UNREPORTED]
    assert crowd["status"] == "open" and "its use U-2 was rejected by Studio" in crowd["reason"]
    assert run_cli("verify", cwd=scanned).code == 0


def test_a_declaration_sidecar_names_its_use(scanned: Path) -> None:
    write_png(scanned / "vendor/a.png", {"parameters": SD_PARAMS})
    (scanned / "vendor/a.png.reelprov.json").write_text(
        json.dumps({"reelprov_declaration": 1, "origin": "ai_generated", "use": "U-9"})
    )
    assert run_cli("scan", cwd=scanned).code == 0
    flag = flags_of(scanned, "vendor/a.png")[UNREPORTED]
    assert flag["status"] == "open"
    assert "its declaration names use U-9, which is not registered" in flag["reason"]
    shown = run_cli("show", "vendor/a.png", "--json", cwd=scanned).json()
    assert shown["use"] == {"id": "U-9", "status": "none", "registered": False}
    # the evidence row says which use the declaration names
    assert any("(intended use U-9)" in e["detail"] for e in shown["evidence"])
    # a use elsewhere (another scope, another tool) that the sidecar names covers the file
    for n in range(9):
        propose(
            scanned, "--tool", "Sora", "--purpose", "previs", "--scope", f"previs{n}/**",
            "--by", "P", "--answers", YES,
        )  # fmt: skip
    assert flags_of(scanned, "vendor/a.png")[UNREPORTED]["status"] == "resolved"
    # a malformed use id in a sidecar: recorded, and said
    write_png(scanned / "vendor/b.png", {"parameters": SD_PARAMS}, color=(9, 9, 9))
    (scanned / "vendor/b.png.reelprov.json").write_text(
        json.dumps({"reelprov_declaration": 1, "origin": "ai_generated", "use": "../etc"})
    )
    assert run_cli("scan", cwd=scanned).code == 0
    ev = run_cli("show", "vendor/b.png", "--json", cwd=scanned).json()["evidence"]
    assert any('use must name an intended use by its id, e.g. "U-3"' in e["detail"] for e in ev)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--purpose", "ideation", "--scope", "a/**", "--by", "x", "--answers", YES], "--tool is required"),
        (["--tool", "X", "--purpose", "ideation", "--scope", "a/**", "--answers", YES], "--by is required"),
        (["--tool", "X", "--scope", "a/**", "--by", "x", "--answers", YES], "--purpose is required"),
        (["--tool", "X", "--purpose", "ideation", "--by", "x", "--answers", YES], "--scope is required"),
        (["--tool", "X", "--purpose", "fun", "--scope", "a", "--by", "x", "--answers", YES], "unknown purpose 'fun'"),
        (["--tool", "X", "--purpose", "ideation", "--scope", "a", "--by", "x", "--answers", ""], "give 5 answers"),
        (["--tool", "X", "--purpose", "ideation", "--scope", "a", "--by", "x", "--answers", "y,y,y,y,y"], "give 5 answers"),
        (["--tool", "X", "--purpose", "ideation", "--scope", "a", "--by", "x"], "--answers is required when not at a terminal"),
    ],
)  # fmt: skip
def test_bad_proposals_exit_2_with_one_line_and_record_nothing(
    scanned: Path, args: list[str], says: str
) -> None:
    before = head(scanned)
    r = run_cli("use", "propose", *args, cwd=scanned)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reelprov: error: ") and says in lines[0]
    assert head(scanned) == before
    assert run_cli("use", "ls", "--json", cwd=scanned).json() == []


def test_a_scope_matching_nothing_is_warned_and_accepted(scanned: Path) -> None:
    r = run_cli(
        "use", "propose", "--tool", "Sora", "--purpose", "previs", "--scope", "previs/**",
        "--by", "P", "--answers", YES, cwd=scanned,
    )  # fmt: skip
    assert r.code == 0
    assert "warning: scope previs/** matches no recorded file yet (accepted" in r.err
    assert "use U-1: Sora for previs, risk low; recorded; no approval needed" in r.out


def test_unknown_use_and_wrong_state_decisions(scanned: Path) -> None:
    r = run_cli("use", "show", "U-4", cwd=scanned)
    assert r.code == 2 and "no intended use 'U-4'; list them with `reelprov use ls`" in r.err
    propose(
        scanned, "--tool", "Sora", "--purpose", "previs", "--scope", "p/**", "--by", "P",
        "--answers", YES,
    )  # fmt: skip
    r = run_cli("use", "revoke", "U-1", "--by", "x", cwd=scanned)
    assert r.code == 2 and "--note is required" in r.err
    assert run_cli("use", "reject", "U-1", "--by", "Studio", cwd=scanned).code == 0
    r = run_cli("use", "approve", "U-1", "--by", "x", cwd=scanned)
    assert (
        r.code == 2
        and "use U-1 is rejected; only a use proposed or recorded can be approved" in r.err
    )


def test_uses_survive_rebuild_and_verify_catches_an_edited_row(scanned: Path) -> None:
    import sqlite3

    propose(
        scanned, "--tool", "Sora", "--purpose", "previs", "--scope", "video/**", "--by", "P",
        "--answers", YES,
    )  # fmt: skip
    run_cli("use", "approve", "U-1", "--by", "J. Park", cwd=scanned)
    before = run_cli("use", "ls", "--json", cwd=scanned).json()
    db = sqlite3.connect(scanned / ".reelprov/ledger.db")
    db.execute("UPDATE intended_use SET status = 'approved', ref = 'FORGED'")
    db.commit()
    db.close()
    r = run_cli("verify", cwd=scanned)
    assert (
        r.code != 0 and "intended_use U-1: table disagrees with the ledger on ref" in r.out + r.err
    )
    assert run_cli("db", "rebuild", cwd=scanned).code == 0
    assert run_cli("use", "ls", "--json", cwd=scanned).json() == before
    assert run_cli("verify", cwd=scanned).code == 0


def test_a_file_arriving_while_watching_meets_its_use(sample_show: Path) -> None:
    from tests.watch.test_daemon import running_watcher, wait_for

    assert run_cli("scan", cwd=sample_show).code == 0
    propose(
        sample_show, "--tool", "Stable Diffusion", "--purpose", "concept_art", "--scope",
        "incoming/**", "--by", "AD", "--answers", YES,
    )  # fmt: skip
    with running_watcher(sample_show, settle=0.2):
        write_png(sample_show / "incoming/a.png", {"parameters": SD_PARAMS})
        write_png(sample_show / "elsewhere/b.png", {"parameters": SD_PARAMS}, color=(4, 4, 4))

        def shown(path: str) -> Any:
            r = run_cli("show", path, "--json", cwd=sample_show)
            return r.json() if r.code == 0 and r.json()["flags"] else None

        a = wait_for(lambda: shown("incoming/a.png"), what="incoming/a.png recorded")
        b = wait_for(lambda: shown("elsewhere/b.png"), what="elsewhere/b.png recorded")
    assert a["use"]["id"] == "U-1"
    assert UNREPORTED not in {f["rule"] for f in a["flags"] if f["status"] == "open"}
    assert b["use"] is None
    assert {f["rule"]: f["status"] for f in b["flags"]}[UNREPORTED] == "open"
    ls = run_cli("use", "ls", "--json", cwd=sample_show).json()
    assert ls[0]["files"]["out_of_cut"] == ["incoming/a.png"]


@pytest.mark.postgres
def test_uses_on_a_shared_postgres_ledger(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "pg"
    root.mkdir()
    env = {"REELPROV_DATABASE_URL": pg_url}
    assert run_cli("init", str(root), env=env).code == 0
    shutil.copytree(Path(__file__).resolve().parents[2] / "sample_media/vfx", root / "vfx")
    assert run_cli("scan", cwd=root, env=env).code == 0
    r = run_cli(
        "use", "propose", "--tool", "Runway Gen-4", "--purpose", "crowd_extension", "--scope",
        "vfx/sh020/**", "--by", "VFX", "--answers", YES, "--json", cwd=root, env=env,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert run_cli("use", "approve", "U-1", "--by", "J", cwd=root, env=env).code == 0
    ls = run_cli("use", "ls", "--json", cwd=root, env=env).json()
    assert [(u["id"], u["status"], u["files"]["count"]) for u in ls] == [("U-1", "approved", 1)]
    assert run_cli("verify", cwd=root, env=env).code == 0


def test_propose_asks_the_five_principles_at_a_terminal(scanned: Path) -> None:
    """Without --answers at a terminal, each principle is asked in turn; a wrong answer is asked
    again. Run in a real pseudo-terminal, as a user types."""
    import os
    import pty
    import subprocess
    import sys
    import time

    main, sub = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelprov", "use", "propose", "--tool", "Suno", "--purpose",
         "temp_music", "--scope", "audio/**", "--by", "Music Ed"],
        cwd=scanned, stdin=sub, stdout=sub, stderr=sub, close_fds=True,
    )  # fmt: skip
    os.close(sub)
    seen = b""

    def until(text: bytes, timeout: float = 30.0) -> None:
        """Read the terminal until TEXT appears; what came before it is dropped."""
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"no {text!r} in {seen.decode(errors='replace')}"
            try:
                seen += os.read(main, 4096)
            except OSError:  # the process ended
                break
        seen = seen[seen.index(text) + len(text) :] if text in seen else seen

    steps = [
        (b"1. Outputs do not replicate", "yes"),
        (b"2. The tools do not store", "perhaps"),
        (b"answer yes, no or unsure", None),  # refused, and asked again
        (b"2. The tools do not store", "yes"),
        (b"3. The tools run in an enterprise-secured environment?", "unsure"),
        (b"4. Outputs are temporary", "yes"),
        (b"5. No talent performance", "yes"),
    ]
    for prompt, answer in steps:
        until(prompt)
        if answer is not None:
            until(b"[yes/no/unsure]: ")
            os.write(main, answer.encode() + b"\n")
    until(b"risk escalate")
    assert proc.wait(30) == 0
    os.close(main)
    u = run_cli("use", "show", "U-1", "--json", cwd=scanned).json()
    assert list(u["answers"].values()) == ["yes", "yes", "unsure", "yes", "yes"]
    assert (u["risk"], u["escalated_by"]) == ("escalate", ["enterprise_secured"])
