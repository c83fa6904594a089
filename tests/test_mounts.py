"""Which file system a path is on; a SQLite ledger on a network share is said to be unsafe to share."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from reelprov import mounts
from tests.conftest import run_cli
from tests.watch.test_daemon import wait_for


def test_mount_fstype_picks_longest_prefix(tmp_path: Path) -> None:
    table = tmp_path / "mounts"
    table.write_text(
        "/dev/vda / ext4 rw 0 0\nserver:/show /mnt/show nfs4 rw 0 0\n//nas/post /mnt/post\\040stuff cifs rw 0 0\n"
    )
    assert mounts.mount_fstype(Path("/mnt/show/reel1"), str(table)) == "nfs4"
    assert mounts.mount_fstype(Path("/mnt/post stuff/x"), str(table)) == "cifs"
    assert mounts.mount_fstype(Path("/home/me"), str(table)) == "ext4"


@pytest.fixture
def share(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that /proc/mounts (a copy of the real one, plus a line) says is an NFS mount."""
    root = tmp_path / "show"
    root.mkdir()
    table = tmp_path / "mounts"
    table.write_text(Path("/proc/mounts").read_text() + f"nas:/export/show {root} nfs4 rw 0 0\n")
    real = mounts.mount_fstype
    monkeypatch.setattr(
        mounts, "mount_fstype", lambda path, _table="/proc/mounts": real(path, str(table))
    )
    return root


def test_a_sqlite_ledger_on_a_network_share_is_said_to_be_unsafe_to_share(
    share: Path, tmp_path: Path
) -> None:
    r = run_cli("init", str(share))
    assert r.code == 0
    ledger = share / ".reelprov" / "ledger.db"
    assert (
        f"reelprov: warning: the ledger {ledger} is on a network file system (nfs4): a SQLite ledger is safe only "
        "while every reelprov using it runs on this one machine"
    ) in r.err
    assert "database_url" in r.err
    # the ledger kept on this machine's disk, or a shared PostgreSQL: nothing to say
    local = tmp_path / "local" / "show.db"
    cfg = share / "reelprov.toml"
    cfg.write_text(
        cfg.read_text().replace('database_url = ""', f'database_url = "sqlite:///{local}"', 1)
    )
    local.parent.mkdir()
    r = run_cli("init", str(share))
    assert r.code == 0 and "warning" not in r.err and str(local) in r.out


def test_the_watcher_says_it_when_it_starts(share: Path, caplog: pytest.LogCaptureFixture) -> None:
    from reelprov.project import Project
    from reelprov.watch.daemon import Watcher

    assert run_cli("init", str(share)).code == 0
    caplog.set_level(logging.INFO, logger="reelprov")
    p = Project.open(share)
    w = Watcher(p, settle=0.2)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        wait_for(lambda: w.state.reconciled_at, what="reconciled")
    finally:
        w.stop()
        t.join(15)
        p.close()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        "is on a network file system (nfs4): a SQLite ledger is safe only" in m for m in warned
    ), warned
