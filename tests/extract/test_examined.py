"""What an examining process hands back: the payload it encodes for the writer is exactly what
the writer would have encoded (canonical JSON of the same payload), so the chain and a replay of
the ledger see the same entry; and a fresh asset id and the path's key."""

from __future__ import annotations

import uuid

from reelprov.extract import examine
from reelprov.ledger.chain import canonical
from reelprov.ledger.reader import path_key
from tests.conftest import SAMPLES

MEDIA = (".png", ".jpg", ".webp", ".mp3", ".flac", ".mp4", ".wav", ".exr", ".tif")


def test_the_encoded_payloads_are_the_canonical_text_of_the_payloads() -> None:
    files = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.suffix.lower() in MEDIA]
    assert len(files) > 20
    for p in files:
        # a non-ASCII, quoted name: the path is inside the seen payload
        r = examine(str(p), f'vfx/ß "q" {p.relative_to(SAMPLES).as_posix()}')
        assert r.seen_body == canonical(r.seen_payload()), p
        assert r.path_key == path_key(r.path)
        assert uuid.UUID(r.fresh_id).version == 7
