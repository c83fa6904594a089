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
    # Written by the examining process so the ledger's single writer does not have to: the
    # payloads of the entries that record a new file as the ledger stores them (canonical JSON of
    # seen_payload() and evidence_payload()), and an asset id should the file be a new asset.
    seen_body: str = ""
    evidence_body: str = ""
    fresh_id: str = ""
    path_key: str = ""  # ledger.reader.path_key(path)

    def seen_payload(self) -> dict[str, Any]:
        """The payload of the `seen` entry recording this file as a new asset."""
        return {
            "path": self.path,
            "mtime_ns": self.mtime_ns,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
        }

    def evidence_payload(self) -> dict[str, Any]:
        """The payload of the `evidence` entry recording what this reading found."""
        return {"sha256": self.sha256, "evidence": self.evidence, "c2pa": self.c2pa}

    def encoded(self) -> Examined:
        """This record with its entry payloads encoded, an asset id minted and its path's key (what
        the examining process does before handing it back)."""
        from dataclasses import replace

        from reelprov.ledger.chain import canonical
        from reelprov.ledger.ids import time_ordered_id
        from reelprov.ledger.reader import path_key

        return replace(
            self,
            seen_body=canonical(self.seen_payload()),
            evidence_body=canonical(self.evidence_payload()),
            fresh_id=time_ordered_id(),
            path_key=path_key(self.path),
        )


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """A file that could not be read at all (gone, unreadable): said, never recorded."""

    path: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error}


Outcome = Examined | ReadFailure
