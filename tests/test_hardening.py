"""Faults and contention: several processes on one ledger, repeated kill -9, a full disk."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    SAMPLES,
    SD_PARAMS,
    crashing_reader_command,
    run_cli,
    stalling_reader_command,
    write_png,
)
from tests.watch.test_daemon import wait_for

PY = sys.executable


def _cli_proc(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "reelprov", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _four_processes(root: Path, extra_env: dict[str, str]) -> None:
    env = {**os.environ, "REELPROV_PROJECT": str(root), **extra_env}
    for i in range(8):
        write_png(
            root / f"final/props/p{i}.png", {"parameters": SD_PARAMS + f", n{i}"}, color=(i, 1, 1)
        )
    assert _cli_proc(root, env, "scan").returncode == 0
    flags = [
        f
        for f in run_cli("flags", "--json", cwd=root, env=extra_env).json()
        if f["severity"] == "review"
    ]
    watcher = subprocess.Popen(
        [PY, "-m", "reelprov", "watch", "--settle", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: run_cli("status", "--json", cwd=root, env=extra_env).json().get("backend"),
            what="watcher up",
        )
        tagger = subprocess.Popen(
            [
                PY,
                "-c",
                (
                    "import sys; from reelprov.cli import main\n"
                    "for i in range(8):\n"
                    "    try: main(['tag', f'final/props/p{i}.png', '--tag', 'key_creative'])\n"
                    "    except SystemExit as e:\n"
                    "        if e.code: raise\n"
                ),
            ],
            cwd=root,
            env=env,
        )
        approver = subprocess.Popen(
            [
                PY,
                "-c",
                (
                    "import sys; from reelprov.cli import main\n"
                    f"for fid in {[f['id'] for f in flags]!r}:\n"
                    "    try: main(['waive', str(fid), '--by', 'QA', '--note', 'load test'])\n"
                    "    except SystemExit as e:\n"
                    "        if e.code: raise\n"
                ),
            ],
            cwd=root,
            env=env,
        )
        for i in range(12):
            write_png(root / f"incoming/n{i}.png", color=(i, 9, 9))
        scanner = subprocess.Popen(
            [PY, "-m", "reelprov", "scan"], cwd=root, env=env, stdout=subprocess.DEVNULL
        )
        for p in (tagger, approver, scanner):
            assert p.wait(120) == 0
        wait_for(
            lambda: (
                sum(
                    1
                    for a in run_cli("ls", "--json", cwd=root, env=extra_env).json()
                    if a["path"].startswith("incoming/")
                )
                == 12
            ),
            what="all incoming files recorded",
        )
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(20)
    v = run_cli("verify", "--json", cwd=root, env=extra_env)
    assert v.code == 0, v.out
    rows = {a["path"]: a for a in run_cli("ls", "--json", cwd=root, env=extra_env).json()}
    assert all("key_creative" in rows[f"final/props/p{i}.png"]["tags"] for i in range(8))
    statuses = {
        f["id"]: f["status"] for f in run_cli("flags", "--json", cwd=root, env=extra_env).json()
    }
    assert all(statuses[f["id"]] == "waived" for f in flags)
    seen = [
        e
        for a in rows
        for e in run_cli("history", a, "--json", cwd=root, env=extra_env).json()
        if e["kind"] == "seen"
    ]
    assert len(seen) == len(rows) == 20  # every file exactly once, none lost, none doubled


def test_four_processes_sqlite(show_root: Path) -> None:
    _four_processes(show_root, {})


@pytest.mark.postgres
def test_four_processes_postgres(show_root: Path, pg_url: str) -> None:
    _four_processes(show_root, {"REELPROV_DATABASE_URL": pg_url})


def test_repeated_kill_9_during_ingest(show_root: Path) -> None:
    """Fast version (5 kills, 300 files); benchmarks/hardening_kill9.py runs 20 kills over 1,000."""
    rng = random.Random(7)
    env = {**os.environ, "REELPROV_PROJECT": str(show_root)}
    n = 300
    for i in range(n):
        write_png(show_root / f"ingest/{i // 50}/{i:04d}.png", color=(i % 256, i // 256, 3))
    for _ in range(5):
        proc = subprocess.Popen(
            [PY, "-m", "reelprov", "watch", "--settle", "0.2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.4, 1.5))  # a random moment of the reconcile / ingest
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    r = run_cli("scan", "--json", cwd=show_root)
    assert r.code == 0
    con = sqlite3.connect(show_root / ".reelprov/ledger.db")
    seen = con.execute(
        "SELECT count(*), count(DISTINCT asset) FROM ledger_entry WHERE kind = 'seen'"
    ).fetchone()
    paths = con.execute("SELECT count(DISTINCT path) FROM asset WHERE deleted = 0").fetchone()[0]
    con.close()
    assert seen == (n, n) and paths == n
    assert run_cli("verify", cwd=show_root).code == 0
    # nothing outlives a killed watcher: its examining workers die with it, none keeps the ledger open
    ledger = str((show_root / ".reelprov/ledger.db").resolve())
    deadline = time.monotonic() + 10
    while (holders := _processes_with_open(ledger)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert holders == [], f"processes left holding {ledger}: {holders}"


def _processes_with_open(path: str) -> list[int]:
    out = []
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit() or int(pid_dir.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd).startswith(path) for fd in (pid_dir / "fd").iterdir()):
                out.append(int(pid_dir.name))
        except OSError:
            continue
    return out


def fill(disk: Path) -> Path:
    """Fill DISK to the last byte with one file (returned: delete it to free the space)."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.skip(
            f"cannot mount a small tmpfs to simulate a full disk here ({r.stderr.strip()}); needs root"
        )
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_is_a_clear_error_and_nothing_half_written(cli, tiny_disk: Path) -> None:
    root = tiny_disk / "show"
    root.mkdir()
    assert cli("init", str(root)).code == 0
    write_png(root / "a.png")
    assert cli("scan", cwd=root).code == 0
    head = cli("verify", "--json", cwd=root).json()["head"]
    for i in range(40):
        write_png(root / f"b/{i}.png", {"parameters": SD_PARAMS + "x" * 2000}, color=(i, 2, 2))
    filler = fill(tiny_disk)
    r = cli("scan", cwd=root)
    assert r.code == 2 and "full" in r.err and len(r.err.strip().splitlines()) == 1
    filler.unlink()
    v = cli("verify", "--json", cwd=root)
    assert v.code == 0 and v.json()["head"] == head  # nothing half-written
    assert cli("scan", cwd=root).code == 0 and cli("verify", cwd=root).code == 0


