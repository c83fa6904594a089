"""sample_media/README.md's table is the truth: a scan of a copy must agree with every row."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SAMPLES


def table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (SAMPLES / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*([\w/.\-]+\.\w+)\s*\|\s*(\w+)\s*\|\s*(\w+)\s*\|", line)
        if m and m.group(1) != "file":
            rows[m.group(1)] = (m.group(2), m.group(3))
    return rows


def test_every_sample_has_a_row_and_the_row_holds(cli, sample_show: Path) -> None:
    rows = table()
    assert len(rows) >= 40
    r = cli("scan", "--json", cwd=sample_show)
    assert r.code == 0 and r.json()["errors"] == []
    got = {a["path"]: a for a in cli("ls", "--json", cwd=sample_show).json()}
    media = {p for p in got if not p.endswith((".py", ".pem", ".md"))}
    assert media == set(rows), "sample files and README table differ"
    wrong = {
        p: (got[p]["origin"], got[p]["c2pa"]["state"])
        for p, want in rows.items()
        if (got[p]["origin"], got[p]["c2pa"]["state"]) != want
    }
    assert wrong == {}


def test_broken_files_say_what_could_not_be_read(cli, sample_show: Path) -> None:
    cli("scan", cwd=sample_show)
    for rel, words in [
        ("broken/empty.png", "empty file"),
        ("broken/truncated.png", "truncated"),
        ("broken/png_named.jpg", "extension says image/jpeg"),
        ("broken/random.mp4", "could not be read"),
        ("c2pa/tampered_after_signing.jpg", "dataHash.mismatch"),
    ]:
        details = " ".join(
            e["detail"] for e in cli("show", rel, "--json", cwd=sample_show).json()["evidence"]
        )
        assert words in details, rel


def test_trust_anchor_makes_signer_trusted(cli, sample_show: Path) -> None:
    cfg = sample_show / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace("[c2pa]", '[c2pa]\ntrust_anchors = "trust/test_root.pem"')
    )
    cli("scan", cwd=sample_show)
    a = cli("show", "final/props/ransom_note.jpg", "--json", cwd=sample_show).json()
    assert a["c2pa"] == {"present": True, "state": "trusted"} and a["origin"] == "ai_generated"
    assert (
        cli("show", "c2pa/tampered_after_signing.jpg", "--json", cwd=sample_show).json()["c2pa"][
            "state"
        ]
        == "invalid"
    )


def test_signed_files_stay_trusted_in_a_parallel_scan_after_reading_in_this_process(
    cli, sample_show: Path
) -> None:
    """A watcher reads changed files on its own threads, then reconciles with forked workers:
    the workers must not use the trust settings object their parent made."""
    from reelprov.extract import examine
    from reelprov.recording.pool import PARALLEL_THRESHOLD

    pem = (sample_show / "trust/test_root.pem").read_text()
    first = examine(
        str(sample_show / "c2pa/firefly_ai.png"), "c2pa/firefly_ai.png", trust_anchors=pem
    )
    assert first.c2pa["state"] == "trusted"  # read here, in this process
    cfg = sample_show / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace("[c2pa]", '[c2pa]\ntrust_anchors = "trust/test_root.pem"')
    )
    assert len(table()) >= PARALLEL_THRESHOLD  # the scan forks its examining workers
    assert cli("scan", cwd=sample_show).code == 0
    states = {a["path"]: a["c2pa"]["state"] for a in cli("ls", "--json", cwd=sample_show).json()}
    assert (
        states["final/props/ransom_note.jpg"] == "trusted"
        and states["c2pa/firefly_ai.png"] == "trusted"
    )
