"""Opening and writing files safely: regular files only, never through a link or FIFO someone
planted where reelprov reads or writes (a vendor, a compromised workstation with write access to
the project folder)."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

# Inode numbers are unsigned 64-bit on some file systems; the scan cache keeps them in a signed BIGINT.
_INODE_MASK = (1 << 63) - 1


def inode_of(st: os.stat_result) -> int:
    """A file's inode number as reelprov keeps it (to tell a file renamed over another)."""
    return st.st_ino & _INODE_MASK


def open_regular(path: str | os.PathLike[str], *, follow: bool = True) -> BinaryIO:
    """PATH opened for reading only if it is a regular file: a FIFO put in a file's place is never
    waited on (opened non-blocking, then refused), a device never read. FOLLOW False: a symbolic
    link in the file's place is refused too."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = (
                "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a folder"
                if stat.S_ISDIR(mode)
                else "not a regular file"
            )
            raise OSError(errno.EINVAL, f"it is {what} now, not a regular file", os.fspath(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def replacing(target: Path) -> Iterator[TextIO]:
    """A text file to write TARGET's new content into, a piece at a time: a new file of its own in
    the same folder (created exclusively: a symbolic link or FIFO planted under a predictable
    temporary name is never followed), renamed over TARGET when the block ends without error; a
    link standing at TARGET itself is replaced, not written through. On error TARGET is untouched."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_file_safely(target: Path, text: str) -> None:
    """Write TEXT to TARGET as `replacing` does."""
    with replacing(target) as f:
        f.write(text)