def test_a_watcher_whose_ledger_disk_fills_up_says_so_once_and_records_everything_after(
    show_root: Path, tiny_disk: Path, tmp_path: Path
) -> None:
    """The ledger on its own small disk (database_url), the media elsewhere: while the ledger's disk is
    full the watcher says so once (it logged an error every second), `status` says since when, and
    once space is freed every change made meanwhile is recorded."""
    from tests.watch.test_daemon import assets

    url = f"sqlite:///{tiny_disk}/ledger.db"
    env = {"REELPROV_DATABASE_URL": url}
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace('database_url = ""', f'database_url = "{url}"'))
    assert run_cli("init", str(show_root)).code == 0 and (tiny_disk / "ledger.db").exists()
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [PY, "-m", "reelprov", "watch", "--settle", "0.2"],
        env={**os.environ, "REELPROV_PROJECT": str(show_root)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )

    def status() -> dict:
        return run_cli("status", "--json", cwd=show_root, env=env).json()

    try:
        wait_for(lambda: status().get("reconciled_at"), what="watcher up")
        write_png(show_root / "a.png")
        wait_for(lambda: "a.png" in assets(show_root), what="a file recorded")
        filler = fill(tiny_disk)
        for i in range(40):
            write_png(
                show_root / f"b/{i}.png", {"parameters": SD_PARAMS + "x" * 2000}, color=(i, 2, 2)
            )
        wait_for(lambda: status().get("ledger_unreachable_since"), what="the full disk noticed")
        time.sleep(4)  # the outage goes on: said once, not once a second
        assert status()["running"]
        filler.unlink()
        wait_for(
            lambda: sum(p.startswith("b/") for p in assets(show_root)) == 40,
            what="everything recorded",
        )
        wait_for(
            lambda: status()["ledger_unreachable_since"] is None, what="status says it is over"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    text = log.read_text()
    assert proc.returncode == 0, text
    errors = [line for line in text.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "full" in errors[0], text
    assert text.count("the ledger is reachable again") == 1, text
    assert run_cli("verify", cwd=show_root).code == 0


def test_a_file_whose_reading_crashes_the_reader_is_recorded_unread_and_the_scan_goes_on(
    show_root: Path,
) -> None:
    """A reader library's native code crashing on a damaged or hostile file (a segfault, an abort)
    killed the examining worker: the scan stopped with a BrokenProcessPool traceback and recorded
    nothing, and the watcher, which reconciles with a scan on every start, could not start again.
    Now the chunk that was being read is read again a file at a time, each in its own process; the
    file that crashes it is recorded unread (hash, type, origin unknown) with a row saying why.
    (The scans run in processes of their own: a regression would end the test run.)"""
    from reelprov.recording.pool import CRASHED

    def scan() -> dict[str, object]:
        p = subprocess.run(
            crashing_reader_command("scan", "--json"),
            cwd=show_root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert "Traceback" not in p.stderr
        return json.loads(p.stdout)

    def unread(rel: str) -> bool:
        shown = run_cli("show", rel, "--json", cwd=show_root).json()
        return (shown["origin"], shown["media_type"], [e["detail"] for e in shown["evidence"]]) == (
            "unknown",
            "image/png",
            [CRASHED],
        )

    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace("settle_seconds = 2.0", "settle_seconds = 2.0\nworkers = 2")
    )
    for i in range(70):
        write_png(
            show_root / f"final/sh{i:03d}.png",
            {"parameters": SD_PARAMS + f", n{i}"},
            color=(i, 2, 3),
        )
    write_png(
        show_root / "final/sh010_hostile.png", {"parameters": SD_PARAMS}
    )  # says AI: must not be read
    write_png(show_root / "final/sh050_hostile.png", color=(9, 9, 9))
    rep = scan()
    assert (rep["seen"], rep["errors"]) == (72, [])
    assert unread("final/sh010_hostile.png") and unread("final/sh050_hostile.png")
    others = [
        a for a in run_cli("ls", "--json", cwd=show_root).json() if "hostile" not in a["path"]
    ]
    assert len(others) == 70 and {a["origin"] for a in others} == {
        "ai_generated"
    }  # read, those beside them too
    assert run_cli("verify", cwd=show_root).code == 0

    # One such file arriving alone (what a watcher restarted after reading it finds on reconciling):
    # it was read in the scan's own process, so the scan died with it.
    write_png(show_root / "final/late_hostile.png", {"parameters": SD_PARAMS + ", late"})
    assert scan()["seen"] == 1
    assert unread("final/late_hostile.png")
    assert run_cli("verify", cwd=show_root).code == 0


def _png_with_xmp(path: Path, xmp: bytes) -> None:
    """A small PNG whose compressed iTXt XML:com.adobe.xmp chunk holds XMP (4 MiB of it compress to KB)."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode("latin-1"), zip=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (1, 2, 3)).save(path, "PNG", pnginfo=info)


@pytest.mark.timeout(120)
def test_an_xmp_packet_of_one_long_word_is_read_in_linear_time(show_root: Path) -> None:
    """A 4 KB PNG whose compressed XMP holds 4 MiB of `a` hung every scan (0 of 52 files recorded)
    and the watcher's reconcile: the DigitalSourceType pattern was quadratic on long word runs."""
    _png_with_xmp(
        show_root / "final/redos.png", b"<x:xmpmeta>" + b"a" * (4 << 20) + b"</x:xmpmeta>"
    )
    _png_with_xmp(
        show_root / "final/ai.png",
        b"<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType="
        b'"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></x:xmpmeta>',
    )
    assert (show_root / "final/redos.png").stat().st_size < 16_000
    for i in range(10):
        write_png(show_root / f"final/plate{i}.png", color=(i, 1, 1))
    r = run_cli("scan", "--json", cwd=show_root)
    assert r.code == 0 and r.json()["seen"] == 12, r.err
    origins = {a["path"]: a["origin"] for a in run_cli("ls", "--json", cwd=show_root).json()}
    assert origins["final/ai.png"] == "ai_generated" and origins["final/redos.png"] == "unknown"


@pytest.mark.timeout(180)
def test_a_file_that_stalls_its_reader_is_recorded_unread_after_the_read_deadline(
    show_root: Path,
) -> None:
    """Bound every file's reading: a reader stuck in native code on one file is stopped after
    [scan] read_timeout_seconds, that file recorded unread saying so, and the scan goes on."""
    from reelprov.recording.pool import timed_out

    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text()
        .replace("read_timeout_seconds = 60", "read_timeout_seconds = 2")
        .replace("settle_seconds = 2.0", "settle_seconds = 2.0\nworkers = 2")
    )
    for i in range(60):
        write_png(
            show_root / f"final/sh{i:03d}.png",
            {"parameters": SD_PARAMS + f", n{i}"},
            color=(i, 2, 3),
        )
    write_png(show_root / "final/sh030_stalling.png", {"parameters": SD_PARAMS})
    p = subprocess.run(
        stalling_reader_command("scan", "--json"),
        cwd=show_root,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["seen"] == 61
    shown = run_cli("show", "final/sh030_stalling.png", "--json", cwd=show_root).json()
    assert shown["origin"] == "unknown" and [e["detail"] for e in shown["evidence"]] == [
        timed_out(2)
    ]
    others = [
        a for a in run_cli("ls", "--json", cwd=show_root).json() if "stalling" not in a["path"]
    ]
    assert len(others) == 60 and {a["origin"] for a in others} == {"ai_generated"}
    assert run_cli("verify", cwd=show_root).code == 0


@pytest.mark.timeout(120)
def test_sigterm_stops_the_watcher_in_the_middle_of_a_reconcile(show_root: Path) -> None:
    """SIGTERM was ignored while a reconcile hung on a file: the watcher must stop within its stop
    timeout whatever it is reading (here with no read deadline at all)."""
    import signal
    import time

    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("read_timeout_seconds = 60", "read_timeout_seconds = 0"))
    write_png(show_root / "final/a_stalling.png", {"parameters": SD_PARAMS})
    log = show_root.parent / "watch.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            stalling_reader_command("watch", "--settle", "0.2"),
            cwd=show_root,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while (
            "reconcil" not in log.read_text()
            and "watching" not in log.read_text()
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        time.sleep(2)  # well inside the stalled read
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        assert time.monotonic() - t < 15
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()
    assert "stopping in the middle of a reconcile" in log.read_text()
    assert run_cli("verify", cwd=show_root).code == 0
    # no reading process is left behind
    left = subprocess.run(
        ["pgrep", "-f", "stalling"], capture_output=True, text=True
    ).stdout.split()
    assert str(proc.pid) not in left and not [p for p in left if p != str(os.getpid())]


@pytest.mark.timeout(60)
def test_a_fifo_in_a_files_place_hangs_neither_reading_nor_the_report_nor_the_gate(
    show_root: Path,
) -> None:
    """A file replaced by a FIFO after the walk hung scan forever; a recorded image replaced by a
    FIFO hung the report's thumbnails and the pre-delivery gate."""
    from reelprov.extract import ReadFailure
    from reelprov.recording.pool import _examine_one

    write_png(show_root / "final/castle.png", {"parameters": SD_PARAMS})
    assert run_cli("scan", cwd=show_root).code == 0
    for f in run_cli("flags", "--json", cwd=show_root).json():
        assert (
            run_cli("approve", str(f["id"]), "--by", "J. Park", "--ref", "L-1", cwd=show_root).code
            == 0
        )
    (show_root / "final/castle.png").unlink()
    os.mkfifo(show_root / "final/castle.png")
    # what a worker does with a path the walk saw as a file
    res = _examine_one((str(show_root / "final/castle.png"), "final/castle.png", 0, None, True))
    assert res == ReadFailure(
        "final/castle.png", "cannot read: it is a FIFO now, not a regular file"
    )
    r = run_cli("report", "--fail-on", "review", cwd=show_root)
    assert r.code == 1 and "CHANGED: final/castle.png: it is no longer a regular file" in r.err
    r = run_cli("scan", "--json", cwd=show_root)
    assert r.code == 0


def test_an_empty_ledger_file_is_refused_not_started_over(cli, show_root: Path) -> None:
    """A 0-byte ledger file became a new empty history: verify said "intact: 0 entries" and scan
    migrated it and started over, losing approvals."""
    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root).code == 0
    ledger = show_root / ".reelprov/ledger.db"
    for extra in ("-wal", "-shm"):
        Path(str(ledger) + extra).unlink(missing_ok=True)
    ledger.write_bytes(b"")
    for args in (
        ["verify"],
        ["scan"],
        ["ls"],
        ["report", "--fail-on", "review"],
        ["db", "upgrade"],
    ):
        r = cli(*args, cwd=show_root)
        assert (
            r.code == 2
            and "the ledger file is empty or holds no reelprov ledger" in r.err
            and "backup" in r.err
        ), args
    assert ledger.stat().st_size == 0  # nothing was written into it
    sqlite3.connect(ledger).close()  # a valid SQLite file without a ledger in it: the same
    assert cli("scan", cwd=show_root).code == 2


def test_sidecars_are_bounded_and_never_followed_through_a_link(
    cli, show_root: Path, tmp_path: Path
) -> None:
    """A 1.5 GB sparse .c2pa sidecar took 3.1 GB of memory; sidecar links were followed out of the project."""
    write_png(show_root / "final/a.png")
    with open(show_root / "final/a.c2pa", "wb") as f:  # sparse: takes no disk
        f.truncate(1_500_000_000)
    outside = tmp_path / "elsewhere.xmp"
    outside.write_text(
        '<x:xmpmeta><rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/'
        'digitalsourcetype/digitalCapture"/></x:xmpmeta>'
    )
    write_png(show_root / "final/b.png", color=(3, 3, 3))
    (show_root / "final/b.xmp").symlink_to(outside)
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource, sys\nfrom reelprov.cli import main\n"
            "try: main(sys.argv[1:])\nexcept SystemExit: pass\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)",
            "scan",
        ],
        cwd=show_root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert int(r.stderr.split()[-1]) < 400_000  # KiB: the readers never took the sidecar in
    a = cli("show", "final/a.png", "--json", cwd=show_root).json()
    assert a["c2pa"]["state"] == "invalid" and any(
        "over 33,554,432 bytes; not read" in e["detail"] for e in a["evidence"]
    )
    b = cli("show", "final/b.png", "--json", cwd=show_root).json()
    assert b["origin"] == "unknown"  # the link's target (a capture claim) was not read
    assert any(
        "a symbolic link; sidecars are read only as files of their own" in e["detail"]
        for e in b["evidence"]
    )


