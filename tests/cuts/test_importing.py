"""A cut import (and removal) that touches more assets than it holds at once: written a chunk at a
time into one transaction (Batch.spill), with the same result as holding them all, and nothing
of it kept when it fails part way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SD_PARAMS, write_png

EDL = """TITLE: VFX R1
FCM: NON-DROP FRAME

001  AX       V     C        00:00:00:00 00:00:00:{n:02d} 01:00:00:00 01:00:00:{n:02d}
* FROM CLIP: /Volumes/SHOW/vfx/sh010/sh010_comp.[1001-{last}].png

002  AX       V     C        00:00:00:00 00:00:01:00 01:00:01:00 01:00:02:00
* FROM CLIP NAME: castle.png
"""


def _show(cli, root: Path) -> Path:
    for n in range(1001, 1015):
        write_png(
            root / f"vfx/sh010/sh010_comp.{n}.png",
            {"parameters": SD_PARAMS} if n in (1003, 1011) else None,
            color=(n % 256, 1, 1),
        )
    write_png(root / "final/boards/castle.png", {"parameters": SD_PARAMS})
    cfg = root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }'))
    assert cli("scan", cwd=root).code == 0
    return root


def _cut(root: Path, frames: int) -> Path:
    edl = root / "r1.edl"
    edl.write_text(EDL.format(n=frames, last=1000 + frames))
    return edl


def _state(cli, root: Path) -> dict[str, Any]:
    """What a user sees of the cut: the assets in it, every flag, the cut's events."""
    flags = [
        f
        for status in ("unresolved", "decided", "resolved")
        for f in cli("flags", "--status", status, "--json", cwd=root).json()
    ]
    cuts = cli("cut", "ls", "--json", cwd=root).json()
    return {
        "in_cut": sorted(a["path"] for a in cli("ls", "--in-cut", "--json", cwd=root).json()),
        "flags": sorted((f["path"], f["rule"], f["status"]) for f in flags),
        "cuts": [(c["name"], c["events"], c["unmatched"]) for c in cuts],
        "events": [
            _without_ids(cli("cut", "show", c["name"], "--json", cwd=root).json()["events"])
            for c in cuts
        ],
    }


def _without_ids(value: Any) -> Any:
    """VALUE without asset ids (two projects mint different ones for the same files)."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "asset"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _story(cli, root: Path) -> list[dict[str, Any]]:
    """Import a cut of 14 frames and a still, trim it to 5 frames, remove it: the state after each."""
    seen = []
    assert cli("cut", "import", str(_cut(root, 14)), cwd=root).code == 0
    seen.append(_state(cli, root))
    assert cli("cut", "import", str(_cut(root, 5)), cwd=root).code == 0
    seen.append(_state(cli, root))
    assert cli("cut", "rm", "VFX R1", cwd=root).code == 0
    seen.append(_state(cli, root))
    assert cli("verify", cwd=root).code == 0
    return seen


def test_a_cut_written_a_chunk_at_a_time_is_the_cut_held_whole(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelprov.cuts import importing

    whole = tmp_path / "whole"
    chunked = tmp_path / "chunked"
    for root in (whole, chunked):
        root.mkdir()
        assert cli("init", str(root)).code == 0
        _show(cli, root)
    held = _story(cli, whole)
    monkeypatch.setattr(importing, "SPILL_EVERY", 3)  # 15 assets: five chunks
    spilled = _story(cli, chunked)
    assert spilled == held
    first = held[0]
    assert len(first["in_cut"]) == 15
    assert ("vfx/sh010/sh010_comp.1011.png", "screen.ai_headed_to_screen", "open") in first["flags"]
    screen = [(p, status) for p, rule, status in held[1]["flags"] if rule.startswith("screen.")]
    assert sorted(screen) == [  # trimmed to five frames: 1011 left the screen
        ("final/boards/castle.png", "open"),
        ("vfx/sh010/sh010_comp.1003.png", "open"),
        ("vfx/sh010/sh010_comp.1011.png", "resolved"),
    ]
    assert held[2]["in_cut"] == [] and held[2]["cuts"] == []


def test_a_cut_import_failing_part_way_keeps_nothing_of_it(
    cli, show_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third chunk's rows cannot be read (the database went away): the two chunks already
    written into the transaction are rolled back with it; the ledger is as it was and verifies."""
    from reelprov.cuts import importing
    from reelprov.errors import DatabaseError
    from reelprov.ledger import store

    _show(cli, show_root)
    before = _state(cli, show_root)
    head = cli("verify", "--json", cwd=show_root).json()
    monkeypatch.setattr(importing, "SPILL_EVERY", 3)
    real = store.Batch.preload_assets
    calls = []

    def failing(self: Any, ids: list[str]) -> None:
        calls.append(ids)
        if len(calls) == 3:
            raise DatabaseError("the ledger: disk I/O error")
        real(self, ids)

    monkeypatch.setattr(store.Batch, "preload_assets", failing)
    res = cli("cut", "import", str(_cut(show_root, 14)), cwd=show_root)
    assert res.code == 2 and "disk I/O error" in res.err
    monkeypatch.setattr(store.Batch, "preload_assets", real)
    assert _state(cli, show_root) == before
    after = cli("verify", "--json", cwd=show_root)
    assert after.code == 0
    assert after.json() == head
