"""The DB-API read path: same answers as the ledger on SQLite and PostgreSQL, without SQLAlchemy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, run_cli, write_png


def test_column_sets_match_the_models() -> None:
    from sqlalchemy import JSON, Boolean

    from reelprov.ledger.reader import BOOL_COLUMNS, JSON_COLUMNS
    from reelprov.models import metadata

    cols = [c for t in metadata.tables.values() for c in t.columns]
    assert {c.name for c in cols if isinstance(c.type, JSON)} == JSON_COLUMNS
    assert {c.name for c in cols if isinstance(c.type, Boolean)} == BOOL_COLUMNS


def test_writer_column_table_matches_the_models() -> None:
    from reelprov.ledger.reader import COLUMNS
    from reelprov.models import metadata

    want = {
        name: tuple(c.name for c in t.columns if c is not t.autoincrement_column)
        for name, t in metadata.tables.items()
    }
    assert want == COLUMNS


def _fill(root: Path, env: dict[str, str] | None = None) -> None:
    write_png(root / "final/ai.png", {"parameters": SD_PARAMS})
    write_png(root / "final/plain.png", color=(1, 2, 3))
    write_png(root / "temp/ai2.png", {"parameters": SD_PARAMS}, color=(4, 5, 6))
    write_png(
        root / "odd/x_1%.png", color=(7, 8, 9)
    )  # LIKE's wildcards in a name: matched literally
    write_png(root / "odd/xa1b.png", color=(7, 8, 10))
    assert run_cli("scan", cwd=root, env=env).code == 0
    assert (
        run_cli("tag", "final/plain.png", "--tag", "talent_likeness", cwd=root, env=env).code == 0
    )


def _views(root: Path, env: dict[str, str] | None = None) -> dict[str, object]:
    out = {}
    for name, args in {
        "ls": ["ls", "--json"],
        "flagged": ["ls", "--flagged", "--json"],
        "ai": ["ls", "--origin", "ai_generated", "--json"],
        "glob": ["ls", "--flagged", "final/*", "--json"],
        "none": ["ls", "fin/*", "--json"],
        "odd": ["ls", "odd/x_1%*", "--json"],
        "flags": ["flags", "--json"],
        "open": ["flags", "--status", "open", "--json"],
        "show": ["show", "final/ai.png", "--json"],
        "history": ["history", "final/ai.png", "--json"],
    }.items():
        r = run_cli(*args, cwd=root, env=env)
        assert r.code == 0, (name, r.err)
        out[name] = r.json()
    return out


def _check(v: dict[str, object]) -> None:
    ls = v["ls"]
    assert [a["path"] for a in ls] == [
        "final/ai.png",
        "final/plain.png",
        "odd/x_1%.png",
        "odd/xa1b.png",
        "temp/ai2.png",
    ]  # type: ignore[index]
    assert [a["path"] for a in v["odd"]] == ["odd/x_1%.png"]  # type: ignore[union-attr]
    ai = next(a for a in ls if a["path"] == "final/ai.png")  # type: ignore[union-attr]
    assert (
        ai["origin"] == "ai_generated"
        and ai["deleted"] is False
        and ai["c2pa"] == {"present": False, "state": "none"}
    )
    assert ai["evidence"] and ai["evidence"][0]["tool"]
    assert [a["path"] for a in v["ai"]] == ["final/ai.png", "temp/ai2.png"]  # type: ignore[union-attr]
    assert "final/ai.png" in [a["path"] for a in v["flagged"]]  # type: ignore[union-attr]
    assert [a["path"] for a in v["glob"]] == ["final/ai.png"] and v["none"] == []  # type: ignore[union-attr]
    assert all(any(f["status"] in ("open", "rejected") for f in a["flags"]) for a in v["flagged"])  # type: ignore[union-attr]
    assert v["flags"] and all(f["path"] for f in v["flags"])  # type: ignore[union-attr]
    assert {f["status"] for f in v["open"]} == {"open"}  # type: ignore[union-attr]
    show = v["show"]
    assert show["path"] == "final/ai.png" and show["flags"]  # type: ignore[index]
    hist = v["history"]
    assert hist[0]["kind"] == "seen" and isinstance(hist[0]["payload"], dict)  # type: ignore[index]
    assert hist[0]["payload"]["evidence"]  # type: ignore[index]  # what reading it found
    assert show["history"] == hist  # type: ignore[index]


def test_read_commands_on_sqlite(show_root: Path) -> None:
    _fill(show_root)
    _check(_views(show_root))


@pytest.mark.postgres
def test_read_commands_on_postgres_match_sqlite(
    tmp_path: Path, show_root: Path, pg_url: str
) -> None:
    env = {"REELPROV_DATABASE_URL": pg_url}
    _fill(show_root, env)
    pg = _views(show_root, env)
    _check(pg)
    other = tmp_path / "same"
    other.mkdir()
    assert run_cli("init", str(other)).code == 0
    _fill(other)
    lite = _views(other)

    def strip(v: object) -> object:  # ids, hashes, times and hosts differ between two projects
        if isinstance(v, dict):
            return {
                k: strip(x)
                for k, x in v.items()
                if k not in ("id", "asset", "ts", "entry_hash", "prev_hash", "seq", "at")
            }
        if isinstance(v, list):
            out = [strip(x) for x in v]
            if out and all(isinstance(x, dict) and "rule" in x for x in out):
                out.sort(key=lambda x: (x.get("path", ""), x["rule"]))  # type: ignore[union-attr]
            return out
        return v

    assert strip(pg["ls"]) == strip(lite["ls"])
    # flag numbers follow the order a batch met the assets in: strip() compares flags by path and rule
    assert strip(pg["flags"]) == strip(lite["flags"])


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--json"],
        ["show", "final/ai.png", "--json"],
        ["flags", "--json"],
        ["history", "final/ai.png", "--json"],
        ["cut", "ls", "--json"],
        ["--help"],
        ["tag", "final/plain.png", "--tag", "story_relevant", "--json"],
        ["scan", "--json"],
        ["status", "--json"],
    ],
)
def test_commands_start_without_sqlalchemy(show_root: Path, args: list[str]) -> None:
    """Start-up: commands that read or write the ledger load neither SQLAlchemy nor Alembic
    (they are for migrations), nor SQLModel or pydantic."""
    _fill(show_root)
    code = (
        "import sys, json\nfrom reelprov.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    assert not e.code or (sys.argv[1] == 'status' and e.code == 1), e.code\nheavy = [m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'alembic') if m in sys.modules]\n"
        "sys.stderr.write('HEAVY=' + json.dumps(heavy))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=show_root,
        capture_output=True,
        text=True,
        env={**os.environ, "REELPROV_ACTOR": "t"},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    assert "HEAVY=[]" in r.stderr, r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["ls", "--json"],
        ["ls", "--tag", "story_relevant", "--json"],
        ["show", "final/ai.png", "--json"],
        ["history", "final/ai.png", "--json"],
        ["cut", "ls", "--json"],
    ],
)
def test_listing_commands_do_not_load_the_policy_engine(show_root: Path, args: list[str]) -> None:
    """Only commands that record (or judge flags) need the policy: `ls` loaded it to check a tag name."""
    _fill(show_root)
    code = (
        "import sys\nfrom reelprov.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\nsys.stderr.write('ENGINE=%s' % ('reelprov.policy.engine' in sys.modules))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=show_root,
        capture_output=True,
        text=True,
        env={**os.environ, "REELPROV_ACTOR": "t"},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "ENGINE=False" in r.stderr, r.stderr


def test_snapshots_nest_and_threads_read_side_by_side(show_root: Path) -> None:
    """One connection per thread; a snapshot inside a snapshot shares it (no 'transaction within
    a transaction')."""
    import threading

    from reelprov.project import Project

    _fill(show_root)
    p = Project.open(show_root)
    try:
        rd = p.reader
        with rd.snapshot(), rd.snapshot():
            assert len(rd.rows("SELECT id FROM asset")) == 5
        errors: list[BaseException] = []

        def reader_thread() -> None:
            try:
                for _ in range(20):
                    with rd.snapshot():
                        assert len(rd.rows("SELECT id FROM asset")) == 5
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=reader_thread) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
    finally:
        p.close()


