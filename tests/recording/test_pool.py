"""The examining processes' records (recording/pool.py): what they encode for the writer stays the
canonical text of what the writer records, also when the pool changes the record afterwards."""

from __future__ import annotations

import os
from pathlib import Path

from reelprov.extract import Examined
from reelprov.ledger.chain import canonical
from reelprov.recording.pool import _examine_one
from tests.conftest import SAMPLES


def test_a_newer_sidecars_time_is_in_the_encoded_seen_payload(tmp_path: Path) -> None:
    """A file whose sidecar changed after it is recorded with the sidecar's time (so a rescan sees
    the sidecar's edit); the seen entry's text, encoded in the examining process, says that time."""
    f = tmp_path / "plate.png"
    f.write_bytes((SAMPLES / "plain/no_metadata.png").read_bytes())
    later = os.stat(f).st_mtime_ns + 5_000_000_000
    r = _examine_one((str(f), "plate.png", later, None, True))
    assert isinstance(r, Examined)
    assert r.mtime_ns == later
    assert r.seen_body == canonical(r.seen_payload())
    assert f'"mtime_ns":{later}' in r.seen_body
    assert f'"evidence":{canonical(r.evidence)}' in r.seen_body
