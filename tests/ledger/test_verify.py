"""Tampering with the SQLite ledger behind reelprov's back is caught and the entry named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, write_png


@pytest.fixture
def scanned(cli, show_root: Path) -> Path:
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    write_png(show_root / "b.png", color=(1, 1, 1))
    write_png(show_root / "c.png", color=(2, 2, 2))
    assert cli("scan", cwd=show_root).code == 0
    assert cli("verify", cwd=show_root).code == 0
    return show_root


def sql(root: Path, stmt: str, *args: object) -> None:
    con = sqlite3.connect(root / ".reelprov/ledger.db")
    con.executescript(stmt) if not args else con.execute(stmt, args)
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("stmt", "bad_seq", "words"),
    [
        (
            "UPDATE ledger_entry SET payload = replace(payload, 'sdxl', 'sd15') WHERE payload LIKE '%sdxl%'",
            None,
            "edited",
        ),
        ("UPDATE ledger_entry SET entry_hash = '" + "ab" * 32 + "' WHERE seq = 3", 3, "edited"),
        (
            "UPDATE ledger_entry SET seq = -1 WHERE seq = 3; UPDATE ledger_entry SET seq = 3 WHERE seq = 4; "
            "UPDATE ledger_entry SET seq = 4 WHERE seq = -1",
            3,
            "prev_hash",
        ),
        ("DELETE FROM ledger_entry WHERE seq = 4", 5, "deleted, inserted"),
        ("UPDATE ledger_entry SET actor = 'mallory' WHERE seq = 1", 1, "edited"),
    ],
)
def test_tampering_is_exit_1_naming_the_entry(
    cli, scanned: Path, stmt: str, bad_seq: int | None, words: str
) -> None:
    if bad_seq is None:
        con = sqlite3.connect(scanned / ".reelprov/ledger.db")
        bad_seq = con.execute(
            "SELECT seq FROM ledger_entry WHERE payload LIKE '%sdxl%'"
        ).fetchone()[0]
        con.close()
    sql(scanned, stmt)
    r = cli("verify", "--json", cwd=scanned)
    assert r.code == 1
    assert r.json()["first_bad_seq"] == bad_seq
    assert words in r.json()["problems"][0]
    human = cli("verify", cwd=scanned)
    assert human.code == 1 and f"entry {bad_seq}" in human.err


def test_inserted_row_is_caught(cli, scanned: Path) -> None:
    con = sqlite3.connect(scanned / ".reelprov/ledger.db")
    row = con.execute(
        "SELECT project, seq, asset, kind, payload, actor, host, ts, prev_hash, entry_hash FROM ledger_entry ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    con.execute(
        "INSERT INTO ledger_entry (project, seq, asset, kind, payload, actor, host, ts, prev_hash, entry_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            row[0],
            row[1] + 1,
            row[2],
            "deleted",
            '{"path":"b.png"}',
            "mallory",
            "evil",
            row[7],
            row[9],
            "0" * 64,
        ),
    )
    con.commit()
    con.close()
    r = cli("verify", "--json", cwd=scanned)
    assert r.code == 1 and r.json()["first_bad_seq"] == row[1] + 1


def test_projection_tampering_and_rebuild(cli, scanned: Path) -> None:
    sql(scanned, "UPDATE asset SET origin = 'human' WHERE path = 'final/a.png'")
    r = cli("verify", cwd=scanned)
    assert r.code == 1 and "origin" in r.err and "db rebuild" in r.err
    assert cli("db", "rebuild", cwd=scanned).code == 0
    assert cli("verify", cwd=scanned).code == 0
    assert cli("show", "final/a.png", "--json", cwd=scanned).json()["origin"] == "ai_generated"


def test_rebuild_reproduces_projection(project, cli) -> None:
    root = project.root
    write_png(root / "final/a.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=root)
    cli("tag", "final/a.png", "--tag", "story_relevant", cwd=root)
    before = cli("ls", "--json", cwd=root).json()
    flags_before = cli("flags", "--json", cwd=root).json()
    project.ledger.rebuild()
    assert cli("ls", "--json", cwd=root).json() == before
    assert cli("flags", "--json", cwd=root).json() == flags_before


def test_verify_reports_its_progress(scanned: Path) -> None:
    from reelprov.ledger.verify import verify
    from reelprov.project import Project

    p = Project.open(scanned)
    seen: list[tuple[str, int, int]] = []
    res = verify(p.ledger, progress=lambda *a: seen.append(a), every=2)
    p.close()
    assert res.ok and res.entries >= 6
    chain = [s for s in seen if s[0] == "checking the hash chain"]
    assert [s[1] for s in chain] == list(range(2, res.entries + 1, 2))
    assert all(s[2] == res.entries for s in seen)
    assert seen[-1] == ("comparing the tables", res.entries, res.entries)


def test_rebuild_reports_its_progress(scanned: Path) -> None:
    from reelprov.project import Project

    p = Project.open(scanned)
    seen: list[tuple[str, int, int]] = []
    done = p.ledger.rebuild(progress=lambda *a: seen.append(a))
    entries = p.reader.head(p.cfg.project_id)[0]
    p.close()
    assert done.assets == 3
    assert seen == [
        ("writing the tables", entries, entries)
    ]  # fewer than 5,000 entries: no replay steps


def _head(cli, root: Path) -> str:
    head = cli("verify", "--json", cwd=root).json()["head"]
    return f"{head['seq']}:{head['hash'][:16]}"


def test_an_anchor_kept_elsewhere_catches_history_cut_short_or_rewritten(
    cli, scanned: Path
) -> None:
    """Whoever can write the database can recompute every hash; the head a report printed, kept
    elsewhere, is what shows that history before it is unchanged."""
    from reelprov.ledger.chain import entry_hash

    r = cli("report", "--format", "md", "--output", "-", cwd=scanned)
    anchor = _head(cli, scanned)
    assert f"reelprov verify --anchor {anchor}" in r.out  # the report says how to check it later
    assert "1 anchor found as recorded" in cli("verify", "--anchor", anchor, cwd=scanned).out
    cli("tag", "b.png", "--tag", "key_creative", cwd=scanned)  # history goes on after the anchor
    assert cli("verify", "--anchor", anchor, cwd=scanned).code == 0
    seq = int(anchor.split(":")[0])

    # cut short: the last entries deleted and the tables rebuilt; the chain itself still holds
    sql(scanned, "DELETE FROM ledger_entry WHERE seq >= ?", seq)
    assert cli("db", "rebuild", cwd=scanned).code == 0
    r = cli("verify", "--anchor", anchor, cwd=scanned)
    assert r.code == 1 and f"entry {seq}: not in the ledger any more" in r.err
    # the report kept that head in the anchor file itself: verify catches it with no --anchor typed
    r = cli("verify", cwd=scanned)
    assert r.code == 1 and f"entry {seq}: not in the ledger any more" in r.err

    # rewritten: an early entry edited and every hash after it recomputed (with no anchor file, the
    # chain alone cannot tell; the head given does)
    cfg = scanned / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace("auto_upgrade = true", 'auto_upgrade = true\nanchor_file = ""')
    )
    anchor = _head(cli, scanned)
    con = sqlite3.connect(scanned / ".reelprov/ledger.db")
    rows = con.execute(
        "SELECT id, project, seq, asset, kind, payload, actor, host, ts FROM ledger_entry ORDER BY seq"
    ).fetchall()
    prev = con.execute("SELECT prev_hash FROM ledger_entry WHERE seq = 1").fetchone()[0]
    for id_, project, s, asset, kind, payload, actor, host, ts in rows:
        if s == 2:
            actor = "mallory"
        h = entry_hash(
            project=project,
            seq=s,
            asset=asset,
            kind=kind,
            payload=payload,
            actor=actor,
            host=host,
            ts=ts,
            prev_hash=prev,
        )
        con.execute(
            "UPDATE ledger_entry SET actor = ?, prev_hash = ?, entry_hash = ? WHERE id = ?",
            (actor, prev, h, id_),
        )
        prev = h
    con.commit()
    con.close()
    assert cli("verify", cwd=scanned).code == 0  # a consistent forgery
    r = cli("verify", "--anchor", anchor, cwd=scanned)
    assert r.code == 1 and "not the anchor given (history up to it was rewritten)" in r.err


@pytest.mark.parametrize("bad", ["12", "x:0123456789ab", "3:0123", "3:zzzzzzzzzzzz"])
def test_a_malformed_anchor_is_exit_2(cli, scanned: Path, bad: str) -> None:
    r = cli("verify", "--anchor", bad, cwd=scanned)
    assert r.code == 2 and "give SEQ:HASH" in r.err


# The tables are derived from the chain: a row edited, removed or added behind reelprov's back is
# named, with what to run. verify checks them one asset at a time (memory does not grow with the
# ledger), so each case is checked on an asset among others, on SQLite and on PostgreSQL.
TABLE_TAMPERING = [
    (
        "UPDATE asset SET origin = 'human' WHERE path = 'final/a.png'",
        "table disagrees with the ledger on origin",
    ),
    ("DELETE FROM asset WHERE path = 'b.png'", "missing from the asset table"),
    (
        "INSERT INTO asset (id, project, path, path_key, sha256, size, media_type, deleted, origin, tools,"
        " evidence, evidence_sha256, c2pa_present, c2pa_state, tags, stage_override, declarations, cuts,"
        " first_seq, last_seq) SELECT 'ffffffffffffffffffffffffffffffff', project, path, path_key, sha256,"
        " size, media_type, deleted, origin, tools, evidence, evidence_sha256, c2pa_present, c2pa_state,"
        " tags, stage_override, declarations, cuts, first_seq, last_seq FROM asset WHERE path = 'c.png'",
        "asset ffffffffffffffffffffffffffffffff: in the asset table but not in the ledger",
    ),
    ("UPDATE flag SET status = 'approved'", "table disagrees with the ledger on status"),
    ("DELETE FROM flag", "missing from the flag table"),
    (
        "INSERT INTO flag (project, id, asset, rule, area, severity, status, reason, sha256, decided_by,"
        " ref, note, decided_at, raised_seq, last_seq, decided_severity, trail) SELECT project, 999,"
        " '00000000000000000000000000000000', rule, area, severity, status, reason, sha256, decided_by,"
        " ref, note, decided_at, raised_seq, last_seq, decided_severity, trail FROM flag LIMIT 1",
        "flag 999: in the flag table but not in the ledger",
    ),
]


@pytest.mark.parametrize(("stmt", "words"), TABLE_TAMPERING)
def test_a_table_row_changed_behind_reelprovs_back_is_named(
    cli, scanned: Path, stmt: str, words: str
) -> None:
    sql(scanned, stmt)
    r = cli("verify", cwd=scanned)
    assert r.code == 1 and words in r.err and "reelprov db rebuild" in r.err, r.err
    assert cli("db", "rebuild", cwd=scanned).code == 0
    assert cli("verify", cwd=scanned).code == 0


@pytest.mark.postgres
@pytest.mark.parametrize(("stmt", "words"), TABLE_TAMPERING)
def test_a_table_row_changed_on_a_shared_ledger_is_named(
    cli, show_root: Path, pg_url: str, stmt: str, words: str
) -> None:
    import sqlalchemy as sa

    env = {"REELPROV_DATABASE_URL": pg_url}
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    write_png(show_root / "b.png", color=(1, 1, 1))
    write_png(show_root / "c.png", color=(2, 2, 2))
    assert cli("scan", cwd=show_root, env=env).code == 0
    assert cli("verify", cwd=show_root, env=env).code == 0
    eng = sa.create_engine(pg_url)
    with eng.begin() as c:
        c.execute(sa.text(stmt))
    eng.dispose()
    r = cli("verify", cwd=show_root, env=env)
    assert r.code == 1 and words in r.err and "reelprov db rebuild" in r.err, r.err