def test_a_ledger_this_user_cannot_write_is_read_and_recording_says_why(show_root: Path) -> None:
    """An archived project, a read-only share, a ledger owned by the watcher's user: reading
    commands work (with and without a writer keeping the WAL open); recording is exit 2 saying why."""
    import sqlite3

    from tests.conftest import as_ordinary_user

    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    assert run_cli("scan", cwd=show_root).code == 0
    state = show_root / ".reelprov"
    ledger = state / "ledger.db"

    def rp(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*as_ordinary_user(), sys.executable, "-m", "reelprov", *args],
            cwd=show_root,
            capture_output=True,
            text=True,
            timeout=120,
        )

    files = [ledger, state]
    for f in files:
        f.chmod(0o555 if f.is_dir() else 0o444)
    try:
        r = rp("ls", "--json")
        assert r.returncode == 0, r.stderr
        assert [a["path"] for a in __import__("json").loads(r.stdout)] == ["final/a.png"]
        assert rp("verify").returncode == 0
        r = rp("tag", "final/a.png", "--tag", "key_creative")
        assert (
            r.returncode == 2
            and "the ledger is read-only for this user" in r.stderr
            and "Traceback" not in r.stderr
        )
        # the owner records while holding the ledger open: the WAL and its index stay beside it
        holder = sqlite3.connect(ledger)
        holder.execute("SELECT count(*) FROM asset").fetchone()
        try:
            assert run_cli("tag", "final/a.png", "--tag", "personal_data", cwd=show_root).code == 0
            assert (state / "ledger.db-wal").exists()
            r = rp("show", "final/a.png", "--json")
            assert r.returncode == 0, r.stderr
            assert __import__("json").loads(r.stdout)["tags"] == [
                "personal_data"
            ]  # read from the WAL
        finally:
            holder.close()
    finally:
        for f in files:
            f.chmod(0o755 if f.is_dir() else 0o644)
    assert run_cli("verify", cwd=show_root).code == 0


