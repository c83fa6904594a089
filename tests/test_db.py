"""Migrations: upgrade from empty, model and schema agree, old ledgers are brought up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reelprov import db
from reelprov.models import include_object_for, metadata
from tests.conftest import write_png


def _downgrade(engine) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    command.downgrade(db._alembic_config(engine), "base")


def _no_diff(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "include_object": include_object_for(conn.dialect.name)},
        )
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_sqlite_upgrade_from_empty_matches_models(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    _no_diff(engine)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_upgrade_from_empty_matches_models(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    _no_diff(engine)
    engine.dispose()


def test_a_ledger_a_newer_reelprov_upgraded_is_refused_saying_to_upgrade_reelprov(
    cli, show_root: Path
) -> None:
    """A shared ledger one machine's newer reelprov upgraded: an older one neither reads nor
    writes it (its keys or columns may mean something else now), and says what to do."""
    import sqlite3

    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root).code == 0
    ledger = show_root / ".reelprov/ledger.db"

    def state() -> list[object]:
        conn = sqlite3.connect(ledger)
        try:
            return [
                conn.execute(q).fetchall()
                for q in (
                    "SELECT version_num FROM alembic_version",
                    "SELECT seq, entry_hash FROM ledger_entry ORDER BY seq",
                    "SELECT * FROM asset",
                    "SELECT * FROM file_state",
                )
            ]
        finally:
            conn.close()

    conn = sqlite3.connect(ledger)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = state()
    for args in (["ls"], ["scan", "--json"], ["db", "upgrade"]):
        r = cli(*args, cwd=show_root)
        assert r.code == 2, args
        assert "ledger schema is at 9999, newer than this reelprov" in r.err, args
        assert "upgrade reelprov here" in r.err and "Traceback" not in r.err, args
    assert cli("db", "current", cwd=show_root).out.strip() == (
        f"9999 (head {db.SCHEMA_HEAD}) - newer than this reelprov: upgrade reelprov"
    )
    assert state() == before  # nothing written


def test_old_ledger_upgraded_or_told_what_to_run(cli, show_root: Path) -> None:
    from alembic import command

    engine = db.make_engine(f"sqlite:///{show_root / '.reelprov/ledger.db'}")
    command.downgrade(
        db._alembic_config(engine), "0001"
    )  # an old ledger: the first schema reelprov wrote
    engine.dispose()
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("auto_upgrade = true", "auto_upgrade = false"))
    r = cli("ls", cwd=show_root)
    assert r.code == 2 and "reelprov db upgrade" in r.err
    assert cli("db", "current", cwd=show_root).out.startswith("0001")
    up = cli("db", "upgrade", "--json", cwd=show_root)
    assert (
        up.code == 0
        and up.json()["before"] == "0001"
        and up.json()["current"] == up.json()["head"] == db.SCHEMA_HEAD
    )
    assert (
        cli("db", "upgrade", cwd=show_root).out.strip() == f"ledger schema at {db.SCHEMA_HEAD}"
    )  # already there
    assert cli("ls", cwd=show_root).code == 0
    cfg.write_text(cfg.read_text().replace("auto_upgrade = false", "auto_upgrade = true"))
    engine = db.make_engine(f"sqlite:///{show_root / '.reelprov/ledger.db'}")
    command.downgrade(db._alembic_config(engine), "0001")
    engine.dispose()
    assert cli("ls", cwd=show_root).code == 0  # brought up to date by itself
    engine = db.make_engine(f"sqlite:///{show_root / '.reelprov/ledger.db'}")
    _downgrade(engine)  # no schema at all: no ledger there to upgrade
    engine.dispose()
    r = cli("ls", cwd=show_root)
    assert (
        r.code == 2 and "holds no reelprov ledger" in r.err and "restore it from a backup" in r.err
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger(request: pytest.FixtureRequest, show_root: Path) -> tuple[Path, str, dict[str, str]]:
    """A project on each kind of ledger a migration must upgrade: (root, ledger URL, environment
    the CLI needs for it). The embedded SQLite file; a shared PostgreSQL one (pg_url: a fresh
    schema, skipped with the reason where there is no test PostgreSQL)."""
    if request.param == "sqlite":
        return show_root, f"sqlite:///{show_root / '.reelprov/ledger.db'}", {}
    url: str = request.getfixturevalue("pg_url")
    return show_root, url, {"REELPROV_DATABASE_URL": url}


def test_0005_recomputes_origins(cli, ledger: tuple[Path, str, dict[str, str]]) -> None:
    """An invalid manifest's capture claim made its file `human` before 0005: the upgrade
    recomputes the projection so the table agrees with the ledger under the new rule."""
    import shutil

    from tests.conftest import SAMPLES

    root, url, env = ledger

    shutil.copy(SAMPLES / "c2pa/tampered_after_signing.jpg", root / "shot.jpg")
    cli("scan", cwd=root, env=env)
    engine = db.make_engine(url)
    from alembic import command

    command.downgrade(db._alembic_config(engine), "0004")
    with engine.begin() as conn:  # what 0004 and the older rule left
        conn.exec_driver_sql("UPDATE asset SET origin = 'human' WHERE path = 'shot.jpg'")
    engine.dispose()
    assert (
        cli("show", "shot.jpg", "--json", cwd=root, env=env).json()["origin"] == "unknown"
    )  # upgraded on open
    assert cli("db", "current", "--json", cwd=root, env=env).json()["current"] == db.SCHEMA_HEAD
    assert cli("verify", cwd=root, env=env).code == 0


def test_0006_fills_decision_severity_and_trails(
    cli, ledger: tuple[Path, str, dict[str, str]]
) -> None:
    """A ledger with decisions from before 0006: the upgrade fills each flag's decision severity and
    trail from the ledger, so verify finds the tables agreeing with it and the audit has them."""
    root, url, env = ledger
    from alembic import command

    from tests.conftest import SD_PARAMS, write_png

    write_png(root / "final/a.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=root, env=env)
    flags = cli("flags", "--json", cwd=root, env=env).json()
    assert (
        cli(
            "approve", str(flags[0]["id"]), "--by", "J. Park", "--ref", "L-1", cwd=root, env=env
        ).code
        == 0
    )
    assert cli("reject", str(flags[1]["id"]), "--by", "J. Park", cwd=root, env=env).code == 0
    engine = db.make_engine(url)
    command.downgrade(db._alembic_config(engine), "0005")
    engine.dispose()
    assert cli("verify", cwd=root, env=env).code == 0  # upgraded on open, trails replayed
    f = cli("flags", str(flags[0]["id"]), "--json", cwd=root, env=env).json()
    assert f["decision"]["severity"] == "review" and [t["event"] for t in f["trail"]] == ["decided"]
    assert f["trail"][0]["by"] == "J. Park" and f["trail"][0]["ref"] == "L-1"


def test_0008_recomputes_declared_origins(cli, ledger: tuple[Path, str, dict[str, str]]) -> None:
    """Before 0008 a sidecar declaring ai_enhanced made a file whose own XMP says generated
    `ai_enhanced`: the upgrade recomputes it, the policy runs again, the tables agree with the ledger."""
    root, url, env = ledger
    import json

    from tests.conftest import SD_PARAMS, write_png

    write_png(root / "final/x.png", {"parameters": SD_PARAMS})
    (root / "final/x.png.reelprov.json").write_text(
        json.dumps({"reelprov_declaration": 1, "origin": "ai_enhanced"})
    )
    assert cli("scan", cwd=root, env=env).code == 0
    engine = db.make_engine(url)
    from alembic import command

    command.downgrade(db._alembic_config(engine), "0007")
    with engine.begin() as conn:  # what the older rule projected
        conn.exec_driver_sql("UPDATE asset SET origin = 'ai_enhanced' WHERE path = 'final/x.png'")
    engine.dispose()
    assert (
        cli("show", "final/x.png", "--json", cwd=root, env=env).json()["origin"] == "ai_generated"
    )  # upgraded on open
    assert cli("verify", cwd=root, env=env).code == 0
    assert cli("policy", "check", "--json", cwd=root, env=env).json()["raised"] == 0


def test_sqlite_is_wal_with_busy_timeout(project) -> None:
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
        # FULL (2): each commit is on disk before it returns, so a power cut loses no recorded entry
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    with project.ledger.batch() as b:  # the ledger's own writer, which scan and the watcher use
        assert b.conn.one("PRAGMA synchronous")["synchronous"] == 2


def test_schema_head_constant_matches_alembic(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    assert db.SCHEMA_HEAD == db.head_revision(engine)
    engine.dispose()


def test_a_missing_sqlite_ledger_is_an_error_not_a_new_empty_one(
    cli, show_root: Path, tmp_path: Path
) -> None:
    write_png(show_root / "a.png")
    assert cli("scan", cwd=show_root).code == 0
    ledger = show_root / ".reelprov/ledger.db"
    # a mistyped REELPROV_DATABASE_URL: said so, and no file appears there
    typo = tmp_path / "no/such/ledger.db"
    r = cli("ls", cwd=show_root, env={"REELPROV_DATABASE_URL": f"sqlite:///{typo}"})
    assert r.code == 2 and f"{typo}: no ledger database there" in r.err, r.err
    assert not typo.parent.exists()
    # the project's own ledger moved away: a scan does not start a fresh history in its place
    ledger.rename(tmp_path / "moved.db")
    for f in ("-wal", "-shm"):
        (show_root / f".reelprov/ledger.db{f}").unlink(missing_ok=True)
    for args in (["scan"], ["ls"], ["watch"]):
        r = cli(*args, cwd=show_root)
        assert r.code == 2 and "no ledger database there" in r.err and "reelprov init" in r.err, (
            args,
            r.err,
        )
    assert not ledger.exists()
    assert (
        cli("init", str(show_root)).code == 0 and ledger.exists()
    )  # init starts a new one on purpose


def test_0012_groups_path_keys_by_folder(cli, ledger: tuple[Path, str, dict[str, str]]) -> None:
    """0012 computes every path key again, the folder's hash first (ledger.reader.path_key): a
    ledger written before it is found, rescanned as unchanged and verified after the upgrade, and
    its keys are the ones reelprov computes now, in the database's own arithmetic too (PostgreSQL
    computes them in SQL)."""
    root, url, env = ledger
    import hashlib

    from alembic import command

    from reelprov.ledger.reader import path_key

    names = ["final/sh010/a.png", "final/sh010/b.png", "top.png", "ünï/çødé ß/x y.png"]
    for i, name in enumerate(names):
        write_png(root / name, color=(i, 2 * i, 3 * i))
    assert cli("scan", cwd=root, env=env).code == 0

    def keys() -> dict[tuple[str, str], str]:
        engine = db.make_engine(url)
        with engine.connect() as conn:
            out = {
                (table, r[0]): r[1]
                for table in ("asset", "file_state")
                for r in conn.exec_driver_sql(f"SELECT path, path_key FROM {table}")  # noqa: S608
            }
        engine.dispose()
        return out

    def sha(p: str) -> str:
        return hashlib.sha256(p.encode()).hexdigest()

    assert sorted(p for _, p in keys()) == sorted(names * 2)
    assert all(k == path_key(p) for (_, p), k in keys().items())
    engine = db.make_engine(url)
    command.downgrade(db._alembic_config(engine), "0011")
    engine.dispose()
    assert all(k == sha(p) for (_, p), k in keys().items())  # as 0011 kept them

    rep = cli("scan", "--json", cwd=root, env=env).json()  # upgraded on open
    assert (rep["unchanged"], rep["seen"], rep["changed"]) == (4, 0, 0)
    assert all(k == path_key(p) for (_, p), k in keys().items())
    assert cli("show", "ünï/çødé ß/x y.png", "--json", cwd=root, env=env).json()["path"] == names[3]
    assert cli("verify", cwd=root, env=env).code == 0