def test_a_file_growing_while_it_is_read_says_so(show_root: Path) -> None:
    from reelprov.extract import examine

    path = show_root / "final/growing.png"
    write_png(path)
    import reelprov.hashing as h

    real = h._moved
    try:
        h._moved = lambda f, size, mtime_ns: (
            True
        )  # the writer appended between the read and the check
        res = examine(str(path), "final/growing.png")
    finally:
        h._moved = real
    assert res.evidence[0]["detail"].startswith(
        "the file changed while it was read (still being written?)"
    )


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_path_longer_than_a_btree_row_is_recorded(
    cli, show_root: Path, database: str, request: pytest.FixtureRequest
) -> None:
    """One path over ~2.7 KB (legal on Linux) exceeded PostgreSQL's btree row limit: scan exited
    with nothing recorded and the watcher crash-looped."""
    import secrets

    env = {}
    if database == "postgres":
        env = {"REELPROV_DATABASE_URL": request.getfixturevalue("pg_url")}
    folder = "final/" + "/".join(
        secrets.token_hex(110) for _ in range(14)
    )  # incompressible, ~3.1 KB
    assert len(folder) > 3000
    write_png(show_root / folder / "deep.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/short.png", color=(4, 4, 4))
    r = cli("scan", "--json", cwd=show_root, env=env)
    assert r.code == 0 and r.json()["seen"] == 2, r.err
    rel = f"{folder}/deep.png"
    a = cli("show", rel, "--json", cwd=show_root, env=env).json()
    assert a["origin"] == "ai_generated" and a["path"] == rel
    assert [
        x["path"] for x in cli("ls", folder[:40] + "*", "--json", cwd=show_root, env=env).json()
    ] == [rel]
    assert [
        x["path"] for x in cli("ls", folder[:3100] + "*", "--json", cwd=show_root, env=env).json()
    ] == [rel]
    assert cli("tag", rel, "--tag", "talent_likeness", cwd=show_root, env=env).code == 0
    assert (
        cli("scan", "--json", cwd=show_root, env=env).json()["unchanged"] == 2
    )  # the cache holds it
    (show_root / folder / "deep.png").rename(show_root / folder / "deeper.png")
    assert cli("scan", "--json", cwd=show_root, env=env).json()["moved"] == 1
    assert cli("verify", cwd=show_root, env=env).code == 0


