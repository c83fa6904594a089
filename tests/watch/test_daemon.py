"""The watcher with real watchdog observers and real processes; waits on conditions, never bare sleeps."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    SD_PARAMS,
    as_ordinary_user,
    crashing_reader_command,
    run_cli,
    stalling_reader_command,
    write_png,
)
from tests.pg_link import Link


def wait_for(cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_watcher(
    root: Path, cmd: list[str], env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """A watcher run as CMD in a process of its own (stderr kept), once `status` says it is up."""
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(
            lambda: run_cli("status", "--json", cwd=root).json().get("backend"), what="watcher up"
        )
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc


def assets(root: Path) -> dict[str, dict]:
    r = run_cli("ls", "--json", cwd=root)
    return {a["path"]: a for a in r.json()} if r.code == 0 else {}


@contextlib.contextmanager
def running_watcher(root: Path, **kw: Any) -> Iterator[Any]:
    """A watcher on ROOT in a thread, observing and reconciled; stopped and closed afterwards."""
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    p = Project.open(root)
    w = Watcher(p, **kw)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_for(
            lambda: w.observer is not None and w.state.reconciled_at,
            what="observing and reconciled",
        )
        yield w
    finally:
        w.stop()
        t.join(15)
        p.close()


@pytest.fixture(params=["inotify", "polling"])
def watcher(request: pytest.FixtureRequest, show_root: Path) -> Iterator[tuple[Path, Any]]:
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    write_png(
        show_root / "before/existing.png"
    )  # there before the daemon starts: reconcile records it
    p = Project.open(show_root)
    w = Watcher(p, poll=0.2 if request.param == "polling" else None, settle=0.3)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    wait_for(
        lambda: w.observer is not None and w.state.reconciled_at, what="observing and reconciled"
    )
    yield show_root, w
    w.stop()
    t.join(15)
    assert not t.is_alive(), "watcher thread leaked"
    p.close()


def test_create_modify_move_delete_and_folder_move(watcher: tuple[Path, Any]) -> None:
    root, w = watcher
    assert "before/existing.png" in assets(root)
    write_png(root / "temp/a.png", {"parameters": SD_PARAMS})
    a = wait_for(lambda: assets(root).get("temp/a.png"), what="create recorded")
    assert a["origin"] == "ai_generated"
    write_png(root / "temp/a.png", color=(200, 1, 1))
    wait_for(
        lambda: (x := assets(root).get("temp/a.png")) and x["sha256"] != a["sha256"],
        what="modify recorded",
    )
    os.rename(root / "temp/a.png", root / "temp/b.png")
    b = wait_for(lambda: assets(root).get("temp/b.png"), what="rename recorded")
    assert b["id"] == a["id"] and "temp/a.png" not in assets(root)
    write_png(root / "shots/sh010/x.png", color=(1, 1, 1))
    write_png(root / "shots/sh010/y.png", color=(2, 2, 2))
    wait_for(
        lambda: {"shots/sh010/x.png", "shots/sh010/y.png"} <= set(assets(root)), what="folder files"
    )
    ids = {p: assets(root)[p]["id"] for p in ("shots/sh010/x.png", "shots/sh010/y.png")}
    shutil.move(str(root / "shots/sh010"), str(root / "shots/sh020"))
    moved = wait_for(
        lambda: {"shots/sh020/x.png", "shots/sh020/y.png"} <= set(now := assets(root)) and now,
        what="folder move",
    )
    assert {moved[f"shots/sh020/{n}.png"]["id"] for n in "xy"} == set(ids.values())
    os.remove(root / "temp/b.png")
    wait_for(lambda: "temp/b.png" not in assets(root), what="delete recorded")
    hist = [e["kind"] for e in run_cli("history", "temp/b.png", "--json", cwd=root).json()]
    assert hist.count("seen") == 1 and "moved" in hist and hist[-1] == "deleted"
    assert run_cli("verify", cwd=root).code == 0


def test_a_sidecar_arriving_after_its_file_updates_the_files_evidence(
    watcher: tuple[Path, Any],
) -> None:
    """Vendors often send the declaration after the media: adding, editing or removing NAME.xmp or
    NAME.ext.reelprov.json re-reads NAME, whose content did not change."""
    import json as _json

    root, w = watcher
    plate = write_png(root / "vfx/plate.png", color=(9, 9, 9))
    first = wait_for(lambda: assets(root).get("vfx/plate.png"), what="plate recorded")
    assert first["origin"] == "unknown"
    decl = root / "vfx/plate.png.reelprov.json"
    decl.write_text(
        _json.dumps(
            {
                "reelprov_declaration": 1,
                "origin": "ai_composite",
                "tool": "Runway Gen-4",
                "by": "Vendor X",
            }
        )
    )
    got = wait_for(
        lambda: (a := assets(root).get("vfx/plate.png")) and a["origin"] == "ai_composite" and a,
        what="declaration read",
    )
    assert (
        got["id"] == first["id"]
        and got["sha256"] == first["sha256"]
        and got["tools"] == ["Runway Gen-4"]
    )
    decl.unlink()
    wait_for(
        lambda: (a := assets(root).get("vfx/plate.png")) and a["origin"] == "unknown",
        what="declaration removed",
    )
    hist = run_cli("history", str(plate.relative_to(root)), "--json", cwd=root).json()
    # three readings: the seen entry's own, then one per sidecar change
    assert [e["kind"] for e in hist if "evidence" in e["payload"]] == [
        "seen",
        "evidence",
        "evidence",
    ]
    assert run_cli("verify", cwd=root).code == 0


def test_own_writes_do_not_reach_the_queue(watcher: tuple[Path, Any]) -> None:
    """The ledger and status file live in .reelprov/ under the watched root: their writes (every
    second, and on every batch) must not be queued as events, or a big reconcile floods the queue."""
    root, w = watcher
    before = w.state.events
    time.sleep(2.5)  # the status file is rewritten every second meanwhile
    assert w.state.events == before
    write_png(root / "temp/one.png")
    wait_for(lambda: "temp/one.png" in assets(root), what="one file recorded")
    time.sleep(1.0)  # the file's own events (and its folder's) have arrived
    settled = w.state.events
    time.sleep(2.5)
    assert w.state.events == settled  # writing its entries to the ledger added none


def test_burst_of_files_all_recorded(watcher: tuple[Path, Any]) -> None:
    """Files arriving together are read in parallel by the examining threads: every one lands."""
    root, w = watcher
    names = [f"burst/b{i:03d}.png" for i in range(120)]
    for i, rel in enumerate(names):
        write_png(root / rel, color=(i % 256, 7, 7))
    wait_for(lambda: set(names) <= set(assets(root)), timeout=60, what="all 120 files recorded")
    hist = run_cli("verify", "--json", cwd=root).json()
    assert hist["ok"]


def test_slow_copy_recorded_once_with_final_hash(watcher: tuple[Path, Any]) -> None:
    root, w = watcher
    target = root / "plates/slow.mov"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as f:
        for _ in range(8):
            f.write(os.urandom(64 * 1024))
            f.flush()
            time.sleep(0.15)  # a slow network copy: writes arrive over ~1.2 s
    import hashlib

    final = hashlib.sha256(target.read_bytes()).hexdigest()
    got = wait_for(lambda: assets(root).get("plates/slow.mov"), what="slow copy recorded")
    assert got["sha256"] == final
    hist = [e["kind"] for e in run_cli("history", "plates/slow.mov", "--json", cwd=root).json()]
    assert hist.count("seen") == 1 and "changed" not in hist


def test_second_watcher_refused_and_status(watcher: tuple[Path, Any]) -> None:
    root, w = watcher
    r = run_cli("watch", cwd=root)
    assert r.code == 2 and "already running" in r.err
    wait_for(
        lambda: run_cli("status", "--json", cwd=root).json().get("backend"), what="status file"
    )
    st = run_cli("status", "--json", cwd=root).json()
    assert st["running"] and st["pid"] == os.getpid()
    assert st["reconciled_at"]  # the fixture waited for the first reconcile
    text = run_cli("status", cwd=root).out
    assert "watcher running" in text and f"last reconcile {st['reconciled_at']}" in text


def test_hooks_run_on_events(show_root: Path) -> None:
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    hooks = show_root / "hooks"
    out = show_root / "events.jsonl"
    hook = hooks / "all.capture"
    hook.write_text(f"#!/bin/sh\ncat >> '{out}'\necho >> '{out}'\n")
    hook.chmod(0o755)
    (hooks / "flag-raised.fail").write_text("#!/bin/sh\nexit 3\n")
    (hooks / "flag-raised.fail").chmod(0o755)
    p = Project.open(show_root)
    w = Watcher(p, settle=0.2)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    wait_for(
        lambda: w.observer is not None and w.state.reconciled_at, what="observing and reconciled"
    )
    write_png(show_root / "final/evil name $(touch pwned).png", {"parameters": SD_PARAMS})
    text = wait_for(
        lambda: out.exists() and "flag-raised" in out.read_text() and out.read_text(),
        what="hook output",
    )
    w.stop()
    t.join(15)
    assert '"event": "asset-recorded"' in text and "evil name $(touch pwned).png" in text
    assert not (show_root / "pwned").exists()


def test_kill_9_mid_ingest_loses_and_duplicates_nothing(show_root: Path) -> None:
    env = {**os.environ, "REELPROV_PROJECT": str(show_root)}
    cmd = [sys.executable, "-m", "reelprov", "watch", "--settle", "0.2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(
        lambda: run_cli("status", "--json", cwd=show_root).json().get("backend"), what="watcher up"
    )
    n = 150
    for i in range(n):
        write_png(show_root / f"ingest/{i:04d}.png", color=(i % 256, 0, 0))
    wait_for(lambda: len(assets(show_root)) >= 5, what="ingest under way")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(assets(show_root)) == n, timeout=60, what="every file after restart")
        wait_for(
            lambda: run_cli("status", "--json", cwd=show_root).json().get("pid") == proc.pid,
            what="restarted watcher up",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    v = run_cli("verify", "--json", cwd=show_root).json()
    assert v["ok"]
    seen = [e for e in run_cli("ls", "--json", cwd=show_root).json()]
    assert len({a["path"] for a in seen}) == n
    # exactly once: one `seen` entry per file across both runs
    import sqlite3

    con = sqlite3.connect(show_root / ".reelprov/ledger.db")
    count = con.execute("SELECT count(*) FROM ledger_entry WHERE kind = 'seen'").fetchone()[0]
    con.close()
    assert count == n


def _descendants(pid: int) -> set[int]:
    """The processes below PID (its children, theirs, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def test_a_watcher_killed_with_sigkill_leaves_no_reading_process_behind(show_root: Path) -> None:
    """kill -9 gives the watcher no chance to end its reading processes: they must end by
    themselves, even one stuck inside a reader's native code with no read deadline. Started by a
    server process of their own, they outlived it (the server lives while any process it started
    holds its pipe, and they waited for work that never came): every killed watcher left three
    processes running for good."""
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("read_timeout_seconds = 60", "read_timeout_seconds = 0"))
    proc = subprocess.Popen(
        stalling_reader_command("watch", "--settle", "0.2"),
        cwd=show_root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(
            lambda: run_cli("status", "--json", cwd=show_root).json().get("backend"),
            what="watcher up",
        )
        write_png(show_root / "final/sh010.png", {"parameters": SD_PARAMS})
        wait_for(lambda: assets(show_root).get("final/sh010.png"), what="a file recorded")
        write_png(show_root / "final/sh020_stalling.png", {"parameters": SD_PARAMS + ", b"})
        time.sleep(1.5)  # settled and handed to a reader, which never returns from it
        assert not assets(show_root).get("final/sh020_stalling.png")
        below = wait_for(lambda: _descendants(proc.pid), what="its reading processes")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert len(below) >= 2  # the reading processes (and the server that started them)
    left = wait_for(
        lambda: not {p for p in below if _running(p)} or None,
        timeout=15,
        what="no reading process left",
    )
    assert left


def _running(pid: int) -> bool:
    """PID is a process that has not ended (a zombie waiting for its parent has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_bad_names_root_gone_and_back(show_root: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    caplog.set_level(logging.INFO, logger="reelprov")
    p = Project.open(show_root)
    w = Watcher(p, settle=0.2)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    wait_for(
        lambda: w.observer is not None and w.state.reconciled_at, what="observing and reconciled"
    )
    (show_root / "new\nline.png").write_bytes(b"one")
    with open(os.fsencode(show_root) + b"/bad\xffname.png", "wb") as f:
        f.write(b"two")
    wait_for(lambda: "new\nline.png" in assets(show_root), what="newline name recorded")
    wait_for(lambda: "not valid UTF-8" in caplog.text, what="bad name logged")
    assert "bad\\xffname.png" in caplog.text
    # the share goes away (unmounted) and comes back: logged, the daemon waits, then resumes
    gone = show_root.with_name("show.unmounted")
    os.rename(show_root, gone)
    wait_for(lambda: "is gone" in caplog.text, what="root gone logged")
    assert t.is_alive()
    os.rename(gone, show_root)
    wait_for(lambda: "is back" in caplog.text, what="root back logged")
    write_png(show_root / "after/return.png")
    wait_for(lambda: "after/return.png" in assets(show_root), what="recording resumed")
    w.stop()
    t.join(15)
    p.close()


def test_a_watcher_that_cannot_write_the_ledger_says_so_and_exits(show_root: Path) -> None:
    state = show_root / ".reelprov"
    files = [state / "ledger.db", state]
    for f in files:
        f.chmod(0o555 if f.is_dir() else 0o444)
    try:
        r = subprocess.run(
            [*as_ordinary_user(), sys.executable, "-m", "reelprov", "watch"],
            cwd=show_root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for f in files:
            f.chmod(0o755 if f.is_dir() else 0o644)
    assert r.returncode == 2 and "Traceback" not in r.stderr  # it was a PermissionError traceback
    assert "this user cannot write the ledger, and the watcher records into it" in r.stderr


@pytest.mark.parametrize("flag", [["--log-format", "json"], ["--json"]])
def test_json_logs(show_root: Path, flag: list[str]) -> None:
    import json as _json

    env = {**os.environ, "REELPROV_PROJECT": str(show_root)}
    cmd = [sys.executable, "-m", "reelprov", "watch", *flag, "--settle", "0.2"]
    proc = start_watcher(show_root, cmd, env)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    lines = [_json.loads(x) for x in err.splitlines() if x.startswith("{")]
    assert any(x["msg"].startswith("watching") for x in lines)
    assert all({"ts", "level", "logger", "msg"} <= set(x) for x in lines)


def test_unknown_log_format_is_refused(show_root: Path) -> None:
    r = run_cli("watch", "--log-format", "xml", cwd=show_root)
    assert r.code == 2 and "--log-format 'xml': use text or json" in r.err


@pytest.mark.parametrize("backend", ["inotify", "polling"])
def test_unreadable_file_logged_daemon_keeps_running_and_records_it_once_readable(
    show_root: Path, backend: str
) -> None:
    """A file nobody gave the daemon permission to read: one log line naming it and why, the
    daemon goes on recording other files, and the file is recorded once its mode is fixed (a
    chmod changes no mtime: both backends must see it as an attribute change)."""
    env = {**os.environ, "REELPROV_PROJECT": str(show_root)}
    poll = ["--poll", "0.2"] if backend == "polling" else []
    proc = subprocess.Popen(
        [*as_ordinary_user(), sys.executable, "-m", "reelprov", "watch", "--settle", "0.2", *poll],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        up = wait_for(
            lambda: run_cli("status", "--json", cwd=show_root).json().get("backend"),
            what="watcher up",
        )
        assert up == backend
        locked = show_root / "vfx/locked.png"
        locked.parent.mkdir()
        locked.touch(mode=0)  # created unreadable, then written through the open handle
        with open(locked, "wb") as f:
            f.write(write_png(show_root / "tmp.png", {"parameters": SD_PARAMS}).read_bytes())
        os.remove(show_root / "tmp.png")
        write_png(show_root / "vfx/after.png", color=(3, 3, 3))
        wait_for(lambda: "vfx/after.png" in assets(show_root), what="the next file recorded")
        assert "vfx/locked.png" not in assets(show_root)
        assert proc.poll() is None, "the daemon stopped"
        locked.chmod(0o644)
        got = wait_for(
            lambda: assets(show_root).get("vfx/locked.png"), what="recorded once readable"
        )
        assert got["origin"] == "ai_generated"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "vfx/locked.png: cannot read: Permission denied" in err, err


def test_file_in_a_new_folder_without_its_close_event_settles_by_the_window(
    show_root: Path,
) -> None:
    """A file written into a folder created a moment before may be written before the folder's
    inotify watch exists: its create event arrives (from watchdog's scan of the new folder) but its
    close never does. It must be read after the settle window, not the 3x fallback for inotify
    files whose close is still to come (the first file of a new folder took 6 s in bench_watch)."""
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    write_png(show_root / "new/a.png", {"parameters": SD_PARAMS})
    p = Project.open(show_root)
    w = Watcher(p, settle=0.3)
    w.state.backend = "inotify"
    try:
        # what watchdog delivers here: the folder, then the file's creation and writes, no close
        for event in [
            ("created", "new", None, True),
            ("created", "new/a.png", None, False),
            ("modified", "new/a.png", None, False),
        ]:
            w.q.put(event)
        start = time.monotonic()
        wait_for(
            lambda: (w.tick(), "new/a.png" in assets(show_root))[1], timeout=10, what="recorded"
        )
        assert time.monotonic() - start < 0.95, (
            "waited for the close-event fallback (1 s here), not the settle window"
        )
    finally:
        w.stop()
        p.close()


def test_the_log_says_what_landed_and_which_flags(
    show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="reelprov")
    write_png(
        show_root / "before/existing.png"
    )  # recorded by the reconcile: its totals line says so
    with running_watcher(show_root, settle=0.2):
        write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
        wait_for(lambda: "final/hero.png" in assets(show_root), what="recorded")
        flags = run_cli("flags", "final/hero.png", "--json", cwd=show_root).json()
        assert flags
        (show_root / "final/hero.png").rename(show_root / "final/hero_v2.png")
        wait_for(lambda: "final/hero_v2.png" in assets(show_root), what="rename recorded")
        (show_root / "final/hero_v2.png").unlink()
        wait_for(lambda: "final/hero_v2.png" not in assets(show_root), what="deletion recorded")
        wait_for(lambda: "deleted final/hero_v2.png" in caplog.text, what="deletion logged")
    said = [r.getMessage() for r in caplog.records if r.name == "reelprov.watch"]
    assert "new final/hero.png: ai_generated [Stable Diffusion]" in said
    assert "moved final/hero.png -> final/hero_v2.png: ai_generated [Stable Diffusion]" in said
    for f in flags:
        assert f"flag {f['id']} raised on final/hero.png: {f['severity']} {f['rule']}" in said
        assert f"flag {f['id']} resolved on final/hero_v2.png: {f['rule']}" in said
    assert any(m.startswith("reconciled: 1 file, 1 new") for m in said)
    assert not any(
        "before/existing.png" in m for m in said
    )  # a reconcile gives totals, not a line per file


def test_settings_edited_while_watching_take_effect_and_a_broken_edit_is_survived(
    show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    caplog.set_level(logging.INFO, logger="reelprov")
    write_png(show_root / "temp/boards/a.png", {"parameters": SD_PARAMS})
    p = Project.open(show_root)
    w = Watcher(p, settle=0.2)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    cfg = show_root / "reelprov.toml"
    original = cfg.read_text()

    def open_rules(path: str) -> set[str]:
        a = assets(show_root).get(path) or {}
        return {f["rule"] for f in a.get("flags", []) if f["status"] == "open"}

    try:
        wait_for(
            lambda: w.observer is not None and w.state.reconciled_at,
            what="observing and reconciled",
        )
        assert "security.unapproved_tool" in open_rules("temp/boards/a.png")
        # the studio clears Stable Diffusion: the flag resolves without a restart
        cfg.write_text(
            original.replace(
                'approved_tools = ["Adobe Firefly"]',
                'approved_tools = ["Adobe Firefly", "Stable Diffusion"]',
            )
        )
        wait_for(
            lambda: "security.unapproved_tool" not in open_rules("temp/boards/a.png"),
            what="flag resolved",
        )
        wait_for(
            lambda: (
                "policy re-evaluated on 1 asset: 0 raised, 0 reopened, 1 resolved, 0 with a new reason"
                in caplog.text
            ),
            what="totals",
        )
        assert (
            "resolved on temp/boards/a.png" not in caplog.text
        )  # bulk work: totals, not a line per flag
        # a typo: logged, the previous settings stay, files are still recorded under them
        cfg.write_text(
            original + "\n[cuts]\nbogus = 1\n"
            if "[cuts]" not in original
            else original.replace("[cuts]", "[cuts]\nbogus = 1")
        )
        wait_for(
            lambda: "settings changed but cannot be used" in caplog.text, what="broken edit logged"
        )
        write_png(show_root / "temp/boards/b.png", {"parameters": SD_PARAMS})
        wait_for(lambda: "new temp/boards/b.png" in caplog.text, what="still recording")
        # (the CLI refuses the broken file, so ask the watcher's own project) the cleared list still holds
        from reelprov.review.assets import show_asset

        b = show_asset(p, "temp/boards/b.png", with_history=False)
        assert "security.unapproved_tool" not in {
            f["rule"] for f in b["flags"] if f["status"] == "open"
        }
        assert t.is_alive()
        # the edit undone: back to the original list, the flags reopen
        cfg.write_text(original)
        wait_for(
            lambda: "security.unapproved_tool" in open_rules("temp/boards/b.png"), what="flag back"
        )
        assert "security.unapproved_tool" in open_rules("temp/boards/a.png")
    finally:
        w.stop()
        t.join(15)
        p.close()
    assert "unknown key `bogus` in [cuts]" in caplog.text


def test_a_watcher_restarting_while_a_share_in_the_project_is_down_records_no_deletions(
    show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    for i in range(24):
        write_png(
            show_root / "media" / f"gen_{i:03d}.png", {"parameters": SD_PARAMS}, color=(i, 1, 2)
        )
    assert run_cli("scan", cwd=show_root).code == 0
    (show_root / "media").rename(show_root.parent / "nas")
    (show_root / "media").mkdir()
    caplog.set_level(logging.INFO, logger="reelprov")
    p = Project.open(show_root)
    try:
        Watcher(p, settle=0.2).reconcile()
    finally:
        p.close()
    said = [r.getMessage() for r in caplog.records if r.name == "reelprov.watch"]
    assert any(
        m.startswith(
            "reconciled: 0 files, 0 new, 0 changed, 0 moved, 0 deleted, 0 errors, "
            "24 missing but not recorded as deleted"
        )
        for m in said
    ), said
    err = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert (
        "24 recorded files missing, in media (24)" in err
        and f"reelprov --project {show_root} scan --allow-deletions" in err
    )
    assert len(run_cli("ls", "--json", cwd=show_root).json()) == 24


def _settle(w: Any, root: Path, want: dict[str, bytes], what: str) -> dict[str, dict]:
    """Run the watcher's loop by hand until the ledger holds exactly WANT (path -> content)."""
    import hashlib

    shas = {p: hashlib.sha256(b).hexdigest() for p, b in want.items()}

    def done() -> dict[str, dict] | None:
        w.tick()
        got = assets(root)
        return got if {p: a["sha256"] for p, a in got.items()} == shas else None

    return wait_for(done, what=what)


def test_polling_pairing_unrelated_files_by_a_reused_inode_number_loses_nothing(
    show_root: Path,
) -> None:
    """Polling tells moves by inode number, which the file system hands out again at once: these
    are the events PollingObserver sent in a run where files were deleted, replaced and created
    between two polls. Taken as moves, they put an asset at a folder's path, dropped a replaced
    file's new content and never read a new file."""
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    files = {"b/w.png": b"w1", "b/x.png": b"x1", "a/keep.png": b"k1"}
    for rel, data in files.items():
        (show_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (show_root / rel).write_bytes(data)
    assert run_cli("scan", cwd=show_root).code == 0
    (show_root / "b/w.png").write_bytes(
        b"w2-replaced"
    )  # replaced (tmp + rename): the old inode went elsewhere
    (show_root / "b/x.png").unlink()
    (show_root / "b/d").mkdir()  # ... a new folder got b/x.png's inode number
    (show_root / "b/old").mkdir()
    (show_root / "b/old").rmdir()
    (show_root / "a/z.png").write_bytes(b"z1")  # ... and a new file the deleted folder's
    p = Project.open(show_root)
    w = Watcher(p, poll=0.2, settle=0.2)
    w.state.backend = "polling"
    try:
        for event in [
            ("modified", "b/w.png", None, False),
            ("moved", "b/w.png", "a/elsewhere.png", False),
            ("moved", "b/x.png", "b/d", False),
            ("moved", "b/old", "a/z.png", True),
        ]:
            w.q.put(event)
        got = _settle(
            w,
            show_root,
            {"b/w.png": b"w2-replaced", "a/keep.png": b"k1", "a/z.png": b"z1"},
            "the tree",
        )
    finally:
        w._pool.shutdown(wait=True)
        p.close()
    assert "b/d" not in got and "b/x.png" not in got  # no asset at a folder's path; b/x.png deleted
    assert run_cli("verify", cwd=show_root).code == 0


def test_a_file_deleted_while_it_was_being_read_is_recorded_deleted(show_root: Path) -> None:
    """Read, then deleted before the write (its delete event handled first): it was recorded as a
    live file that no longer existed, until the next reconcile."""
    from reelprov.project import Project
    from reelprov.recording.pool import examine_candidate
    from reelprov.recording.record import record_results
    from reelprov.recording.walk import Candidate

    f = write_png(show_root / "final/flash.png", {"parameters": SD_PARAMS})
    st = f.stat()
    res = examine_candidate(Candidate("final/flash.png", str(f), st.st_size, st.st_mtime_ns), None)
    f.unlink()
    p = Project.open(show_root)
    try:
        record_results(p, [res], {"final/flash.png"})
    finally:
        p.close()
    assert "final/flash.png" not in assets(show_root)
    kinds = [
        e["kind"] for e in run_cli("history", "final/flash.png", "--json", cwd=show_root).json()
    ]
    assert kinds[0] == "seen" and kinds[-1] == "deleted"  # it existed: the ledger says so


def test_a_file_edited_read_and_deleted_while_its_old_content_turned_up_elsewhere(
    show_root: Path,
) -> None:
    """x.png's recorded content turned up as y.png (a move) while x.png's new version, already
    read, was deleted: the move took x.png's asset, and the new version stayed live at x.png."""
    from reelprov.project import Project
    from reelprov.recording.pool import examine_candidate
    from reelprov.recording.record import record_results
    from reelprov.recording.walk import Candidate

    def read(rel: str) -> Any:
        st = (show_root / rel).stat()
        return examine_candidate(
            Candidate(rel, str(show_root / rel), st.st_size, st.st_mtime_ns), None
        )

    x = write_png(show_root / "x.png", color=(1, 1, 1))
    assert run_cli("scan", cwd=show_root).code == 0
    old_id = assets(show_root)["x.png"]["id"]
    shutil.copy2(x, show_root / "y.png")
    write_png(x, color=(2, 2, 2))
    results = [read("y.png"), read("x.png")]  # in the order the reads finished
    x.unlink()
    p = Project.open(show_root)
    try:
        record_results(p, results, {"x.png"})
    finally:
        p.close()
    live = assets(show_root)
    assert set(live) == {"y.png"} and live["y.png"]["id"] == old_id
    assert run_cli("verify", cwd=show_root).code == 0


def test_the_watcher_passes_by_what_a_scan_passes_by(show_root: Path) -> None:
    """A file in an ignored folder (or reached through a symbolic link) was recorded by the watcher,
    which read single files its own way, though no scan ever records it."""
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("ignore = [", 'ignore = ["cache", ', 1))
    (show_root / "cache").mkdir()
    (show_root / "cache/x.png").write_bytes(b"x")
    outside = show_root.parent / "elsewhere"  # [scan] follow_symlinks is off
    outside.mkdir()
    (outside / "l.png").write_bytes(b"l")
    (show_root / "linked").symlink_to(outside)
    (show_root / "y.png").write_bytes(b"y")
    p = Project.open(show_root)
    w = Watcher(p, settle=0.2)
    try:
        for rel in ("cache/x.png", "linked/l.png", "y.png"):
            w.q.put(("closed", rel, None, False))
        _settle(w, show_root, {"y.png": b"y"}, "y.png recorded, and nothing else")
        for _ in range(10):  # and it stays so
            w.tick()
            time.sleep(0.05)
    finally:
        w._pool.shutdown(wait=True)
        p.close()
    assert set(assets(show_root)) == {"y.png"}


@pytest.mark.postgres
def test_changes_made_while_the_ledger_is_unreachable_are_recorded_when_it_is_back(
    show_root: Path, pg_url: str, tmp_path: Path
) -> None:
    """The shared ledger's server restarted, or the network to it went, for longer than the watcher's
    three quick retries: the files that changed meanwhile were given up ("the next reconcile will try
    again", and none came until a restart), and the watcher's readers kept their dead connections.
    Now the changes wait, and are recorded once the ledger answers again."""
    from urllib.parse import urlsplit

    where = urlsplit(pg_url)
    link = Link(where.hostname or "127.0.0.1", where.port or 5432)
    through = pg_url.replace(f"{where.hostname}:{where.port or 5432}", f"127.0.0.1:{link.port}", 1)
    env = {"REELPROV_DATABASE_URL": pg_url}
    assert run_cli("db", "upgrade", cwd=show_root, env=env).code == 0
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelprov", "watch", "--settle", "0.3"],
        env={**os.environ, "REELPROV_PROJECT": str(show_root), "REELPROV_DATABASE_URL": through},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )

    def recorded() -> set[str]:
        return {a["path"] for a in run_cli("ls", "--json", cwd=show_root, env=env).json()}

    def status() -> dict[
        str, Any
    ]:  # asked as the watcher's host would: through the link, down or not
        return run_cli(
            "status", "--json", cwd=show_root, env={"REELPROV_DATABASE_URL": through}
        ).json()

    try:
        wait_for(lambda: status().get("reconciled_at"), what="watcher up and reconciled")
        write_png(show_root / "vfx/before.png", {"parameters": SD_PARAMS})
        wait_for(lambda: "vfx/before.png" in recorded(), what="a file recorded through the link")
        link.cut()
        write_png(show_root / "vfx/during.png", {"parameters": SD_PARAMS}, color=(1, 2, 3))
        write_png(show_root / "vfx/during2.png", color=(4, 5, 6))
        since = wait_for(
            lambda: status().get("ledger_unreachable_since"), what="the outage noticed"
        )
        assert since
        time.sleep(3.0)  # the outage lasts longer than the quick retries
        assert "vfx/during.png" not in recorded() and status()["running"]
        link.restore()
        wait_for(
            lambda: {"vfx/during.png", "vfx/during2.png"} <= recorded(),
            what="recorded once the ledger is back",
        )
        wait_for(
            lambda: status()["ledger_unreachable_since"] is None,
            what="status says the ledger is back",
        )
        during = run_cli("show", "vfx/during.png", "--json", cwd=show_root, env=env).json()
        assert during["origin"] == "ai_generated" and during["flags"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        link.cut()
    text = log.read_text()
    assert proc.returncode == 0, text
    assert (
        "changes wait here and are recorded when the ledger answers" in text
        and "the ledger is reachable again" in text
    ), text
    assert run_cli("verify", cwd=show_root, env=env).code == 0


def test_a_file_that_keeps_failing_is_read_again_later(
    show_root: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """After its quick retries a failing file was left to "the next reconcile", which never came
    while the watcher ran. It is read again after a wait (a minute, doubling; shortened here)."""
    import logging

    import reelprov.recording.pool as scan_mod
    import reelprov.watch.daemon as daemon
    from reelprov.project import Project

    monkeypatch.setattr(daemon, "RETRY_LATER", (0.5, 1.0))
    real, failures = scan_mod.examine_candidate, []

    def crashes_five_times(
        cand: Any, anchors: Any, *readers: Any
    ) -> Any:  # fault injection: a reader that keeps crashing
        if cand.rel == "vfx/x.png" and len(failures) < 5:
            failures.append(cand.rel)
            raise RuntimeError("decoder crashed")
        return real(cand, anchors, *readers)

    monkeypatch.setattr(scan_mod, "examine_candidate", crashes_five_times)
    caplog.set_level(logging.INFO, logger="reelprov.watch")
    p = Project.open(show_root)
    w = daemon.Watcher(p, settle=0.2)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_for(
            lambda: w.observer is not None and w.state.reconciled_at,
            what="observing and reconciled",
        )
        write_png(show_root / "vfx/x.png", {"parameters": SD_PARAMS})
        got = wait_for(lambda: assets(show_root).get("vfx/x.png"), what="recorded after the wait")
        assert got["origin"] == "ai_generated" and len(failures) == 5
    finally:
        w.stop()
        t.join(15)
        p.close()
    assert (
        "could not read vfx/x.png after 4 tries (decoder crashed); trying again in 0.5 s"
        in caplog.text
    )


def test_a_ledger_deleted_under_the_watcher_is_not_written_into_the_void(
    show_root: Path, tmp_path: Path
) -> None:
    """`.reelprov` cleaned away (or a backup copied over the ledger) while the watcher ran: it went on
    writing into the deleted file, which no one can open again, so every change after it was lost.
    It notices, stops, and once a ledger is back (a backup restored) records what changed meanwhile."""
    import sqlite3

    ledger = show_root / ".reelprov/ledger.db"
    log = tmp_path / "watch.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelprov", "watch", "--settle", "0.2"],
        env={**os.environ, "REELPROV_PROJECT": str(show_root)},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        wait_for(
            lambda: run_cli("status", "--json", cwd=show_root).json().get("reconciled_at"),
            what="watcher up",
        )
        write_png(show_root / "vfx/before.png", {"parameters": SD_PARAMS})
        wait_for(lambda: "vfx/before.png" in assets(show_root), what="a file recorded")
        backup = tmp_path / "backup.db"
        with sqlite3.connect(ledger) as src, sqlite3.connect(backup) as dst:
            src.backup(dst)  # last night's backup
        shutil.rmtree(show_root / ".reelprov")
        wait_for(
            lambda: "the ledger file was deleted or replaced" in log.read_text(),
            what="the deletion noticed",
        )
        write_png(show_root / "vfx/during.png", {"parameters": SD_PARAMS}, color=(7, 7, 7))
        (show_root / "vfx/before.png").unlink()
        time.sleep(1.5)  # the watcher sees both while no ledger is there
        assert proc.poll() is None, "the daemon stopped"
        (show_root / ".reelprov").mkdir()
        shutil.copy(backup, ledger)  # restored
        wait_for(
            lambda: set(assets(show_root)) == {"vfx/during.png"},
            what="what changed meanwhile recorded",
        )
        # (SIGTERM interrupts a reconcile under way: wait for it to say it is done)
        wait_for(
            lambda: "the ledger is reachable again" in log.read_text(), what="the recovery said"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "the ledger is reachable again" in text, text
    assert text.count("cannot write watcher status") <= 1, text
    assert run_cli("verify", cwd=show_root).code == 0


def test_a_cut_exported_again_to_its_file_is_imported_again_by_the_watcher(
    show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The editor re-exports the cut over the file it was imported from: the watcher records the
    file and imports the cut again from it, and says so; a damaged export is logged, the watcher
    keeps running and the previous import stands."""
    import logging

    caplog.set_level(logging.INFO, logger="reelprov")
    write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/plate.png", color=(1, 2, 3))
    edl = show_root / "editorial/REEL1.edl"
    edl.parent.mkdir()
    event = "{n:03d}  AX       V     C        00:00:00:00 00:00:01:00 01:00:0{n}:00 01:00:0{m}:00\n* FROM CLIP NAME: {name}\n\n"
    edl.write_text("TITLE: R\nFCM: NON-DROP FRAME\n\n" + event.format(n=1, m=2, name="hero.png"))
    assert run_cli("scan", cwd=show_root).code == 0
    assert run_cli("cut", "import", str(edl), "--name", "Reel 1", cwd=show_root).code == 0
    # exported again while no watcher ran: its reconcile finds the file changed
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n"
        + event.format(n=1, m=2, name="hero.png")
        + event.format(n=2, m=3, name="plate.png")
    )
    with running_watcher(show_root, settle=0.2):
        assert assets(show_root)["final/plate.png"]["in_cut"] is True
        edl.write_text(
            "TITLE: R\nFCM: NON-DROP FRAME\n\n" + event.format(n=1, m=2, name="plate.png")
        )
        wait_for(
            lambda: assets(show_root)["final/hero.png"]["in_cut"] is False,
            what="the new cut imported",
        )
        edl.write_text("TITLE: R\n001  garbage\n")
        wait_for(lambda: "not imported again" in caplog.text, what="the damaged export logged")
        write_png(show_root / "final/after.png", color=(9, 9, 9))
        wait_for(lambda: "final/after.png" in assets(show_root), what="the watcher still recording")
    said = [r.getMessage() for r in caplog.records if r.name == "reelprov.watch"]
    assert [m for m in said if m.startswith("cut 'Reel 1' imported again")] == [
        "cut 'Reel 1' imported again from its changed timeline editorial/REEL1.edl: 2 events matched, 0 unmatched, 0 assets left the cut",
        "cut 'Reel 1' imported again from its changed timeline editorial/REEL1.edl: 1 event matched, 0 unmatched, 1 asset left the cut",
    ]
    assert any(
        m.startswith(
            "cut 'Reel 1' not imported again from its changed timeline editorial/REEL1.edl: "
        )
        and m.endswith("the previous import stands")
        for m in said
    ), said
    assert assets(show_root)["final/plate.png"]["in_cut"] is True


def test_media_a_cut_named_joins_it_as_the_watcher_records_it(
    show_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A shot the cut names is delivered after the cut was imported: the watcher records it and
    it is in the cut (matched from the same timeline file), and the log says so."""
    import logging

    caplog.set_level(logging.INFO, logger="reelprov")
    edl = tmp_path / "reel1.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:00 01:00:01:00\n"
        "* FROM CLIP NAME: sh050_comp_v001.png\n"
    )
    assert run_cli("cut", "import", str(edl), "--name", "Reel 1", cwd=show_root).code == 0
    with running_watcher(show_root, settle=0.2):
        write_png(show_root / "final/vfx/sh050_comp_v001.png", {"parameters": SD_PARAMS})
        wait_for(
            lambda: assets(show_root).get("final/vfx/sh050_comp_v001.png", {}).get("in_cut"),
            what="in the cut",
        )
    said = [r.getMessage() for r in caplog.records if r.name == "reelprov.watch"]
    assert (
        f"cut 'Reel 1' imported again from {edl}, as media it named arrived: 1 event matched, 0 unmatched, 0 assets left the cut"
        in said
    )
    shot = assets(show_root)["final/vfx/sh050_comp_v001.png"]
    assert shot["cuts"] == ["Reel 1"] and any(
        f["rule"] == "screen.ai_headed_to_screen" for f in shot["flags"]
    )


def test_a_delivery_of_frames_matches_the_cut_a_few_times_not_once_per_frame(
    show_root: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A comp's frames trickle in (a render farm, a slow copy): the cut that names them is matched
    again once they have landed, at most every FOLLOW_ARRIVALS_EVERY seconds, not once per frame
    (a reel's cut takes seconds to import: 30,000 of those would bury the watcher); in the end
    every frame is in the cut."""
    import logging

    import reelprov.watch.daemon as daemon

    monkeypatch.setattr(daemon, "FOLLOW_ARRIVALS_EVERY", 3.0)
    caplog.set_level(logging.INFO, logger="reelprov")
    edl = tmp_path / "vfx.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:00:20 01:00:00:00 01:00:00:20\n"
        "* FROM CLIP: /x/sh010_comp.[1001-1020].png\n"
    )
    assert run_cli("cut", "import", str(edl), "--name", "R", cwd=show_root).code == 0
    with running_watcher(show_root, settle=0.1):
        started = time.monotonic()
        for n in range(1001, 1021):
            write_png(show_root / f"vfx/sh010/sh010_comp.{n}.png", color=(n % 256, 3, 3))
            time.sleep(0.3)
        wait_for(
            lambda: len(run_cli("ls", "--in-cut", "--json", cwd=show_root).json()) == 20,
            timeout=30,
            what="every frame in the cut",
        )
        took = (
            time.monotonic() - started
        )  # about 6 s: 20 frames 0.3 s apart (longer on a slow machine)
    follows = [
        r.getMessage() for r in caplog.records if "as media it named arrived" in r.getMessage()
    ]
    assert 1 <= len(follows) <= took / 3.0 + 2, (took, follows)  # one per file would be 20


def test_a_file_whose_reading_crashes_the_reader_does_not_stop_the_watcher(show_root: Path) -> None:
    """The watcher read changed files on its own threads: a reader library's native code crashing
    on a damaged or hostile file (a segfault) ended the watcher, and every file after it went
    unrecorded until someone restarted it. Files are read in processes it keeps: the crash ends
    one of those; the file is recorded unread, saying so, and the files after it are read as usual.
    (The watcher runs in a process of its own here: a regression would end the test run.)"""
    from reelprov.recording.pool import CRASHED

    proc = start_watcher(show_root, crashing_reader_command("watch", "--settle", "0.2"))
    try:
        write_png(show_root / "final/sh010_hostile.png", {"parameters": SD_PARAMS})
        write_png(show_root / "final/sh020.png", {"parameters": SD_PARAMS + ", b"}, color=(2, 2, 2))
        got = wait_for(
            lambda: (
                (a := assets(show_root)).get("final/sh010_hostile.png")
                and a.get("final/sh020.png")
                and a
            ),
            what="both recorded",
        )
        hostile = run_cli("show", "final/sh010_hostile.png", "--json", cwd=show_root).json()
        assert hostile["origin"] == "unknown" and [e["detail"] for e in hostile["evidence"]] == [
            CRASHED
        ]
        assert got["final/sh020.png"]["origin"] == "ai_generated"
        write_png(show_root / "final/sh030.png", {"parameters": SD_PARAMS + ", c"}, color=(3, 3, 3))
        later = wait_for(
            lambda: assets(show_root).get("final/sh030.png"), what="a file after it recorded"
        )
        assert later["origin"] == "ai_generated"
        assert proc.poll() is None, "the watcher stopped"
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert run_cli("verify", cwd=show_root).code == 0


def _stop(proc: subprocess.Popen[str], within: float = 20) -> str:
    """SIGTERM a watcher and wait WITHIN seconds for it; one that does not exit is made to print
    every thread's stack (SIGUSR1), killed, and the test fails showing where it was stuck."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=within)[1]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        err = proc.communicate()[1]
        pytest.fail(f"the watcher did not exit within {within} s of SIGTERM; where it was:\n{err}")


def test_sigusr1_shows_where_every_thread_of_the_watcher_is_and_it_goes_on(
    show_root: Path,
) -> None:
    """A watcher that seems stuck can be asked where it is without stopping it: SIGUSR1 writes
    every thread's stack to its stderr (its log), and it keeps recording."""
    proc = start_watcher(show_root, [sys.executable, "-m", "reelprov", "watch", "--settle", "0.2"])
    try:
        proc.send_signal(signal.SIGUSR1)
        write_png(show_root / "final/after.png", {"parameters": SD_PARAMS})
        got = wait_for(lambda: assets(show_root).get("final/after.png"), what="recorded after")
        assert got["origin"] == "ai_generated"
        assert proc.poll() is None, "SIGUSR1 stopped the watcher"
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert "Current thread" in err or "Thread 0x" in err, err
    assert "(most recent call first)" in err


def test_reading_processes_are_forked_before_the_reconcile(
    show_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher's reading processes exist before the reconcile loads anything, so none of them
    carries a copy of what a reconcile of a large project held."""
    from reelprov.watch.daemon import Watcher

    seen: list[int] = []
    real = Watcher.reconcile

    def reconcile(self: Any) -> None:
        procs = getattr(self._readers._pool, "_processes", None) or {}
        seen.append(sum(1 for p in procs.values() if p.is_alive()))
        real(self)

    monkeypatch.setattr(Watcher, "reconcile", reconcile)
    with running_watcher(show_root, settle=0.2) as w:
        assert seen == [w._readers.workers]
