"""Reading a shared ledger through libpq directly: the same answers as psycopg, without loading it."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, run_cli, write_png

pytestmark = pytest.mark.postgres

ODD = ["", "plain", "it's", 'say "cut"', "back\\slash", "tab\there\nnewline", "100% sure", "$1 and $2",
       "{braces},commas", "NULL", "é 日本 🎬", "x" * 10_000]


def _both(mp: pytest.MonkeyPatch, pg_url: str, sql: str, **params: object) -> tuple[list[dict], list[dict]]:
    """The rows SQL gives through libpq and through psycopg."""
    from reelprov.ledger import libpq
    from reelprov.ledger.reader import Reader

    out = []
    for driver in ("libpq", "psycopg"):
        mp.setenv("REELPROV_PG_DRIVER", driver)
        rd = Reader(pg_url)
        try:
            out.append(rd.rows(sql, **params))
            assert isinstance(rd._conns.get(), libpq.Connection) == (driver == "libpq")
        finally:
            rd.close()
    return out[0], out[1]


def test_values_read_and_bound_as_psycopg_does(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for i, s in enumerate(ODD):
        lp, pg = _both(monkeypatch, pg_url, "SELECT :s AS s, length(:s) AS n, :s = :s AS same, :i AS i, :f AS f, :b AS b, :none AS none",
                       s=s, i=i * 10**12, f=i / 3, b=bool(i % 2), none=None)
        assert lp == pg == [{"s": s, "n": len(s), "same": True, "i": i * 10**12, "f": i / 3, "b": bool(i % 2), "none": None}]
    # the list form reelprov binds (json_each on SQLite, = ANY on PostgreSQL), with awkward members
    lp, pg = _both(monkeypatch, pg_url, "SELECT x FROM unnest(CAST(:all AS text[])) WITH ORDINALITY AS u(x, n) "
                   "WHERE x IN (SELECT value FROM json_each(:ids)) ORDER BY n", all=ODD, ids=ODD[1:6] + ["absent"])
    assert lp == pg == [{"x": s} for s in ODD[1:6]]
    lp, pg = _both(monkeypatch, pg_url, "SELECT '' AS empty, NULL::text AS null_text, 1.5::float4 AS real, 7::smallint AS small, "
                   "'{\"a\": [1, \"é\"]}'::json AS j, '{\"b\": null}'::jsonb AS jb, 'NaN'::float8 AS nan")
    assert math.isnan(lp[0].pop("nan")) and math.isnan(pg[0].pop("nan"))
    assert lp == pg == [{"empty": "", "null_text": None, "real": 1.5, "small": 7, "j": {"a": [1, "é"]}, "jb": {"b": None}}]


def _fill(root: Path, env: dict[str, str]) -> None:
    write_png(root / "final/ai.png", {"parameters": SD_PARAMS})
    write_png(root / "final/it's \"quoted\" 100%.png", color=(1, 2, 3))
    write_png(root / "temp/ai2.png", {"parameters": SD_PARAMS}, color=(4, 5, 6))
    assert run_cli("scan", cwd=root, env=env).code == 0
    assert run_cli("tag", "final/it's \"quoted\" 100%.png", "--tag", "talent_likeness", cwd=root, env=env).code == 0
    assert run_cli("approve", "1", "--by", "legal", "--ref", "LEGAL-1", "--note", "ok", cwd=root, env=env).code == 0
    (root / "r1.edl").write_text("TITLE: R1\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 "
                                 "01:00:00:00 01:00:01:00\n* FROM CLIP NAME: ai.png\n\n")
    assert run_cli("cut", "import", str(root / "r1.edl"), "--name", "Reel 1", cwd=root, env=env).code == 0


READS = [["ls", "--json"], ["ls", "--flagged", "final/*", "--json"], ["ls", "final/it's*", "--json"],
         ["flags", "--json"], ["show", "final/ai.png", "--json"], ["history", "final/ai.png", "--json"],
         ["cut", "ls", "--json"], ["report", "--format", "json", "--output", "-"], ["verify", "--json"]]


def test_read_commands_answer_the_same_through_both_drivers(show_root: Path, pg_url: str) -> None:
    env = {"REELPROV_DATABASE_URL": pg_url}
    _fill(show_root, env)
    assert run_cli("anchor", cwd=show_root, env=env).code == 0  # the head every report then anchors again
    for args in READS:
        lp = run_cli(*args, cwd=show_root, env={**env, "REELPROV_PG_DRIVER": "libpq"})
        pg = run_cli(*args, cwd=show_root, env={**env, "REELPROV_PG_DRIVER": "psycopg"})
        assert lp.code == pg.code == 0, (args, lp.err, pg.err)
        lp_out, pg_out = lp.json(), pg.json()
        if args[0] == "report":  # when it was made
            lp_out.pop("generated_at"), pg_out.pop("generated_at")
        assert lp_out == pg_out, args
        assert lp_out, args


def test_an_unknown_driver_name_is_refused_saying_which_to_use(show_root: Path, pg_url: str) -> None:
    env = {"REELPROV_DATABASE_URL": pg_url}
    assert run_cli("db", "upgrade", cwd=show_root, env=env).code == 0
    r = run_cli("ls", cwd=show_root, env={**env, "REELPROV_PG_DRIVER": "pg8000"})
    assert r.code == 2 and "REELPROV_PG_DRIVER='pg8000': use libpq" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("args", [["ls", "--json"], ["show", "final/ai.png", "--json"], ["flags", "--json"],
                                  ["history", "final/ai.png", "--json"]])
def test_read_commands_do_not_load_psycopg(show_root: Path, pg_url: str, args: list[str]) -> None:
    """`import psycopg` alone took 120-300 ms, most of what `reelprov show` spent on a shared ledger."""
    env = {**os.environ, "REELPROV_DATABASE_URL": pg_url, "REELPROV_ACTOR": "t"}
    env.pop("REELPROV_PG_DRIVER", None)
    _fill(show_root, {"REELPROV_DATABASE_URL": pg_url})
    code = ("import sys, json\nfrom reelprov.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    assert not e.code, e.code\nsys.stderr.write('PSYCOPG=' + json.dumps('psycopg' in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code, *args], cwd=show_root, capture_output=True, text=True, env=env,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)
    assert "PSYCOPG=false" in r.stderr, r.stderr


def test_errors_name_the_ledger_and_say_nothing_else(pg_url: str, capfd: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from reelprov.errors import DatabaseError
    from reelprov.ledger import libpq
    from reelprov.ledger.reader import Reader

    monkeypatch.setenv("REELPROV_PG_DRIVER", "libpq")
    rd = Reader(pg_url)
    try:
        with pytest.raises(DatabaseError, match=r'relation "no_such_table" does not exist'):
            rd.one("SELECT * FROM no_such_table")
        conn = rd._conns.get()
        assert isinstance(conn, libpq.Connection) and not conn.broken
        conn.execute("ROLLBACK")  # the server warns: there is no transaction in progress
        with pytest.raises(libpq.Error) as err:
            conn.execute("SELECT 1/0")
        assert err.value.sqlstate == "22012" and str(err.value) == "division by zero"
        assert rd.one("SELECT 2 AS two") == {"two": 2}  # the connection is still usable
        # a C string would end at the NUL and the statement would look up another name
        with pytest.raises(DatabaseError, match="NUL character"):
            rd.one("SELECT :s AS s", s="final/a.png\x00.exr")
        with pytest.raises(DatabaseError, match="not UTF-8"):
            rd.one("SELECT :s AS s", s="bad\udcffname.png")
        assert rd.one("SELECT :s AS s", s="final/a.png") == {"s": "final/a.png"}
    finally:
        rd.close()
    assert capfd.readouterr().err == ""  # libpq's default would print the WARNING on stderr
    with pytest.raises(libpq.Error, match="connection to server at \"127.0.0.1\", port 1 failed"):
        libpq.connect("postgresql://nobody@127.0.0.1:1/nope", {"connect_timeout": 3})
    # a URL from reelprov.toml or the environment that libpq would read otherwise than it is written
    with pytest.raises(libpq.Error, match="NUL"):
        libpq.connect(pg_url.replace("postgresql+psycopg", "postgresql") + "\x00x", {})
    with pytest.raises(libpq.Error, match="connection failed"):
        libpq.connect("postgresql://postgres@127.0.0.1:5432/te\udcffst", {"connect_timeout": 3})


def test_without_a_loadable_libpq_reads_go_through_psycopg(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from reelprov.ledger import libpq
    from reelprov.ledger.reader import Reader

    monkeypatch.delenv("REELPROV_PG_DRIVER", raising=False)
    monkeypatch.setattr(libpq, "candidates", lambda: ["/nonexistent/libpq.so.5"])
    libpq.library.cache_clear()
    try:
        rd = Reader(pg_url)
        try:
            assert rd.one("SELECT 'x' AS s") == {"s": "x"}
            assert not isinstance(rd._conns.get(), libpq.Connection)
        finally:
            rd.close()
    finally:
        monkeypatch.undo()
        libpq.library.cache_clear()
    assert libpq.library() is not None  # found again once the real places are searched


def test_a_reader_of_the_whole_ledger_keeps_psycopg(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify reads every entry: psycopg's C code converts a million rows faster than calls into libpq
    one value at a time, and its import does not matter there. REELPROV_PG_DRIVER decides for both."""
    from reelprov.ledger import libpq
    from reelprov.ledger.reader import Reader

    monkeypatch.delenv("REELPROV_PG_DRIVER", raising=False)
    for bulk, env, quick in ((False, None, True), (True, None, False), (True, "libpq", True), (False, "psycopg", False)):
        if env:
            monkeypatch.setenv("REELPROV_PG_DRIVER", env)
        rd = Reader(pg_url, bulk=bulk)
        try:
            assert rd.one("SELECT 1 AS one") == {"one": 1}
            assert isinstance(rd._conns.get(), libpq.Connection) == quick, (bulk, env)
        finally:
            rd.close()


def test_any_text_and_any_list_of_it_is_bound_as_it_is(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values are never formatted into SQL, but a list goes to libpq as an array literal written here:
    any member (quotes, backslashes, braces, commas, 'NULL', spaces) must arrive as itself."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from reelprov.ledger.reader import Reader

    monkeypatch.setenv("REELPROV_PG_DRIVER", "libpq")
    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
    rd = Reader(pg_url)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(s=text, items=st.lists(st.one_of(text, st.sampled_from(["NULL", "", " ", '"', "\\", "{}", ","])), max_size=8))
    def check(s: str, items: list[str]) -> None:
        assert rd.one("SELECT :s AS s", s=s) == {"s": s}
        got = rd.rows("SELECT x FROM unnest(CAST(:items AS text[])) WITH ORDINALITY AS u(x, n) ORDER BY n", items=items)
        assert [r["x"] for r in got] == items
        hits = rd.rows("SELECT x FROM unnest(CAST(:items AS text[])) AS u(x) WHERE x IN (SELECT value FROM json_each(:want))",
                       items=items, want=[s])
        assert len(hits) == items.count(s)

    try:
        check()
    finally:
        rd.close()
