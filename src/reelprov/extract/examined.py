"""What examining one file found (`Examined`), or why it could not be read (`ReadFailure`): the
records the examining processes hand back to the recorder. They cross process boundaries, so
they hold plain values only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelprov.extract.plugin import Evidence


@dataclass(frozen=True, slots=True)
class Examined:
    """One file read: its content hash, its real type and the evidence of its origin."""

    path: str  # root-relative
    size: int
    mtime_ns: int  # of the file as hashed (or of a newer sidecar: see recording.walk)
    ctime_ns: int
    inode: int
    sha256: str
    media_type: str
    evidence: list[Evidence]
    c2pa: dict[str, Any]  # {"present": bool, "state": none|valid|trusted|invalid, ...}


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A file that could not be read at all (gone, unreadable): said, never recorded."""

    path: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error}


Outcome = Examined | ReadFailure