def test_content_swapped_with_the_same_size_and_mtime_is_noticed(cli, show_root: Path) -> None:
    """New content padded to the same size with the mtime restored (`touch -r`), or renamed over the
    approved file: scan and the watcher said unchanged, the approval stayed, the gate passed."""
    write_png(show_root / "final/castle.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    assert (
        cli(
            "approve",
            "--path",
            "final/castle.png",
            "--by",
            "J. Park",
            "--ref",
            "L-1",
            cwd=show_root,
        ).code
        == 0
    )
    path = show_root / "final/castle.png"
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x55
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    r = cli("scan", "--json", cwd=show_root)
    assert r.json()["changed"] == 1, r.out
    flags = cli("flags", "final/castle.png", "--json", cwd=show_root).json()
    assert {f["status"] for f in flags} == {"open"} and all(
        "content changed since it was approved" in f["reason"] for f in flags
    )
    # the same again by renaming another file of the same size and mtime over it
    assert (
        cli(
            "approve",
            "--path",
            "final/castle.png",
            "--by",
            "J. Park",
            "--ref",
            "L-2",
            cwd=show_root,
        ).code
        == 0
    )
    st = path.stat()
    other = show_root / "final/.swap"
    data[-31] ^= 0x55
    other.write_bytes(bytes(data))
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    other.rename(path)
    assert cli("scan", "--json", cwd=show_root).json()["changed"] == 1
    assert cli("verify", cwd=show_root).code == 0


