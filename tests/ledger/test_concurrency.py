"""Appends from several real processes at once keep one valid chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli

WORKERS = 4
PER_WORKER = 40


def _append_many(root: str, who: int, db_url: str | None) -> None:
    if db_url:
        os.environ["REELPROV_DATABASE_URL"] = db_url
    from reelprov.project import Project

    p = Project.open(root, actor=f"proc{who}")
    for i in range(PER_WORKER):
        with p.batch() as b:
            b.append("note", None, {"who": who, "i": i})
    p.close()


def _hammer(root: Path, db_url: str | None) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(root), w, db_url)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0


def _check(root: Path, env: dict[str, str]) -> None:
    r = run_cli("verify", "--json", cwd=root, env=env)
    assert r.code == 0, r.out + r.err
    assert r.json()["entries"] == WORKERS * PER_WORKER


def test_sqlite_concurrent_processes_one_chain(show_root: Path) -> None:
    _hammer(show_root, None)
    _check(show_root, {})


@pytest.mark.postgres
def test_postgres_concurrent_processes_one_chain(show_root: Path, pg_url: str) -> None:
    env = {"REELPROV_DATABASE_URL": pg_url}
    assert run_cli("db", "upgrade", cwd=show_root, env=env).code == 0
    _hammer(show_root, pg_url)
    _check(show_root, env)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_writer_that_holds_the_lock_too_long_makes_the_others_say_busy(
    show_root: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan or the watcher writing a huge batch, or a suspended process in the middle of one: after
    the busy timeout (30 s; 1 s here) a command said "cannot open the ledger database (database is
    locked); check the server / database_url" on SQLite, and on PostgreSQL waited for ever."""
    import reelprov.ledger.reader as reader
    from reelprov.project import Project
    from tests.conftest import write_png

    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
        monkeypatch.setenv("REELPROV_DATABASE_URL", url)
        assert run_cli("db", "upgrade", cwd=show_root).code == 0
    monkeypatch.setattr(reader, "BUSY_TIMEOUT_MS", 1000)
    write_png(show_root / "a.png")
    assert run_cli("scan", cwd=show_root).code == 0
    holder = Project.open(show_root)
    held = holder.ledger.batch()
    held.__enter__()  # another process in the middle of a write
    try:
        r = run_cli("tag", "a.png", "--tag", "story_relevant", cwd=show_root)
        assert r.code == 2 and "the ledger is busy" in r.err and "run the command again" in r.err, (
            r.err
        )
        assert "check the server" not in r.err
    finally:
        held.__exit__(None, None, None)
        holder.close()
    assert run_cli("tag", "a.png", "--tag", "story_relevant", cwd=show_root).code == 0
    assert run_cli("verify", cwd=show_root).code == 0
