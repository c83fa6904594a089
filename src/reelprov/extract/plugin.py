"""The extractor plug-in interface: what an extractor is given (Context), what it returns
(ExtractResult of evidence items) and the pluggy markers. Built-in extractors and vendors' (entry
point group `reelprov.extractors`) import from here; reelprov.extract runs them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NotRequired, TypedDict

import pluggy

from reelprov.extract.tools import ToolTable
from reelprov.files import open_regular
from reelprov.names import printable

hookspec = pluggy.HookspecMarker("reelprov")
hookimpl = pluggy.HookimplMarker("reelprov")


class Evidence(TypedDict):
    """One evidence item: where it came from, what kind of evidence, the origin it points to (None
    when it says nothing either way), the tool it names and what it says. Stored in the ledger as
    is (the evidence entry) and shown in the asset JSON (contract.EvidenceJson)."""

    source: str
    kind: str
    origin: str | None
    tool: str | None
    detail: str
    tags: NotRequired[list[str]]  # tags a declaration sidecar gives
    use: NotRequired[str]  # the intended use a declaration sidecar names ("U-3")


@dataclass
class Context:
    """What an extractor may know about the file it is asked about."""

    path: Path
    rel: str
    media_type: str
    head: bytes
    size: int
    c2pa_marker: bool
    tools: ToolTable
    trust_anchors: str | None = None
    sidecars: bool = True  # False: the scan saw no sidecar file in this folder (skip looking)
    data: bytes | None = None  # the file's bytes when hashing already read it whole (under 1 MiB)

    def stream(self) -> BinaryIO:
        """The file to read: the very bytes that were hashed when they are in memory (no second
        open, and evidence that cannot come from a later version of the file), else the file."""
        return io.BytesIO(self.data) if self.data is not None else open_regular(self.path)


@dataclass
class ExtractResult:
    evidence: list[Evidence] = field(default_factory=list)
    c2pa: dict[str, Any] | None = None


class Specs:
    @hookspec
    def reelprov_extract(self, ctx: Context) -> ExtractResult | None:
        """Look at ctx.path and return the evidence found (None when this file is not for you)."""


def evidence(source: str, kind: str, origin: str | None, tool: str | None, detail: str) -> Evidence:
    """One evidence item as stored in the ledger and shown in asset JSON. What came out of the
    file is made printable: no control character a terminal would act on reaches the ledger."""
    return {
        "source": printable(source),
        "kind": kind,
        "origin": origin,
        "tool": printable(tool) if tool else tool,
        "detail": printable(detail[:500]),
    }


def unreadable(source: str, exc: BaseException | str) -> Evidence:
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return evidence(source, "error", None, None, f"could not be read: {text}")
