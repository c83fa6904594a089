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
