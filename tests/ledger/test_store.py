"""Small parts of the writer (ledger/store.py, ledger/reader.py) that must keep their exact text."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from reelprov.ledger import reader
from reelprov.ledger.store import now_iso


def test_entry_times_are_written_as_isoformat_writes_them() -> None:
    before = datetime.now(UTC)
    ts = now_iso()
    after = datetime.now(UTC)
    assert len(ts) == len(before.isoformat(timespec="microseconds"))
    assert ts.endswith("+00:00") and ts[19] == "."
    assert before <= datetime.fromisoformat(ts) <= after


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def test_path_keys_are_the_folders_hash_then_the_paths_and_the_cache_stays_bounded() -> None:
    for i in range(reader._PATH_KEYS_MOST + 10):
        p = f"vfx/sh{i // 100:05d}/frame.{i:05d}.exr"
        assert reader.path_key(p) == _sha(f"vfx/sh{i // 100:05d}")[:16] + _sha(p)[:48]
    assert len(reader._PATH_KEYS) <= reader._PATH_KEYS_MOST
    # one folder's files sort together; a file at the root has the empty folder
    assert reader.path_key("a/b/x.exr")[:16] == reader.path_key("a/b/y.exr")[:16]
    assert reader.path_key("a/b/x.exr") != reader.path_key("a/b/y.exr")
    assert reader.path_key("x.exr") == _sha("")[:16] + _sha("x.exr")[:48]
    odd = "names/\udcff.png"  # a name that is not UTF-8 on disk
    assert reader.path_key(odd) == _sha("names")[:16] + _sha(odd)[:48]
    assert all(len(reader.path_key(p)) == 64 for p in ("x", "a/b/c", odd, "é/" * 300 + "f"))
