"""Choosing how to watch: network mounts are polled; a too-small inotify limit is said and polled."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from reelprov.watch import daemon


def test_mount_fstype_picks_longest_prefix(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/vda / ext4 rw 0 0\nserver:/show /mnt/show nfs4 rw 0 0\n//nas/post /mnt/post\\040stuff cifs rw 0 0\n")
    assert daemon.mount_fstype(Path("/mnt/show/reel1"), str(mounts)) == "nfs4"
    assert daemon.mount_fstype(Path("/mnt/post stuff/x"), str(mounts)) == "cifs"
    assert daemon.mount_fstype(Path("/home/me"), str(mounts)) == "ext4"


def test_network_mount_is_polled(project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "mount_fstype", lambda _p, *_a: "cifs")
    assert daemon.Watcher(project).choose_backend() == "polling"


def test_small_inotify_limit_says_so_and_polls(project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for i in range(5):
        (project.root / f"d{i}").mkdir()
    monkeypatch.setattr(daemon, "mount_fstype", lambda _p, *_a: "ext4")
    monkeypatch.setattr(daemon, "inotify_limit", lambda: 3)
    caplog.set_level(logging.WARNING, logger="reelprov")
    assert daemon.Watcher(project).choose_backend() == "polling"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "sysctl fs.inotify.max_user_watches=" in lines[0]


def test_local_disk_uses_inotify(project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(daemon, "mount_fstype", lambda _p, *_a: "ext4")
    monkeypatch.setattr(daemon, "inotify_limit", lambda: 100000)
    assert daemon.Watcher(project).choose_backend() == "inotify"