@pytest.mark.postgres
def test_a_read_only_database_role_reads_and_is_told_why_it_cannot_record(
    show_root: Path, pg_url: str
) -> None:
    """A facility gives editors a role that may only read the shared ledger."""
    import uuid

    import sqlalchemy as sa

    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    assert run_cli("scan", cwd=show_root, env={"REELPROV_DATABASE_URL": pg_url}).code == 0
    role = f"rp_reader_{uuid.uuid4().hex[:8]}"
    schema = pg_url.rsplit("%3D", 1)[1]
    admin = sa.create_engine(pg_url)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        c.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        c.execute(sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    try:
        env = {"REELPROV_DATABASE_URL": pg_url.replace("://postgres@", f"://{role}@", 1)}
        for args in (["ls", "--json"], ["show", "final/a.png"], ["flags"], ["verify"]):
            r = run_cli(*args, cwd=show_root, env=env)
            assert r.code == 0, (args, r.err)
        r = run_cli("tag", "final/a.png", "--tag", "key_creative", cwd=show_root, env=env)
        assert (
            r.code == 2 and "this database user may read the ledger but not record in it" in r.err
        )
    finally:
        with admin.begin() as c:
            c.execute(sa.text(f'DROP OWNED BY "{role}"'))
            c.execute(sa.text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_a_shared_ledger_connection_notices_a_dead_server_within_a_minute(pg_url: str) -> None:
    """With libpq's defaults a query on a connection whose server vanished without a word (powered
    off, a firewall dropping the connection) waits for ever: the watcher would stop recording. Its
    connections carry TCP keepalives and a user timeout; a URL's own setting wins."""
    from reelprov.ledger.reader import connect

    conn = connect(pg_url)
    try:
        params = conn.info.get_parameters()
        assert {
            k: params.get(k)
            for k in (
                "keepalives",
                "keepalives_idle",
                "keepalives_interval",
                "keepalives_count",
                "tcp_user_timeout",
            )
        } == {
            "keepalives": "1",
            "keepalives_idle": "30",
            "keepalives_interval": "10",
            "keepalives_count": "3",
            "tcp_user_timeout": "60000",
        }
    finally:
        conn.close()
    sep = "&" if "?" in pg_url else "?"
    conn = connect(f"{pg_url}{sep}keepalives_idle=120&connect_timeout=3")
    try:
        params = conn.info.get_parameters()
        assert params["keepalives_idle"] == "120" and params["connect_timeout"] == "3"
        assert params["tcp_user_timeout"] == "60000"
    finally:
        conn.close()


@pytest.mark.postgres
def test_connections_the_server_dropped_are_replaced_unseen(
    show_root: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL restarted, or closed idle sessions (idle_session_timeout): a long-running process's
    next read or write failed, and its reader kept the dead connection for good. The first statement
    on a dropped connection now connects again, before anything is read or written."""
    import psycopg

    from reelprov.project import Project

    monkeypatch.setenv("REELPROV_DATABASE_URL", pg_url)
    assert run_cli("db", "upgrade", cwd=show_root).code == 0
    p = Project.open(show_root)
    try:
        assert p.reader.one("SELECT 1 AS ok") == {"ok": 1}
        with p.batch() as b:
            b.append("note", None, {"n": 1})

        def server_drops_them() -> None:
            pids = [p.reader._conns.get().info.backend_pid, p.ledger._conns.get().info.backend_pid]
            with psycopg.connect(
                pg_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0],
                autocommit=True,
            ) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids]
                )

        server_drops_them()
        assert p.reader.one("SELECT 1 AS ok") == {"ok": 1}
        with p.batch() as b:
            b.append("note", None, {"n": 2})
        server_drops_them()
        with (
            p.reader.snapshot()
        ):  # several reads that must see one state (the watcher's scan cache)
            assert p.reader.one("SELECT 2 AS ok") == {"ok": 2}
        assert p.reader.one(
            "SELECT count(*) AS n FROM ledger_entry WHERE project = :p", p=p.cfg.project_id
        ) == {"n": 2}
    finally:
        p.close()
    assert run_cli("verify", cwd=show_root).code == 0


def _rows_read(plan: dict[str, object], table: str) -> int:
    """Rows a plan's nodes on TABLE read: those they returned plus those they read and dropped."""
    n = 0
    if plan.get("Relation Name") == table:
        n += int(plan.get("Actual Rows", 0)) * int(plan.get("Actual Loops", 1))  # type: ignore[call-overload]
        n += int(plan.get("Rows Removed by Filter", 0)) + int(
            plan.get("Rows Removed by Index Recheck", 0)
        )  # type: ignore[call-overload]
    for child in plan.get("Plans", []):  # type: ignore[attr-defined]
        n += _rows_read(child, table)
    return n


@pytest.mark.postgres
def test_lookups_by_key_read_only_their_rows_on_a_postgres_table_without_statistics(
    show_root: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A just-filled PostgreSQL table, or any on a server running without autovacuum, has no
    statistics. Its planner took `project = $1 AND path = ANY($2)` as matching most rows and read
    the whole project for each list of keys: 186 ms per 500 paths among 460,000 assets for every
    batch a scan or the watcher wrote, and most of a scoped `ls --flagged`'s time in the flags."""
    from hashlib import md5

    import psycopg

    from reelprov.ledger.reader import Statements
    from reelprov.project import Project

    monkeypatch.setenv("REELPROV_DATABASE_URL", pg_url)
    assert run_cli("db", "upgrade", cwd=show_root).code == 0
    pid = "p" * 32
    with psycopg.connect(
        pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        for table in ("asset", "flag"):
            c.execute(
                f"ALTER TABLE {table} SET (autovacuum_enabled = false)"
            )  # no statistics while it runs
        c.execute(
            "INSERT INTO asset SELECT md5('a' || g), %(p)s, 'final/f' || lpad(g::text, 6, '0') || '.png', "
            "md5(g::text) || md5(g::text), 1, 'image/png', false, 'ai_generated', '[]', '[]', NULL, false, "
            "'absent', '[]', NULL, '[]', '[]', g, g, "
            "encode(sha256(convert_to('final/f' || lpad(g::text, 6, '0') || '.png', 'UTF8')), 'hex') "
            "FROM generate_series(1, 60000) AS g",
            {"p": pid},
        )
        c.execute(
            "INSERT INTO flag SELECT %(p)s, g, md5('a' || g), 'likeness.ai_face', 'likeness', 'high', "
            "CASE WHEN g %% 2 = 0 THEN 'open' ELSE 'approved' END, 'AI-generated image headed to screen "
            "shows a face: talent likeness needs written consent', md5('s' || g) || md5('t' || g), "
            "NULL, NULL, NULL, NULL, g, g "
            "FROM generate_series(1, 60000) AS g",
            {"p": pid},
        )
    seen: list[tuple[str, dict[str, object]]] = []
    prepare = Statements._prepare

    def record(
        self: Statements, sql: str, params: dict[str, object]
    ) -> tuple[str, dict[str, object]]:
        out = prepare(self, sql, params)
        seen.append(out)
        return out

    monkeypatch.setattr(Statements, "_prepare", record)
    from reelprov.ledger import queries

    p = Project.open(show_root)
    try:
        paths = [f"final/f{i:06d}.png" for i in range(1, 60001, 120)]  # 500 recorded paths
        ids = [
            md5(f"a{i}".encode()).hexdigest() for i in [*range(1, 60001, 60), *range(60001, 60201)]
        ]  # 200 unflagged
        with p.batch() as b:
            b.project = pid
            b.preload_paths(paths)  # what a scan's or the watcher's batch looks up first
        flags = list(
            queries.flags_of(p.reader, pid, ids, chunk=1000)
        )  # `ls --flagged 'glob'`, the policy's inputs
    finally:
        p.close()
    assert len(flags) == 1000
    lookups = [(sql, params) for sql, params in seen if "keys" in params or "ids" in params]
    assert sum(len(params.get("keys", [])) for _, params in lookups) == 500  # type: ignore[arg-type]
    assert {("asset" if "keys" in q else "flag") for q, _ in lookups} == {"asset", "flag"}
    with psycopg.connect(
        pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        for sql, params in lookups:
            table = "asset" if "keys" in params else "flag"
            plan = c.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()[0][0][
                "Plan"
            ]
            found = len(c.execute(sql, params).fetchall())
            assert _rows_read(plan, table) == found, (sql, json.dumps(plan)[:2000])
