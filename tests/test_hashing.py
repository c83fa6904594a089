"""Streaming SHA-256 and the C2PA marker sniff, at every size around the 1 MiB chunk."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reelprov.hashing import CHUNK, digest_file

SIZES = [0, 1, 63, 64, 100, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 3, 3 * CHUNK + 17]


def _data(size: int) -> bytearray:
    # bytes that can never spell a marker, so only the one we place is found
    return bytearray((b"0123456789abdef" * (size // 15 + 1))[:size])


@pytest.mark.parametrize("size", SIZES)
def test_hash_size_and_head_match_the_whole_file(tmp_path: Path, size: int) -> None:
    data = _data(size)
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    d = digest_file(f)
    assert (d.sha256, d.size, d.head, d.c2pa_marker) == (
        hashlib.sha256(data).hexdigest(),
        size,
        bytes(data[:64]),
        False,
    )


@pytest.mark.parametrize(
    ("size", "at"),
    [
        (100, 0),
        (100, 96),
        (CHUNK, CHUNK - 4),
        (CHUNK + 1, CHUNK - 3),
        (CHUNK + 3, CHUNK - 1),
        (CHUNK + 4, CHUNK),
        (3 * CHUNK + 17, 2 * CHUNK - 2),
        (3 * CHUNK + 17, 3 * CHUNK + 13),
    ],
)
@pytest.mark.parametrize("marker", [b"c2pa", b"caBX", b"C2PA"])
def test_marker_found_anywhere_even_across_a_chunk_seam(
    tmp_path: Path, size: int, at: int, marker: bytes
) -> None:
    data = _data(size)
    data[at : at + 4] = marker
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    d = digest_file(f)
    assert d.c2pa_marker and d.size == size and d.sha256 == hashlib.sha256(data).hexdigest()


def test_no_false_marker_from_the_previous_chunk_left_in_the_buffer(tmp_path: Path) -> None:
    """The last chunk may be shorter than 3 bytes; the bytes after it in the reused buffer are the
    previous chunk's and must not complete a marker across the seam."""
    data = _data(2 * CHUNK + 1)
    data[CHUNK + 1 : CHUNK + 2] = b"a"  # stays in the buffer after the last read
    data[2 * CHUNK - 3 : 2 * CHUNK] = b"zc2"
    data[2 * CHUNK :] = b"p"  # the file ends ...zc2p: no marker
    f = tmp_path / "f.bin"
    f.write_bytes(data)
    assert b"c2pa" not in data and digest_file(f).c2pa_marker is False
