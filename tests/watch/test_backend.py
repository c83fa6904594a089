"""Choosing how to watch: network mounts are polled; a too-small inotify limit is said and polled."""

from __future__ import annotations

import logging

import pytest

from reelprov.watch import observers


def test_network_mount_is_polled(project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observers, "mount_fstype", lambda _p, *_a: "cifs")
    assert observers.choose_backend(project, None) == "polling"


def test_small_inotify_limit_says_so_and_polls(
    project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(5):
        (project.root / f"d{i}").mkdir()
    monkeypatch.setattr(observers, "mount_fstype", lambda _p, *_a: "ext4")
    monkeypatch.setattr(observers, "inotify_limit", lambda: 3)
    caplog.set_level(logging.WARNING, logger="reelprov")
    assert observers.choose_backend(project, None) == "polling"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "sysctl fs.inotify.max_user_watches=" in lines[0]


def test_local_disk_uses_inotify(project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observers, "mount_fstype", lambda _p, *_a: "ext4")
    monkeypatch.setattr(observers, "inotify_limit", lambda: 100000)
    assert observers.choose_backend(project, None) == "inotify"
