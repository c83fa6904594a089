"""Event hooks as a project's scripts meet them: fed JSON, bounded in time, never waited on for
what they leave running."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SD_PARAMS, as_ordinary_user, run_cli, write_png


def _hook(root: Path, name: str, body: str) -> None:
    hook = root / "hooks" / name
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(0o755)


def _timeout(root: Path, seconds: int) -> None:
    cfg = root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("timeout_seconds = 10", f"timeout_seconds = {seconds}"))


def _running(pattern: str) -> bool:
    return (
        subprocess.run(["pgrep", "-f", pattern], capture_output=True, check=False).returncode == 0
    )


def test_a_hook_that_leaves_a_job_in_the_background_does_not_hold_up_the_write(
    cli, show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _timeout(show_root, 8)
    done = show_root / "hook-ran"
    # a webhook-style hook that sends in the background and returns at once
    _hook(show_root, "asset-recorded.notify", f"cat > '{done}'\n(sleep 7.31 &)\n")
    write_png(show_root / "final/a.png", {"parameters": SD_PARAMS})
    caplog.set_level(logging.WARNING, logger="reelprov")
    t = time.monotonic()
    r = cli("scan", cwd=show_root)
    took = time.monotonic() - t
    assert r.code == 0, r.err
    assert '"event": "asset-recorded"' in done.read_text()
    assert took < 4, f"scan waited {took:.1f} s for the hook's background job"
    assert "timed out" not in caplog.text
    subprocess.run(["pkill", "-f", "sleep 7.31"], check=False)


def test_a_hook_past_its_timeout_is_stopped_with_what_it_started(
    cli, show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _timeout(show_root, 1)
    _hook(show_root, "asset-recorded.stuck", "sleep 9.37 &\nsleep 9.38\n")
    _hook(show_root, "asset-recorded.fails", "echo 'no route to the ticket system' >&2\nexit 3\n")
    write_png(show_root / "a.png")
    caplog.set_level(logging.WARNING, logger="reelprov")
    t = time.monotonic()
    r = cli("scan", cwd=show_root)
    assert r.code == 0, r.err
    assert time.monotonic() - t < 5
    assert "asset-recorded.stuck timed out after 1" in caplog.text
    assert (
        "asset-recorded.fails failed on asset-recorded (exit 3): no route to the ticket system"
        in caplog.text
    )
    deadline = time.monotonic() + 5
    while _running("sleep 9.3[78]") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running("sleep 9.3[78]"), "the timed-out hook's processes were left running"
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == ["a.png"]


def test_an_unreadable_hooks_folder_is_one_warning_and_the_scan_is_recorded(
    show_root: Path,
) -> None:
    for i in range(3):
        write_png(show_root / f"final/{i}.png", {"parameters": SD_PARAMS}, color=(i, i, i))
    hooks = show_root / "hooks"
    hooks.mkdir(exist_ok=True)
    hooks.chmod(0)
    try:
        r = subprocess.run(
            [*as_ordinary_user(), sys.executable, "-m", "reelprov", "scan"],
            cwd=show_root,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        hooks.chmod(0o755)
    assert r.returncode == 0 and "Traceback" not in r.stderr, (
        r.stderr
    )  # it was a PermissionError after the write
    assert r.stderr.count("cannot list the hooks folder") == 1 and r.stdout.startswith(
        "3 files: 3 new"
    )
    assert run_cli("verify", cwd=show_root).code == 0


def test_a_move_tells_hooks_where_the_file_came_from(cli, show_root: Path) -> None:
    import json

    write_png(show_root / "temp/hero.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    got = show_root / "hook-got.json"
    _hook(show_root, "asset-recorded.log", f"cat > '{got}'\n")
    (show_root / "final").mkdir()
    (show_root / "temp/hero.png").rename(show_root / "final/hero_v2.png")
    assert cli("scan", cwd=show_root).code == 0
    sent = json.loads(got.read_text())
    assert sent["event"] == "asset-recorded"
    assert {k: sent[k] for k in ("change", "path", "from")} == {
        "change": "moved",
        "path": "final/hero_v2.png",
        "from": "temp/hero.png",
    }


def test_a_flag_whose_reason_changes_is_told_to_hooks(cli, show_root: Path) -> None:
    """A ticket opened from flag-raised can be kept up to date: a tag that changes an open flag's
    reason runs the flag-updated hooks with the flag as it now reads."""
    import json

    out = show_root / "updated.jsonl"
    _hook(show_root, "flag-updated.ticket", f"cat >> '{out}'\necho >> '{out}'\n")
    write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
    cli("scan", cwd=show_root)
    cli("tag", "final/hero.png", "--tag", "talent_likeness", cwd=show_root)
    assert not out.exists()  # raised, not updated
    cli("tag", "final/hero.png", "--tag", "synthetic_voice", cwd=show_root)
    events = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    assert [(e["event"], e["flag"]["rule"], e["asset"]["path"]) for e in events] == [
        ("flag-updated", "talent.ai_likeness_or_voice", "final/hero.png")
    ]
    assert (
        "synthetic_voice, talent_likeness" in events[0]["flag"]["reason"]
        and events[0]["flag"]["status"] == "open"
    )


def test_a_hook_that_detaches_with_setsid_is_still_ended_at_its_timeout(
    cli, show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Children started with `setsid` (a new session and process group) survived the timeout."""
    _timeout(show_root, 1)
    _hook(
        show_root,
        "asset-recorded.detach",
        "setsid sleep 9.41 &\n(setsid sh -c 'sleep 9.43' &)\nsleep 9.42\n",
    )
    write_png(show_root / "a.png")
    caplog.set_level(logging.WARNING, logger="reelprov")
    assert cli("scan", cwd=show_root).code == 0
    assert "asset-recorded.detach timed out after 1" in caplog.text
    deadline = time.monotonic() + 5
    while _running("sleep 9.4[123]") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running("sleep 9.4[123]"), "a detached child of the timed-out hook was left running"


