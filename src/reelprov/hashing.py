"""Streaming SHA-256 of a file, never holding it whole in memory, noting C2PA markers on the way."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import BinaryIO

from reelprov.files import inode_of, open_regular

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
    data: bytes | None = None  # the whole content, when it came in one read (files under 1 MiB)
    mtime_ns: int = 0  # of the file as opened: the very one hashed
    growing: bool = False  # its size or time changed while it was read: still being written
    ctime_ns: int = 0
    inode: int = 0


def digest_file(path: str | os.PathLike[str], *, follow: bool = True) -> Digest:
    """Hash PATH; also keep its first 64 bytes for sniffing its real type.

    A file under 1 MiB (most stills, frames and sidecars) is read in one call of exactly its size
    plus one byte (the byte tells whether it grew since it was opened): a 1 MiB buffer for a 30 KB
    frame cost more than hashing it. Larger files stream through one reused 1 MiB buffer, so
    memory stays flat.
    """
    h = hashlib.sha256()
    with open_regular(path, follow=follow) as f:
        st = os.fstat(f.fileno())
        mtime_ns, ident = st.st_mtime_ns, {"ctime_ns": st.st_ctime_ns, "inode": inode_of(st)}
        first = f.read(st.st_size + 1 if st.st_size < CHUNK else CHUNK)
        h.update(first)
        size = len(first)
        marker = _found(first, len(first))
        if size <= st.st_size and size < CHUNK:  # the whole file, in one read
            return Digest(
                h.hexdigest(),
                size,
                first[:64],
                marker,
                first,
                mtime_ns,
                _moved(f, size, mtime_ns),
                **ident,
            )
        tail = first[-3:]
        buf = bytearray(CHUNK)
        while n := f.readinto(buf):  # type: ignore[attr-defined]  # a raw FileIO: readinto is there
            h.update(memoryview(buf)[:n])
            if not marker:  # a marker may straddle two chunks: look at the seam too
                seam = tail + bytes(buf[: min(3, n)])  # never the stale bytes past n
                marker = _found(seam, len(seam)) or _found(buf, n)
                tail = bytes(buf[max(0, n - 3) : n])
            size += n
        growing = _moved(f, size, mtime_ns)
    return Digest(h.hexdigest(), size, first[:64], marker, None, mtime_ns, growing, **ident)


def _moved(f: BinaryIO, size: int, mtime_ns: int) -> bool:
    st = os.fstat(f.fileno())
    return st.st_size != size or st.st_mtime_ns != mtime_ns


def _found(data: bytes | bytearray, n: int) -> bool:
    """Whether a C2PA marker occurs in DATA[:n] (searched in place, no copy)."""
    return any(data.find(m, 0, n) >= 0 for m in _C2PA_MARKERS)
