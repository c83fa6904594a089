"""Streaming SHA-256 of a file, never holding it whole in memory, noting C2PA markers on the way."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

CHUNK = 1 << 20
# Byte strings that only appear where a C2PA manifest store (JUMBF) is embedded: JPEG APP11 and
# MP4/WAV boxes carry the "c2pa" label, PNG uses a "caBX" chunk.
_C2PA_MARKERS = (b"c2pa", b"caBX", b"C2PA")


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int
    head: bytes
    c2pa_marker: bool


def digest_file(path: str | os.PathLike[str]) -> Digest:
    """Hash PATH in 1 MiB chunks; also keep its first 64 bytes for sniffing its real type."""
    h = hashlib.sha256()
    size = 0
    head = b""
    marker = False
    tail = b""
    with open(path, "rb", buffering=0) as f:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            chunk = view[:n]
            h.update(chunk)
            if size == 0:
                head = bytes(chunk[:64])
            if not marker:
                window = tail + bytes(chunk)
                marker = any(m in window for m in _C2PA_MARKERS)
                tail = window[-3:]
            size += n
    return Digest(h.hexdigest(), size, head, marker)
