"""One origin verdict from all evidence: the strongest source wins, nothing found means unknown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ORIGINS = ("ai_generated", "ai_composite", "ai_enhanced", "human", "unknown")
AI_ORIGINS = frozenset({"ai_generated", "ai_composite"})
ANY_AI = frozenset({"ai_generated", "ai_composite", "ai_enhanced"})

# How much each kind of evidence is worth. A valid C2PA manifest is signed over the content;
# XMP/IPTC and declarations are explicit statements; generator text chunks are specific but
# unsigned; tool names in tags are hints; path conventions and camera EXIF are weakest.
STRENGTH: dict[str, float] = {
    "c2pa": 10.0,
    "declaration": 8.0,
    "c2pa_invalid": 7.0,
    "xmp": 7.0,
    "iptc": 7.0,
    "sidecar_xmp": 6.5,
    "generator_text": 5.0,
    "tool_hint": 3.0,
    "path": 1.5,
    "camera": 1.0,
}

# Evidence of these kinds counts when it says AI was involved, but its claim of human origin
# does not: a manifest that no longer validates speaks of other content (a signed capture edited
# afterwards keeps claiming "digitalCapture"), so it cannot vouch for this file being human-made.
NO_HUMAN_CLAIM = frozenset({"c2pa_invalid"})

# At equal strength, disagreeing evidence resolves toward the verdict that needs review, so
# a capture edited with generative fill is a composite, and a generated base stays generated.
_PRECEDENCE = {"ai_generated": 4, "ai_composite": 3, "ai_enhanced": 2, "human": 1}


def strength(item: Mapping[str, Any]) -> float:
    return STRENGTH.get(str(item.get("kind", "")), 0.0)


def classify(evidence: Iterable[Mapping[str, Any]]) -> tuple[str, list[str]]:
    """(origin, tools) from evidence items ``{source, kind, origin, tool, detail}``."""
    best: tuple[float, int] = (0.0, 0)
    origin = "unknown"
    tools: list[str] = []
    for item in evidence:
        tool = item.get("tool")
        if tool and tool not in tools:
            tools.append(str(tool))
        o = item.get("origin")
        if o not in _PRECEDENCE or (o == "human" and item.get("kind") in NO_HUMAN_CLAIM):
            continue
        rank = (strength(item), _PRECEDENCE[o])
        if rank > best:
            best, origin = rank, str(o)
    return origin, sorted(tools, key=str.casefold)
