"""The delivery gate: one library function, decided from the flags themselves, that every unresolved
flag at or above the level blocks, whatever the file's origin or stage; and the report that lists
every flag that is not resolved and every decision ever taken."""

from __future__ import annotations

import csv
import io
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SD_PARAMS, report_every_use, write_png

SEVERITIES = ("review", "escalate", "block")
ORIGINS = ("ai_generated", "ai_composite", "ai_enhanced", "human", "unknown")
STAGES = {"temp": "temp", "final": "final", "unassigned": "misc"}
DECISIONS = ("open", "approve", "reject", "waive")
EVERY_IMAGE = """
[[rule]]
id = "test.{sev}"
area = "integrity"
severity = "{sev}"
message = "every image at {sev}"
[rule.when]
media_kind = ["image"]
"""


def _head(cli, root: Path) -> int:
    return cli("verify", "--json", cwd=root).json()["head"]["seq"]


def test_every_status_severity_origin_and_stage_combination(cli, show_root: Path) -> None:
    """A policy flags every image at each severity; files of every origin sit in every stage; each
    flag is left open or decided one way. At each level, exactly the open and rejected flags at or
    above it block, for every origin and stage; resolved flags (a file deleted) never do."""
    (show_root / "policy.toml").write_text("".join(EVERY_IMAGE.format(sev=s) for s in SEVERITIES))
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace('# file = "policy.toml"', 'file = "policy.toml"'))
    n = 0
    for origin, folder in itertools.product(ORIGINS, STAGES.values()):
        for copy in range(len(DECISIONS)):
            n += 1
            params = {"parameters": SD_PARAMS} if origin == "ai_generated" else None
            write_png(show_root / folder / f"{origin}_{copy}.png", params, color=(n, copy, 7))
    write_png(show_root / "final/gone.png", color=(250, 1, 1))  # deleted below: its flags resolve
    assert cli("scan", cwd=show_root).code == 0
    for origin in ("ai_composite", "ai_enhanced", "human"):
        r = cli(
            "declare", f"**/{origin}_*.png", "--origin", origin, "--by", "vendor", cwd=show_root
        )
        assert r.code == 0, r.err
    (show_root / "final/gone.png").unlink()
    assert cli("scan", cwd=show_root).code == 0
    flags = cli("flags", "--json", cwd=show_root).json()
    expected: dict[int, tuple[str, str]] = {}
    for f in flags:
        if f["path"] == "final/gone.png":
            assert f["status"] == "resolved"
            expected[f["id"]] = ("resolved", f["severity"])
            continue
        copy = int(f["path"].rsplit("_", 1)[1].split(".")[0])
        action = DECISIONS[copy]
        if action != "open":
            r = cli(
                action,
                str(f["id"]),
                "--by",
                "J. Park",
                "--ref",
                "LEGAL-1",
                "--note",
                "seen",
                cwd=show_root,
            )
            assert r.code == 0, r.err
        expected[f["id"]] = (
            {"open": "open", "approve": "approved", "reject": "rejected", "waive": "waived"}[
                action
            ],
            f["severity"],
        )
    assert len(expected) == len(ORIGINS) * len(STAGES) * len(DECISIONS) * len(SEVERITIES) + len(
        SEVERITIES
    )
    from reelprov.project import Project
    from reelprov.report.gate import check

    p = Project.open(show_root)
    try:
        for level in SEVERITIES:
            verdict = check(p, level)
            want = {
                fid
                for fid, (status, sev) in expected.items()
                if status in ("open", "rejected")
                and SEVERITIES.index(sev) >= SEVERITIES.index(level)
            }
            assert {b.id for b in verdict.blockers} == want and verdict.blocking_count == len(
                want
            ), level
            assert not verdict.cleared and verdict.line().startswith(
                f"NOT CLEARED: {len(want)} blocking at {level}"
            )
            # every origin and every stage has a blocking flag at every level
            blocked = {b.path for b in verdict.blockers}
            assert {p_.split("/")[-1].rsplit("_", 1)[0] for p_ in blocked} == set(ORIGINS)
            assert {p_.split("/")[0] for p_ in blocked} == set(STAGES.values())
    finally:
        p.close()
    # the CLI and the hook say the same as the library
    for level in SEVERITIES:
        r = cli("report", "--fail-on", level, "--format", "json", "--output", "-", cwd=show_root)
        assert r.code == 1 and r.err.startswith("NOT CLEARED"), r.err
        gate = r.json()["gate"]
        assert {b["id"] for b in gate["blocking"]} == {
            fid
            for fid, (st, sev) in expected.items()
            if st in ("open", "rejected") and SEVERITIES.index(sev) >= SEVERITIES.index(level)
        }