def test_anchoring_is_routine_and_a_ledger_cut_short_or_wiped_fails_the_gate(
    cli, show_root: Path
) -> None:
    """The chain proved integrity only against anchors someone typed: every report, `reelprov
    anchor` and the watcher keep the head outside the database, and verify and the gate check
    every anchor kept, so a ledger rewritten, cut short or wiped fails without anyone typing one."""
    from reelprov.config import default_anchor_file as default_file
    from reelprov.config import load

    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root).code == 0
    r = cli("report", "--fail-on", "review", "--json", cwd=show_root)
    assert r.code == 0, r.err
    anchors = default_file(load(show_root).project_id)
    assert r.json()["anchored"]["recorded_in"] == [str(anchors)]
    head = r.json()["ledger_head"]
    assert json.loads(anchors.read_text().splitlines()[-1])["seq"] == head["seq"]
    assert "1 anchor found as recorded" in cli("verify", cwd=show_root).out
    write_png(show_root / "final/b.png", color=(6, 6, 6))
    assert cli("scan", cwd=show_root).code == 0
    r = cli("anchor", "--json", cwd=show_root)
    assert r.code == 0 and r.json()["seq"] > head["seq"]
    top = r.json()["seq"]
    # the last entries lost (a WAL lost to kill -9, an old copy restored): cut short
    conn = sqlite3.connect(show_root / ".reelprov/ledger.db")
    with conn:
        conn.execute("DELETE FROM ledger_entry WHERE seq > ?", (head["seq"],))
    conn.close()
    assert cli("db", "rebuild", cwd=show_root).code == 0  # the tables agree with what is left
    r = cli("verify", cwd=show_root)
    assert (
        r.code == 1
        and f"TAMPERED: entry {top}: not in the ledger any more (it ends at #{head['seq']})"
        in r.err
    )
    r = cli("report", "--fail-on", "block", "--format", "json", "--output", "-", cwd=show_root)
    assert r.code == 1 and "the ledger does not verify" in r.err
    # wiped and started over
    for extra in ("", "-wal", "-shm"):
        Path(str(show_root / ".reelprov/ledger.db") + extra).unlink(missing_ok=True)
    assert cli("init", str(show_root), cwd=show_root).code == 0
    r = cli("verify", cwd=show_root)
    assert r.code == 1 and "history was cut short" in r.err


