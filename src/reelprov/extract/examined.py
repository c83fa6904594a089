"""What examining one file found (`Examined`), or why it could not be read (`ReadFailure`): the
records the examining processes hand back to the recorder. They cross process boundaries, so
they hold plain values only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from reelprov.extract.plugin import Evidence

if TYPE_CHECKING:
    from reelprov.ledger.entries import EvidenceFound, Seen


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
    # Written where the record is made (an examining process) so the ledger's single writer does
    # not have to: the payload of the entry that records a new file as the ledger stores it
    # (canonical JSON of seen_payload(): its content and what reading it found), an asset id
    # should the file be a new asset, and its path's key. Never passed in: made from the fields
    # above on construction (dataclasses.replace too), so they cannot say other than the record
    # does. The rarer evidence entry (a known file changed or read again) is encoded by the writer.
    seen_body: str = field(init=False)
    fresh_id: str = field(init=False)
    path_key: str = field(init=False)

    def __post_init__(self) -> None:
        from reelprov.ledger.chain import canonical
        from reelprov.ledger.ids import time_ordered_id
        from reelprov.ledger.reader import path_key

        made = object.__setattr__  # a frozen record's own fields, set once here
        made(self, "seen_body", canonical(self.seen_payload()))
        made(self, "fresh_id", time_ordered_id())
        made(self, "path_key", path_key(self.path))

    def seen_payload(self) -> Seen:
        """The payload of the `seen` entry recording this file as a new asset (or one back where it
        was deleted from): its content and what this reading found, in one entry."""
        return {
            "path": self.path,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "evidence": self.evidence,
            "c2pa": self.c2pa,
        }

    def evidence_payload(self) -> EvidenceFound:
        """The payload of the `evidence` entry recording what this reading found."""
        return {"sha256": self.sha256, "evidence": self.evidence, "c2pa": self.c2pa}


class FileError(TypedDict):
    """A file or folder a scan could not read or look into, and why (`scan --json`'s errors)."""

    path: str
    error: str


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A file that could not be read at all (gone, unreadable): said, never recorded."""

    path: str
    error: str

    def to_json(self) -> FileError:
        return {"path": self.path, "error": self.error}


Outcome = Examined | ReadFailure