def _ai_file(cli, root: Path, rel: str, color: tuple[int, int, int] = (1, 2, 3)) -> None:
    write_png(root / rel, {"parameters": SD_PARAMS}, color=color)
    assert cli("scan", cwd=root).code == 0


def test_a_rejected_review_flag_blocks_and_is_listed_in_every_format(cli, show_root: Path) -> None:
    """Seen: rejecting the only (review) flag made it vanish from every report format, and
    `report --fail-on review` exited 0."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            'approved_tools = ["Adobe Firefly"]', 'approved_tools = ["Stable Diffusion"]'
        )
    )
    _ai_file(cli, show_root, "final/castle.png")
    [flag] = cli("flags", "--json", cwd=show_root).json()
    assert flag["severity"] == "review"
    assert (
        cli(
            "reject",
            str(flag["id"]),
            "--by",
            "J. Park",
            "--note",
            "replace with a practical",
            cwd=show_root,
        ).code
        == 0
    )
    r = cli("report", "--fail-on", "review", "--format", "md", "--output", "-", cwd=show_root)
    assert r.code == 1, r.err
    assert f"#{flag['id']} review/rejected final/castle.png" in r.err
    assert (
        "**NOT CLEARED: 1 blocking at review**" in r.out
        and "## Rejected: must be replaced (1)" in r.out
    )
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    rejected = next(s for s in data["sections"] if s["id"] == "rejected")["rows"]
    assert [
        (r_["path"], r_["flags"][0]["status"], r_["flags"][0]["decided_by"]) for r_ in rejected
    ] == [("final/castle.png", "rejected", "J. Park")]
    rows = list(
        csv.DictReader(
            io.StringIO(cli("report", "--format", "csv", "--output", "-", cwd=show_root).out)
        )
    )
    assert [(x["section"], x["path"]) for x in rows if "rejected" in x["flags"]] == [
        ("rejected", "final/castle.png")
    ]
    # at escalate the rejection of a review flag does not block; nothing else does either
    assert (
        cli(
            "report", "--fail-on", "escalate", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 0
    )


def test_a_decision_on_a_file_that_is_not_ai_is_in_the_report(cli, show_root: Path) -> None:
    """Seen: an integrity flag on a file declared human whose metadata says AI, waived with --ref,
    appeared in no report format."""
    _ai_file(cli, show_root, "temp/refs/ref.png")
    assert (
        cli(
            "declare", "temp/refs/ref.png", "--origin", "human", "--by", "vendor", cwd=show_root
        ).code
        == 0
    )
    flags = cli("flags", "--json", cwd=show_root).json()
    integrity = [f for f in flags if f["rule"] == "integrity.declared_human_against_file"]
    assert len(integrity) == 1 and integrity[0]["status"] == "open"
    r = cli(
        "waive",
        str(integrity[0]["id"]),
        "--by",
        "Legal",
        "--ref",
        "LEGAL-9",
        "--note",
        "photo of a print",
        cwd=show_root,
    )
    assert r.code == 0, r.err
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    approved = next(s for s in data["sections"] if s["id"] == "approved")["rows"]
    assert [
        (a["path"], a["flags"][0]["ref"], a["flags"][0]["decided_severity"]) for a in approved
    ] == [("temp/refs/ref.png", "LEGAL-9", "escalate")]
    md = cli("report", "--format", "md", "--output", "-", cwd=show_root).out
    assert (
        "temp/refs/ref.png" in md.split("## Approved and waived (1)")[1].split("## ")[0]
        and "LEGAL-9" in md
    )


def test_clearing_an_escalation_by_a_change_needs_a_name_and_a_reference_and_is_audited(
    cli, show_root: Path
) -> None:
    """Seen: `untag story_relevant` or `tag --stage temp` quietly resolved an escalate flag with no
    one named and nothing in the report."""
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    _ai_file(cli, show_root, "final/props/knife.png")
    assert cli("tag", "final/props/knife.png", "--tag", "story_relevant", cwd=show_root).code == 0
    esc = [f for f in cli("flags", "--json", cwd=show_root).json() if f["severity"] == "escalate"]
    assert len(esc) == 1
    head = _head(cli, show_root)
    for args in (
        ("untag", "final/props/knife.png", "--tag", "story_relevant"),
        ("tag", "final/props/knife.png", "--stage", "temp"),
        ("untag", "final/props/knife.png", "--tag", "story_relevant", "--by", "A. Editor"),
    ):
        r = cli(*args, cwd=show_root)
        assert (
            r.code == 2
            and f"would resolve flag {esc[0]['id']} (escalate/open" in r.err
            and "--ref" in r.err
        ), (args, r.err)
    assert _head(cli, show_root) == head  # nothing recorded
    r = cli(
        "untag",
        "final/props/knife.png",
        "--tag",
        "story_relevant",
        "--by",
        "A. Editor",
        "--ref",
        "NFX-12",
        cwd=show_root,
    )
    assert r.code == 0, r.err
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    audit = next(s for s in data["sections"] if s["id"] == "audit")["rows"]
    [flag] = [f for row in audit for f in row["flags"]]
    assert flag["id"] == esc[0]["id"] and flag["status"] == "resolved"
    step = flag["trail"][-1]
    assert step["event"] == "resolved" and step["by"] == "A. Editor" and step["ref"] == "NFX-12"
    assert "removing the tag story_relevant" in step["why"] and step["at"]
    # a project may let such changes through: still recorded, with who
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace("require_ref_to_clear = true", "require_ref_to_clear = false")
    )
    assert cli("tag", "final/props/knife.png", "--tag", "key_creative", cwd=show_root).code == 0
    assert cli("tag", "final/props/knife.png", "--stage", "temp", cwd=show_root).code == 0
    [f] = [
        f
        for f in cli("flags", "--json", cwd=show_root).json()
        if f["rule"] == "creative.ai_key_creative"
    ]
    assert f["status"] == "resolved"
    r = cli("flags", str(f["id"]), cwd=show_root)
    assert (
        "resolved: no longer headed to screen (stage temp, in no current cut) (setting the stage to temp) by tester"
        in r.out
    )


def test_a_decision_at_review_does_not_cover_the_flag_raised_to_escalate(
    cli, show_root: Path
) -> None:
    """Seen: lower a rule's severity in the project policy, approve without a reference, restore the
    policy: the flag stayed approved with no reference."""
    from importlib import resources

    default = (resources.files("reelprov.policy") / "default.toml").read_text()
    (show_root / "policy.toml").write_text(default)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace('# file = "policy.toml"', 'file = "policy.toml"'))
    _ai_file(cli, show_root, "final/props/knife.png")
    assert cli("tag", "final/props/knife.png", "--tag", "key_creative", cwd=show_root).code == 0
    [esc] = [
        f
        for f in cli("flags", "--json", cwd=show_root).json()
        if f["rule"] == "creative.ai_key_creative"
    ]
    assert esc["severity"] == "escalate"
    lowered = default.replace(
        'id = "creative.ai_key_creative"\narea = "creative_output"\nseverity = "escalate"',
        'id = "creative.ai_key_creative"\narea = "creative_output"\nseverity = "review"',
    )
    assert lowered != default
    (show_root / "policy.toml").write_text(lowered)
    assert cli("policy", "check", cwd=show_root).code == 0
    assert (
        cli("approve", str(esc["id"]), "--by", "Someone", cwd=show_root).code == 0
    )  # no --ref needed at review
    (show_root / "policy.toml").write_text(default)
    assert cli("policy", "check", cwd=show_root).code == 0
    f = cli("flags", str(esc["id"]), "--json", cwd=show_root).json()
    assert f["status"] == "open" and f["severity"] == "escalate" and "decision" not in f
    assert "raised to escalate since it was approved at review by Someone" in f["reason"]
    assert [t["event"] for t in f["trail"]] == ["severity", "decided", "reopened"]
    r = cli("report", "--fail-on", "escalate", "--format", "json", "--output", "-", cwd=show_root)
    assert r.code == 1 and f"#{esc['id']} escalate/open" in r.err
    # the lowering, the approval and the reopening are all in the audit
    audit = next(s for s in r.json()["sections"] if s["id"] == "audit")["rows"]
    assert esc["id"] in {fl["id"] for row in audit for fl in row["flags"]}


def test_report_verdict_line_in_a_real_browser(cli, show_root: Path, tmp_path: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    from tests.report.test_report import _dom

    _ai_file(cli, show_root, "final/castle.png")
    out = tmp_path / "r.html"
    assert cli("report", "--output", str(out), cwd=show_root).code == 0
    dom = _dom(out, tmp_path)
    verdict = dom.split('<div id="verdict"', 1)[1].split("</div>", 1)[0]
    assert 'data-cleared="false"' in verdict and "NOT CLEARED: 2 blocking at review" in verdict
    assert dom.index('id="verdict"') < dom.index("<h1>")  # at the very top
    for f in cli("flags", "--json", cwd=show_root).json():
        assert (
            cli("approve", str(f["id"]), "--by", "J. Park", "--ref", "L-1", cwd=show_root).code == 0
        )
    assert cli("report", "--output", str(out), cwd=show_root).code == 0
    dom = _dom(out, tmp_path)
    head = cli("verify", "--json", cwd=show_root).json()["head"]
    verdict = dom.split('<div id="verdict"', 1)[1].split("</div>", 1)[0]
    assert (
        'data-cleared="true"' in verdict
        and f"CLEARED at ledger #{head['seq']} {head['hash'][:16]} (checked at review)" in verdict
    )


def test_the_gate_rehashes_approved_files_a_same_size_same_time_swap_is_caught(
    cli, show_root: Path
) -> None:
    """Content swapped with the same size and modification time (touch -r) passed scan and the
    gate; the gate re-hashes what an approval rests on."""
    _ai_file(cli, show_root, "final/castle.png")
    for f in cli("flags", "--json", cwd=show_root).json():
        assert (
            cli("approve", str(f["id"]), "--by", "J. Park", "--ref", "L-1", cwd=show_root).code == 0
        )
    assert (
        cli(
            "report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 0
    )
    path = show_root / "final/castle.png"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # same size
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = cli("report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root)
    assert (
        r.code == 1
        and "CHANGED: final/castle.png" in r.err
        and "1 file changed since recorded" in r.err
    )
    path.unlink()
    path.symlink_to("/etc/hostname")
    r = cli("report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root)
    assert r.code == 1 and "a symbolic link stands in the file's place" in r.err


def test_no_verify_cannot_clear(cli, show_root: Path) -> None:
    write_png(show_root / "final/plate.png", color=(5, 5, 5))
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "report", "--fail-on", "review", "--format", "json", "--output", "-", cwd=show_root
        ).code
        == 0
    )
    r = cli(
        "report",
        "--fail-on",
        "review",
        "--no-verify",
        "--format",
        "json",
        "--output",
        "-",
        cwd=show_root,
    )
    assert r.code == 1 and "not checked (--no-verify)" in r.err


def test_the_pre_delivery_hook_uses_the_gate_at_review_by_default(cli, show_root: Path) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            'approved_tools = ["Adobe Firefly"]', 'approved_tools = ["Stable Diffusion"]'
        )
    )
    _ai_file(cli, show_root, "final/castle.png")
    [flag] = cli("flags", "--json", cwd=show_root).json()
    cli("reject", str(flag["id"]), "--by", "J. Park", cwd=show_root)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    hook = subprocess.run(
        [str(REPO / "hooks/pre-delivery"), str(show_root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert (
        hook.returncode == 1
        and "DELIVERY BLOCKED" in hook.stderr
        and "review/rejected" in hook.stderr
    )


def test_non_media_files_are_listed_apart_never_as_unknown_on_screen(cli, show_root: Path) -> None:
    write_png(show_root / "final/plate.png", color=(5, 5, 5))
    (show_root / "final/notes.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (show_root / "final/comp.nk").write_text("Root { }\n")
    (show_root / "final/plates.md5").write_text("d41d8cd98f00b204e9800998ecf8427e  plate.png\n")
    assert cli("scan", cwd=show_root).code == 0
    kinds = {a["path"]: a["media_kind"] for a in cli("ls", "--json", cwd=show_root).json()}
    assert kinds == {
        "final/comp.nk": "other",
        "final/notes.pdf": "document",
        "final/plate.png": "image",
        "final/plates.md5": "other",
    }
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    sec = {s["id"]: [r["path"] for r in s["rows"]] for s in data["sections"]}
    assert sec["unknown_on_screen"] == ["final/plate.png"]
    assert sorted(sec["other_files"]) == ["final/comp.nk", "final/notes.pdf", "final/plates.md5"]


@pytest.mark.parametrize("plant", ["tmp", "target"])
def test_writing_the_report_never_follows_a_planted_symlink(
    cli, show_root: Path, tmp_path: Path, plant: str
) -> None:
    victim = tmp_path / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA keep\n")
    link = show_root / (".report.html.tmp" if plant == "tmp" else "report.html")
    link.symlink_to(victim)
    assert cli("report", cwd=show_root).code == 0
    assert victim.read_text() == "ssh-ed25519 AAAA keep\n"
    assert (show_root / "report.html").is_file() and not (show_root / "report.html").is_symlink()


def test_on_screen_inventory_per_cut_in_timeline_order_a_shot_as_one_row(
    cli, show_root: Path
) -> None:
    # the production reported its GenAI use: this test is about other rules
    report_every_use(show_root)
    for n in range(1001, 1011):  # an AI comp, ten frames
        write_png(
            show_root / f"final/vfx/sh010/sh010_comp.{n}.png",
            {"parameters": SD_PARAMS},
            color=(n % 256, 3, 3),
        )
    write_png(show_root / "final/plates/plate.png", color=(9, 9, 9))  # unknown origin
    write_png(show_root / "final/plates/human.png", color=(8, 8, 8))
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "declare", "final/plates/human.png", "--origin", "human", "--by", "DIT", cwd=show_root
        ).code
        == 0
    )
    edl = show_root / "r1.edl"
    edl.write_text(
        "TITLE: R1\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
        "* FROM CLIP NAME: human.png\n\n"
        "002  AX       V     C        00:00:00:00 00:00:00:10 01:00:01:00 01:00:01:10\n"
        "* FROM CLIP NAME: sh010_comp.[1001-1010].png\n\n"
        "003  AX       V     C        00:00:00:00 00:00:02:00 01:00:01:10 01:00:03:10\n"
        "* FROM CLIP NAME: plate.png\n"
    )
    r = cli("cut", "import", str(edl), "--name", "Reel 1", cwd=show_root)
    assert r.code == 0, r.err
    data = cli("report", "--format", "json", "--output", "-", cwd=show_root).json()
    [cut] = data["cuts"]
    assert cut["name"] == "Reel 1" and cut["events"] == 3
    assert [(e["record_in"], e["files"], e["origins"]) for e in cut["rows"]] == [
        ("01:00:01:00", 10, {"ai_generated": 10}),
        ("01:00:01:10", 1, {"unknown": 1}),
    ]
    assert (
        cut["rows"][0]["flags"] == {"review open": 20} and cut["rows"][0]["frames"] == "1001-1010"
    )
    md = cli("report", "--format", "md", "--output", "-", cwd=show_root).out
    inv = md.split("## On screen in Reel 1 (2 of 3 events: AI or unknown origin)")[1]
    assert (
        "| 01:00:01:00 | 01:00:01:10 | V | final/vfx/sh010/sh010_comp.####.png (10 files: 1001-1010) | ai_generated | review open x20 |"
        in inv
    )
    rows = list(
        csv.DictReader(
            io.StringIO(cli("report", "--format", "csv", "--output", "-", cwd=show_root).out)
        )
    )
    assert [x["path"] for x in rows if x["section"] == "cut:Reel 1"] == [
        "final/vfx/sh010/sh010_comp.####.png (10 files: 1001-1010)",
        "final/plates/plate.png",
    ]