def test_an_anchor_file_with_two_hashes_for_one_entry_fails_verify(
    cli, show_root: Path, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors.jsonl"
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            "auto_upgrade = true", f'auto_upgrade = true\nanchor_file = "{anchors}"'
        )
    )
    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root).code == 0
    assert cli("anchor", cwd=show_root).code == 0
    line = json.loads(anchors.read_text())
    anchors.write_text(anchors.read_text() + json.dumps({**line, "hash": "0" * 64}) + "\n")
    r = cli("verify", cwd=show_root)
    assert (
        r.code == 1
        and f"entry {line['seq']}: the anchor file {anchors} holds two different hashes" in r.err
    )
    # a link planted at the anchor file's name is never written through
    anchors.unlink()
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    anchors.symlink_to(victim)
    r = cli("anchor", cwd=show_root)
    assert r.code == 2 and victim.read_text() == "keep\n"


def test_the_anchor_is_posted_to_a_url(cli, show_root: Path) -> None:
    import http.server
    import threading

    got: list[dict[str, object]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/anchors"
        write_png(show_root / "final/a.png")
        assert cli("scan", cwd=show_root).code == 0
        r = cli("anchor", "--url", url, "--json", cwd=show_root)
        assert r.code == 0 and url in r.json()["recorded_in"]
        assert got and got[0]["seq"] == r.json()["seq"] and got[0]["hash"] == r.json()["hash"]
    finally:
        server.shutdown()
        server.server_close()
    r = cli("anchor", "--url", url, cwd=show_root)  # the server is gone: said, exit 2
    assert r.code == 2 and "cannot anchor in http://127.0.0.1" in r.err


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_values_longer_than_the_ledger_keeps_are_named(
    cli, show_root: Path, database: str, request: pytest.FixtureRequest
) -> None:
    """A cut name over 300 characters or an actor over 200 gave "cannot open the ledger database"
    on PostgreSQL (and were kept on SQLite): say which value is too long, on both alike."""
    env = (
        {"REELPROV_DATABASE_URL": request.getfixturevalue("pg_url")}
        if database == "postgres"
        else {}
    )
    write_png(show_root / "final/a.png")
    assert cli("scan", cwd=show_root, env=env).code == 0
    edl = show_root / "r.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX  V  C  00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
        "* FROM CLIP NAME: a.png\n"
    )
    head = cli("verify", "--json", cwd=show_root, env=env).json()["head"]["seq"]
    r = cli("cut", "import", str(edl), "--name", "R" * 301, cwd=show_root, env=env)
    assert r.code == 2 and "a cut name of 301 characters; the ledger keeps at most 300" in r.err
    r = cli(
        "--actor", "A" * 201, "tag", "final/a.png", "--tag", "key_creative", cwd=show_root, env=env
    )
    assert (
        r.code == 2
        and "the actor name is 201 characters long; the ledger keeps at most 200" in r.err
    )
    assert cli("verify", "--json", cwd=show_root, env=env).json()["head"]["seq"] == head


