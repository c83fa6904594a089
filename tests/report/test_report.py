"""The pre-delivery report: sections, escaping in a real headless Chromium, formats and the gate."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, report_every_use, write_png

EVIL = '<script>document.title="PWNED";document.body.setAttribute("data-pwned","1")</script><img src=x onerror="document.title=\'PWNED\'">'
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def reviewed(cli, show_root: Path) -> Path:
    params = f"{EVIL}\nNegative prompt: x\nSteps: 20, Sampler: Euler, Seed: 1, Model: sdxl"
    write_png(show_root / "final/props/ransom_note.png", {"parameters": params})
    write_png(show_root / "final/props/locket.png", {"parameters": params}, color=(1, 200, 3))
    write_png(show_root / "temp/boards/castle.png", {"parameters": params}, color=(3, 3, 200))
    write_png(show_root / "final/plates/unknown_plate.png", color=(9, 9, 9))
    (show_root / "final/broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # no thumbnail possible
    write_png(show_root / f"final/{EVIL.replace('/', '_')[:80]}.png", color=(50, 0, 50))
    report_every_use(show_root)  # the production reported its GenAI use (U-1)
    assert cli("scan", cwd=show_root).code == 0
    cli("tag", "final/props/ransom_note.png", "--tag", "key_creative", cwd=show_root)
    flags = cli("flags", "--json", cwd=show_root).json()
    locket = [f for f in flags if f["path"] == "final/props/locket.png"]
    for f in locket:
        assert (
            cli(
                "approve", str(f["id"]), "--by", "J. Park", "--ref", "LEGAL-0042", cwd=show_root
            ).code
            == 0
        )
    return show_root


def _dom(html: Path, tmp_path: Path) -> str:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=2000",
        "--dump-dom",
        html.as_uri(),
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_html_in_real_chromium(cli, reviewed: Path, tmp_path: Path) -> None:
    r = cli("report", cwd=reviewed)
    assert r.code == 0, r.err
    path = Path(r.out.strip())
    assert path == reviewed / "report.html"
    dom = _dom(path, tmp_path)
    # the sections rendered, in order, with their row counts
    order = [m for m in re.findall(r'<section id="(\w+)" data-rows="(\d+)"', dom)]
    assert [s for s, _ in order] == [
        "blocking",
        "rejected",
        "open_reviews",
        "approved",
        "audit",
        "ai_in_temp",
        "integrity",
        "unknown_on_screen",
        "other_files",
        "uses",  # the register of intended uses
    ]
    rows = dict(order)
    assert rows["uses"] == "1" and 'data-use="U-1" data-status="recorded"' in dom
    assert rows["blocking"] == "1" and rows["approved"] == "1" and rows["ai_in_temp"] == "1"
    assert (
        int(rows["unknown_on_screen"]) == 3
    )  # the plate, the broken file and the oddly named file
    assert 'data-count="flags_blocking"><b>1</b>' in dom
    assert "J. Park" in dom and "LEGAL-0042" in dom
    head = cli("verify", "--json", cwd=reviewed).json()["head"]["hash"]
    assert head in dom
    # no script from the data ran: the title is intact and the payload shows as text
    assert "<title>Pre-delivery report: show</title>" in dom and "PWNED</title>" not in dom
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "&lt;script&gt;" in dom and "<script>" not in dom
    assert '<img src="x"' not in dom and "<img src=x" not in dom
    assert "final/broken.png" in dom  # no thumbnail, still a row


def test_json_csv_md_and_stdout(cli, reviewed: Path) -> None:
    data = cli("report", "--format", "json", "--output", "-", cwd=reviewed).json()
    assert data["schema_version"] == 2 and data["ledger_head"]["seq"] > 0
    blocking = next(s for s in data["sections"] if s["id"] == "blocking")["rows"]
    assert [r["path"] for r in blocking] == ["final/props/ransom_note.png"]
    text = cli("report", "--format", "csv", "--output", "-", cwd=reviewed).out
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["path"] for r in rows} >= {"final/props/ransom_note.png", "final/props/locket.png"}
    assert len({(r["section"], r["path"]) for r in rows}) == len(
        rows
    )  # one row per section and asset
    md = cli("report", "--format", "md", "--output", "-", cwd=reviewed).out
    assert "## Blocking delivery (1)" in md
    assert "<script>" not in md


def test_csv_and_markdown_do_not_run_what_media_names_carry(cli, show_root: Path) -> None:
    """File names come from whoever delivered the media: in the CSV a cell a spreadsheet would run
    as a formula is written as text; in Markdown no link, image, code or table break forms."""
    params = "Negative prompt: x\nSteps: 20, Sampler: Euler, Seed: 1, Model: sdxl"
    for name in (
        '=HYPERLINK("http:__evil","x").png',
        "@SUM(1+1).png",
        "+cmd.png",
        "-2+3.png",
        "![t](javascript:alert(1)).png",
        "[a|b](x) `c`.png",
    ):
        write_png(show_root / name, {"parameters": params}, color=(len(name), 1, 1))
    assert cli("scan", cwd=show_root).code == 0
    text = cli("report", "--format", "csv", "--output", "-", cwd=show_root).out
    paths = {r["path"] for r in csv.DictReader(io.StringIO(text))}
    assert {
        '\'=HYPERLINK("http:__evil","x").png',
        "'@SUM(1+1).png",
        "'+cmd.png",
        "'-2+3.png",
    } <= paths
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], [
        c for c in cells if c[:1] in ("=", "+", "-", "@")
    ]
    md = cli("report", "--format", "md", "--output", "-", cwd=show_root).out
    assert (
        re.search(r"(?<!\\)[\[\]`]", md.split("## ", 1)[1]) is None
    )  # every bracket and backtick escaped
    assert "| !\\[t\\](javascript:alert(1)).png |" in md and "| \\[a\\|b\\](x) \\`c\\`.png |" in md


def test_fail_on_gate_and_hook(cli, reviewed: Path) -> None:
    r = cli("report", "--fail-on", "escalate", "--format", "md", "--output", "-", cwd=reviewed)
    assert r.code == 1 and "final/props/ransom_note.png" in r.err
    assert r.err.startswith(
        "NOT CLEARED: 1 blocking at escalate\n1 flag at or above escalate is unresolved:"
    ), r.err
    assert (
        cli("report", "--fail-on", "block", "--format", "json", "--output", "-", cwd=reviewed).code
        == 0
    )
    env = {
        **os.environ,
        "PATH": f"{Path(__import__('sys').executable).parent}:{os.environ['PATH']}",
    }
    hook = subprocess.run(
        [str(REPO / "hooks/pre-delivery"), str(reviewed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (
        hook.returncode == 1 and "DELIVERY BLOCKED" in hook.stderr and "ransom_note" in hook.stderr
    )
    esc = [
        f
        for f in cli("flags", "--status", "open", "--json", cwd=reviewed).json()
        if f["severity"] == "escalate"
    ]
    for f in esc:
        cli("approve", str(f["id"]), "--by", "Legal", "--ref", "LEGAL-7", cwd=reviewed)
    # the hook checks at review by default: the open review flags still block...
    hook = subprocess.run(
        [str(REPO / "hooks/pre-delivery"), str(reviewed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert hook.returncode == 1 and "review/open" in hook.stderr
    hook = subprocess.run(
        [str(REPO / "hooks/pre-delivery"), str(reviewed)],
        capture_output=True,
        text=True,
        env={**env, "REELPROV_FAIL_ON": "escalate"},
        timeout=120,
    )
    assert hook.returncode == 0 and "Cleared" in hook.stdout
    # ...until every open flag of the project is decided
    assert (
        cli("approve", "--path", ".", "--by", "Legal", "--ref", "LEGAL-7", cwd=reviewed).code == 0
    )
    hook = subprocess.run(
        [str(REPO / "hooks/pre-delivery"), str(reviewed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (
        hook.returncode == 0 and "Cleared" in hook.stdout and "CLEARED at ledger #" in hook.stderr
    )


def test_the_delivery_gate_fails_on_a_ledger_that_does_not_verify(cli, reviewed: Path) -> None:
    """Someone marks a blocking flag approved in the table: no flag blocks any more, but the
    ledger no longer verifies, and a report built on it cannot clear delivery."""
    import sqlite3

    assert (
        cli(
            "report", "--fail-on", "escalate", "--format", "json", "--output", "-", cwd=reviewed
        ).code
        == 1
    )
    conn = sqlite3.connect(reviewed / ".reelprov/ledger.db")
    with conn:
        conn.execute("UPDATE flag SET status = 'approved' WHERE severity = 'escalate'")
    conn.close()
    # the edit would hide the flag from a report that does not check the chain: such a report cannot clear...
    r = cli(
        "report",
        "--fail-on",
        "escalate",
        "--no-verify",
        "--format",
        "json",
        "--output",
        "-",
        cwd=reviewed,
    )
    assert r.code == 1 and "the gate clears only a verified ledger" in r.err
    r = cli(
        "report", "--fail-on", "escalate", "--format", "md", "--output", "-", cwd=reviewed
    )  # ...but not this one
    assert (
        r.code == 1 and "the ledger does not verify, so this report cannot clear delivery" in r.err
    )
    assert "TAMPERED: flag" in r.err and "Ledger verification FAILED" in r.out


def test_json_summary_of_the_report_written(cli, reviewed: Path) -> None:
    r = cli("report", "--format", "csv", "--fail-on", "escalate", "--json", cwd=reviewed)
    assert r.code == 1
    out = r.json()
    assert out["path"] == str(reviewed / "report.csv") and (reviewed / "report.csv").is_file()
    assert out["format"] == "csv" and out["fail_on"] == "escalate" and out["verify"]["ok"] is True
    assert [(f["severity"], f["path"]) for f in out["blocking"]] == [
        ("escalate", "final/props/ransom_note.png")
    ]
    full = cli("report", "--format", "json", "--output", "-", cwd=reviewed).json()
    assert out["counts"] == full["counts"] and out["ledger_head"] == full["ledger_head"]
    r = cli("report", "--json", "--output", "-", cwd=reviewed)
    assert r.code == 2 and "--format json --output -" in r.err and r.out == ""


def test_bad_output_and_format_exit_2(cli, reviewed: Path) -> None:
    r = cli("report", "--output", str(reviewed / "nope/report.html"), cwd=reviewed)
    assert r.code == 2 and "does not exist" in r.err
    r = cli("report", "--format", "pdf", cwd=reviewed)
    assert r.code == 2 and "pdf" in r.err
    r = cli("report", "--fail-on", "urgent", cwd=reviewed)
    assert r.code == 2


def test_thumbnails_for_images_wav_and_video() -> None:
    from reelprov.report import thumbnail
    from tests.conftest import SAMPLES

    assert thumbnail(SAMPLES / "camera/alexa_still.jpg", "image/jpeg").startswith(
        "data:image/jpeg;base64,"
    )
    assert thumbnail(SAMPLES / "plain/tone.wav", "audio/wav").startswith("data:image/jpeg;base64,")
    if shutil.which("ffmpeg"):
        assert thumbnail(SAMPLES / "plain/camera_clip.mp4", "video/mp4").startswith(
            "data:image/jpeg;base64,"
        )
    assert thumbnail(SAMPLES / "broken/bomb_60000x60000.png", "image/png") is None  # never decoded
    assert thumbnail(SAMPLES / "broken/random.mp4", "video/mp4") is None


def test_frames_of_an_image_sequence_read_as_one_row_in_html_and_markdown(
    cli, show_root: Path, tmp_path: Path
) -> None:
    """A comp delivered as 24 frame files made the report 24 rows of the same thing (a reel of VFX,
    tens of thousands). In HTML and Markdown the frames that say the same and carry no flag are one
    row naming them; a flagged frame keeps its own row; JSON and CSV keep one row per file."""
    for n in range(1001, 1025):
        params = (
            {"parameters": "a ghost\nSteps: 20, Sampler: Euler, Seed: 1, Model: sdxl"}
            if n == 1012
            else None
        )
        write_png(
            show_root / f"final/vfx/sh010/sh010_comp_v003.{n}.png", params, color=(n % 256, 1, 2)
        )
    write_png(show_root / "final/plates/plate.png", color=(9, 9, 9))
    assert cli("scan", cwd=show_root).code == 0
    out = tmp_path / "r.html"
    assert cli("report", "--output", str(out), cwd=show_root).code == 0
    dom = _dom(out, tmp_path)
    rows = re.findall(
        r'<section id="unknown_on_screen" data-rows="(\d+)">(.*?)</section>', dom, re.S
    )
    assert rows and rows[0][0] == "24"  # the count is of files
    paths = re.findall(r'<div class="path">(.*?)</div><div class="small">(.*?)</div>', rows[0][1])
    assert [(p, s if "files" in s else "") for p, s in paths] == [
        ("final/plates/plate.png", ""),
        ("final/vfx/sh010/sh010_comp_v003.####.png", "23 files numbered 1001-1011, 1013-1024"),
    ]
    assert "sh010_comp_v003.1012.png" in dom  # the AI frame, in open reviews on a row of its own
    md = cli("report", "--format", "md", "--output", "-", cwd=show_root).out
    assert (
        "| final/vfx/sh010/sh010_comp_v003.####.png (23 files numbered 1001-1011, 1013-1024) | unknown |  | final |  |"
        in md
    )
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    assert len(next(s for s in data["sections"] if s["id"] == "unknown_on_screen")["rows"]) == 24