def test_recording_never_waits_on_a_hook(show_root: Path) -> None:
    """A hook that hung on the network slowed the recording of 8 files to 93 s: hooks run from a
    queue, after the commit, and only the end of the command waits for them."""
    from reelprov.project import Project

    _timeout(show_root, 30)
    _hook(show_root, "asset-recorded.slow", "sleep 1.5\n")
    for i in range(3):
        write_png(show_root / f"final/{i}.png", color=(i, 1, 1))
    p = Project.open(show_root)
    try:
        from reelprov.recording.scan import scan

        t = time.monotonic()
        rep = scan(p)
        recorded = time.monotonic() - t
        assert rep.seen == 3
        # committed and visible to others while the hooks still run
        assert len(run_cli("ls", "--json", cwd=show_root).json()) == 3
        assert recorded < 1.5, f"recording waited {recorded:.1f} s for the hooks"
        t = time.monotonic()
        p.hooks.drain()
        assert time.monotonic() - t >= 1  # they did run, after
    finally:
        p.close()


def test_a_hook_others_can_change_is_not_run(
    cli, show_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ran = show_root / "ran"
    _hook(show_root, "asset-recorded.shared", f"touch '{ran}'\n")
    (show_root / "hooks/asset-recorded.shared").chmod(0o777)
    write_png(show_root / "a.png")
    caplog.set_level(logging.WARNING, logger="reelprov")
    assert cli("scan", cwd=show_root).code == 0
    assert not ran.exists()
    assert "asset-recorded.shared not run: others can write it" in caplog.text
    (show_root / "hooks/asset-recorded.shared").chmod(0o755)
    write_png(show_root / "b.png", color=(5, 5, 5))
    assert cli("scan", cwd=show_root).code == 0 and ran.exists()


def test_events_are_built_only_while_something_may_hear_them(
    show_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan with no hook installed (the *.example files are inert) and no listener builds no
    events: a feature's frames pay nothing for hooks nobody wrote. A hook installed later hears the
    next batch, and so does a listener (the watcher's log)."""
    import json

    from reelprov.ledger.store import Batch
    from reelprov.project import Project
    from reelprov.recording.scan import scan

    built: list[str] = []
    emit = Batch.emit

    def counted(self: Batch, event: object) -> None:
        built.append(event.NAME)  # type: ignore[attr-defined]
        emit(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(Batch, "emit", counted)
    assert sorted(p.name for p in (show_root / "hooks").iterdir())  # the examples are there
    write_png(show_root / "final/plate.png")
    write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
    p = Project.open(show_root)
    try:
        rep = scan(p)
        assert rep.seen == 2 and rep.flags_raised > 0
        assert built == []

        got = show_root.parent / "hook-got.jsonl"  # outside the project: not a file to record
        _hook(show_root, "flag-raised.note", f"cat >> '{got}'; echo >> '{got}'\n")
        write_png(show_root / "final/hero_b.png", {"parameters": SD_PARAMS}, color=(1, 2, 3))
        rep = scan(p)
        assert rep.seen == 1 and rep.flags_raised > 0
        assert built == ["asset-recorded"] + ["flag-raised"] * rep.flags_raised
        p.hooks.drain()
        sent = [json.loads(line) for line in got.read_text().splitlines() if line.strip()]
        assert [(s["event"], s["asset"]["path"]) for s in sent] == [
            ("flag-raised", "final/hero_b.png")
        ] * rep.flags_raised

        (show_root / "hooks/flag-raised.note").unlink()
        built.clear()
        heard: list[tuple[str, dict[str, object]]] = []
        p.listeners.append(heard.extend)
        write_png(show_root / "final/plate_b.png", color=(4, 5, 6))
        assert scan(p).seen == 1
        assert [(name, payload["path"]) for name, payload in heard] == [
            ("asset-recorded", "final/plate_b.png")
        ]
    finally:
        p.close()