def test_no_control_character_or_bare_link_reaches_a_terminal_or_markdown(
    cli, show_root: Path
) -> None:
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    write_png(
        show_root / "final/see http:__evil.example or www.evil.example.png",
        {"parameters": SD_PARAMS},
        color=(7, 7, 7),
    )
    assert cli("scan", cwd=show_root).code == 0
    r = cli(
        "approve",
        "1",
        "--by",
        "J. Park\x1b]0;owned\x07\x1b[2J",
        "--ref",
        "L\x1b[31m-1",
        cwd=show_root,
    )
    assert r.code == 0 and "\x1b" not in r.out and "\x07" not in r.out
    md = cli("report", "--format", "md", "--output", "-", cwd=show_root).out
    assert "http:__evil" in md and "www\\.evil.example" in md and " www.evil" not in md
    assert "\x1b" not in md


def test_following_links_stays_inside_the_project_and_listed_mounts(
    cli, show_root: Path, tmp_path: Path
) -> None:
    """With follow_symlinks = true nothing kept the walk inside the project: 1,147 files from /etc
    were recorded."""
    media = tmp_path / "media"
    write_png(media / "plate.png", color=(1, 1, 1))
    secrets_dir = tmp_path / "secrets"
    secrets_dir.mkdir()
    (secrets_dir / "passwd").write_text("root:x:0:0\n")
    write_png(show_root / "final/real.png")
    (show_root / "final/etc").symlink_to(secrets_dir)
    (show_root / "final/passwd_link").symlink_to(secrets_dir / "passwd")
    (show_root / "final/media").symlink_to(media)
    cfg = show_root / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace(
            "settle_seconds = 2.0", "settle_seconds = 2.0\nfollow_symlinks = true"
        )
    )
    r = cli("scan", "--json", cwd=show_root)
    assert r.code == 0
    paths = {a["path"] for a in cli("ls", "--json", cwd=show_root).json()}
    assert paths == {"final/real.png"}
    errors = {e["path"]: e["error"] for e in r.json()["errors"]}
    assert errors["final/etc"].startswith(
        f"symbolic link to {secrets_dir}, outside the project: not followed"
    )
    assert "final/passwd_link" in errors and "final/media" in errors
    cfg.write_text(
        cfg.read_text().replace(
            "follow_symlinks = true", f'follow_symlinks = true\nsymlink_targets = ["{media}"]'
        )
    )
    assert cli("scan", cwd=show_root).code == 0
    paths = {a["path"] for a in cli("ls", "--json", cwd=show_root).json()}
    assert paths == {"final/real.png", "final/media/plate.png"}


@pytest.mark.timeout(60)
def test_thousands_of_compressed_text_chunks_cost_one_budget(show_root: Path) -> None:
    """An 8 MB PNG of 1,000 zTXt chunks, each inflating to 8 MiB, took 143 s to read."""
    import struct
    import zlib

    from reelprov.extract import examine

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    path = write_png(show_root / "bomb.png")
    png = path.read_bytes()
    body = zlib.compress(b"a" * (8 << 20), 9)
    path.write_bytes(
        png[:33]
        + b"".join(chunk(b"zTXt", b"k%d\x00\x00" % i + body) for i in range(1000))
        + png[33:]
    )
    t = time.monotonic()
    res = examine(str(path), "bomb.png")
    assert time.monotonic() - t < 30
    details = [e["detail"] for e in res.evidence]
    assert len(details) == 2 and "the rest were not read" in details[1]


