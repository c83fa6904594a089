"""Recording a file in the ledger: one entry records a new file, its content and what reading it
found; a ledger written before that (a seen entry, then an evidence entry) reads the same."""

from __future__ import annotations

import shutil
from pathlib import Path

from reelprov.extract import examine
from reelprov.project import Project
from tests.conftest import SD_PARAMS, write_png

SAME = ("origin", "tools", "evidence", "c2pa", "sha256", "stage")


def history(cli, root: Path, rel: str) -> list[dict]:
    return cli("history", rel, "--json", cwd=root).json()


def test_a_new_file_is_one_entry_that_says_what_its_reading_found(cli, show_root: Path) -> None:
    write_png(show_root / "final/ai.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/plate.png", color=(3, 3, 3))
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["seen"], rep["evidence"]) == (2, 2)  # two files, two readings recorded
    ai = history(cli, show_root, "final/ai.png")
    assert "evidence" not in [e["kind"] for e in ai]
    assert ai[0]["kind"] == "seen"
    assert ai[0]["payload"]["evidence"][0]["tool"] == "Stable Diffusion"
    assert ai[0]["payload"]["c2pa"] == {"present": False, "state": "none"}
    plate = history(cli, show_root, "final/plate.png")
    assert [e["kind"] for e in plate] == ["seen"] and plate[0]["payload"]["evidence"] == []
    assert cli("show", "final/plate.png", "--json", cwd=show_root).json()["origin"] == "unknown"


def test_a_ledger_that_recorded_files_as_seen_then_evidence_reads_as_before(
    cli, show_root: Path
) -> None:
    write_png(show_root / "final/ai.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    # the same content at another path, recorded as reelprov did before 2026-12-07
    shutil.copy(show_root / "final/ai.png", show_root / "final/old.png")
    r = examine(str(show_root / "final/old.png"), "final/old.png")
    p = Project.open(show_root)
    try:
        with p.batch() as b:
            aid = b.new_asset_id()
            b.append("seen", aid, {"path": r.path, "sha256": r.sha256, "size": r.size})
            b.append("evidence", aid, r.evidence_payload())
    finally:
        p.close()
    assert [e["kind"] for e in history(cli, show_root, "final/old.png")][:2] == [
        "seen",
        "evidence",
    ]
    new = cli("show", "final/ai.png", "--json", cwd=show_root).json()
    old = cli("show", "final/old.png", "--json", cwd=show_root).json()
    assert old["origin"] == "ai_generated"
    assert {k: old[k] for k in SAME} == {k: new[k] for k in SAME}
    assert sorted(f["rule"] for f in old["flags"]) == sorted(f["rule"] for f in new["flags"])
    # the next scan reads the old file and finds nothing new to record
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["seen"], rep["reread"], rep["evidence"]) == (0, 0, 0)
    assert cli("verify", cwd=show_root).code == 0
    assert cli("db", "rebuild", cwd=show_root).code == 0
    assert cli("verify", cwd=show_root).code == 0
    assert cli("show", "final/old.png", "--json", cwd=show_root).json()["origin"] == "ai_generated"
    # a change of content recorded the old way too: changed, then evidence
    write_png(show_root / "final/old.png", color=(7, 7, 7))
    r2 = examine(str(show_root / "final/old.png"), "final/old.png")
    p = Project.open(show_root)
    try:
        with p.batch() as b:
            b.append(
                "changed",
                aid,
                {"path": r2.path, "prev_sha256": r.sha256, "sha256": r2.sha256, "size": r2.size},
            )
            b.append("evidence", aid, r2.evidence_payload())
    finally:
        p.close()
    shown = cli("show", "final/old.png", "--json", cwd=show_root).json()
    assert (shown["origin"], shown["sha256"], shown["evidence"]) == ("unknown", r2.sha256, [])
    assert {f["status"] for f in shown["flags"]} == {"resolved"}
    assert cli("scan", "--json", cwd=show_root).json()["changed"] == 0
    assert cli("db", "rebuild", cwd=show_root).code == 0
    assert cli("verify", cwd=show_root).code == 0
    assert cli("show", "final/old.png", "--json", cwd=show_root).json() == shown
