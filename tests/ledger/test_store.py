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


def test_path_keys_stay_the_paths_hash_and_the_cache_stays_bounded() -> None:
    for i in range(reader._PATH_KEYS_MOST + 10):
        p = f"vfx/sh{i:05d}/frame.exr"
        assert reader.path_key(p) == hashlib.sha256(p.encode()).hexdigest()
    assert len(reader._PATH_KEYS) <= reader._PATH_KEYS_MOST
    odd = "names/\udcff.png"  # a name that is not UTF-8 on disk
    assert (
        reader.path_key(odd) == hashlib.sha256(odd.encode("utf-8", "surrogateescape")).hexdigest()
    )