def test_a_watcher_started_on_a_full_ledger_disk_waits_and_reconciles_when_space_is_back(
    show_root: Path, tiny_disk: Path, tmp_path: Path
) -> None:
    """The watcher exited on a full disk during its first reconcile (under systemd: a crash loop);
    it waits and retries as it does for a lost ledger."""
    from tests.watch.test_daemon import assets

    url = f"sqlite:///{tiny_disk}/ledger.db"
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace('database_url = ""', f'database_url = "{url}"'))
    assert run_cli("init", str(show_root)).code == 0
    for i in range(40):
        write_png(show_root / f"b/{i}.png", {"parameters": SD_PARAMS + "x" * 2000}, color=(i, 3, 3))
    filler = fill(tiny_disk)
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [PY, "-m", "reelprov", "watch", "--settle", "0.2"],
        env={**os.environ, "REELPROV_PROJECT": str(show_root)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        wait_for(lambda: "waiting for the ledger" in log.read_text(), what="the full disk noticed")
        time.sleep(3)  # tried again, said once
        assert proc.poll() is None, log.read_text()
        assert log.read_text().count("waiting for the ledger") == 1, log.read_text()
        filler.unlink()
        wait_for(
            lambda: len(assets(show_root)) == 40,
            timeout=60,
            what="the first reconcile done when space is back",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0, log.read_text()


def _flatten(top: Path) -> None:
    """Remove a chain of folders too deep for shutil.rmtree (it recurses, and paths overflow):
    each step moves TOP's child up beside it and removes TOP, one level at a time."""
    spare = top.with_name(top.name + ".up")
    while top.is_dir():
        for entry in os.listdir(top):
            if entry != "d":
                os.unlink(top / entry)
        if (top / "d").is_dir():
            os.rename(top / "d", spare)
            os.rmdir(top)
            os.rename(spare, top)
        else:
            os.rmdir(top)


def test_folders_deeper_than_the_path_limit_are_said_and_everything_above_is_recorded(
    cli, show_root: Path, request: pytest.FixtureRequest
) -> None:
    """Issue 23's bad input: a tree 2,100 folders deep, its deepest paths over the system's limit
    (PATH_MAX, 4,096 bytes), which no program can open by path. The scan records every file it
    can open, says which folder it could not list, why and what to do, in one bounded line (the
    JSON keeps the whole path), and nothing recorded is lost."""
    request.addfinalizer(lambda: _flatten(show_root / "d"))
    fd = os.open(show_root, os.O_RDONLY)
    top = fd
    for depth in range(1, 2101):
        os.mkdir("d", dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        if fd != top:
            os.close(fd)
        fd = nxt
        if depth in (1, 1000, 2100):  # the last one is past the limit
            f = os.open("frame.png", os.O_WRONLY | os.O_CREAT, dir_fd=fd)
            os.write(f, (SAMPLES / "plain/no_metadata.png").read_bytes() + str(depth).encode())
            os.close(f)
    os.close(fd)
    os.close(top)
    r = cli("scan", cwd=show_root)
    assert r.code == 0, r.err
    assert r.out.startswith("2 files: 2 new")
    [line] = [x for x in r.err.splitlines() if x.startswith("skipped ")]
    assert "over this system's limit" in line and "move them to a folder nearer" in line
    assert len(line) < 500 and "characters)..." in line
    data = cli("scan", "--json", cwd=show_root).json()
    assert data["unchanged"] == 2
    [e] = data["errors"]
    # PATH_MAX (4,096) counts the byte that ends a path: 4,095 bytes is the longest that opens
    size = len(os.fsencode(str(show_root / e["path"])))
    assert size >= os.pathconf("/", "PC_PATH_MAX")
    limit = os.pathconf("/", "PC_PATH_MAX") - 1
    assert f"its path is {size:,} bytes, over this system's limit ({limit:,})" in e["error"]
    assert {a["path"].count("/") for a in cli("ls", "--json", cwd=show_root).json()} == {1, 1000}
    assert cli("verify", cwd=show_root).code == 0


def test_names_at_the_length_limit(cli, show_root: Path) -> None:
    """Issue 23's bad input: file and folder names of 255 bytes (NAME_MAX), in ASCII and in
    multi-byte UTF-8 (their sidecar names would be too long to exist): recorded, listed, tagged,
    moved, reported and verified like any other."""
    folder = show_root / "final" / ("f" * 255)
    folder.mkdir(parents=True)
    names = ["a" * 251 + ".png", "日" * 83 + ".png", "é" * 125 + ".png"]
    for n in names:
        write_png(folder / n, {"parameters": SD_PARAMS})
    assert max(len(n.encode()) for n in names) == 255
    r = cli("scan", "--json", cwd=show_root)
    assert r.code == 0 and r.json()["seen"] == 3 and not r.json()["errors"], r.out
    listed = cli("ls", "--json", cwd=show_root).json()
    assert sorted(a["path"].rsplit("/", 1)[1] for a in listed) == sorted(names)
    assert {a["origin"] for a in listed} == {"ai_generated"}
    first = f"final/{'f' * 255}/{names[0]}"
    assert cli("tag", first, "--tag", "story_relevant", cwd=show_root).code == 0
    (folder / names[1]).rename(folder / "moved.png")
    assert cli("scan", "--json", cwd=show_root).json()["moved"] == 1
    r = cli("report", "--format", "json", "--no-verify", cwd=show_root)
    assert r.code == 0, r.err
    report = (show_root / r.out.strip()).read_text(encoding="utf-8")
    assert all(json.dumps(n)[1:-1] in report or n in report for n in [names[0], "moved.png"])
    assert cli("verify", cwd=show_root).code == 0
