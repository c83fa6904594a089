"""One origin verdict from all evidence: the strongest source wins, nothing found means unknown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from reelprov.contract import Origin

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


# What the file itself records about how it was made (a manifest, valid or not, XMP/IPTC,
# generator text), as opposed to hints (tool names, folders, camera Make/Model).
FILE_SAYS = STRENGTH["generator_text"]


def files_own_ai_claim(evidence: Iterable[Mapping[str, Any]]) -> str | None:
    """The strongest AI origin the file's own metadata states (never a declaration's), if any."""
    best: tuple[float, int] | None = None
    origin = None
    for item in evidence:
        o = item.get("origin")
        if item.get("kind") != "declaration" and o in ANY_AI and strength(item) >= FILE_SAYS:
            rank = (strength(item), _PRECEDENCE[str(o)])
            if best is None or rank > best:
                best, origin = rank, str(o)
    return origin


# How much review an origin asks for: generated and composite elements alike are AI headed to
# screen; enhanced is less; human least. A declaration may not move a file down these tiers.
_TIER = {"ai_generated": 3, "ai_composite": 3, "ai_enhanced": 2, "human": 1}


def _says_less(declared: Any, own: str) -> bool:
    return declared in _TIER and _TIER[str(declared)] < _TIER[own]


def declared_below_file(evidence: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a declaration says less AI than the file's own metadata does (human, or enhanced
    where the file says generated): a disagreement for a person to look at."""
    items = list(evidence)
    if not any(i.get("kind") == "declaration" for i in items):
        return False  # nothing declared (most files): nothing to disagree with
    own = files_own_ai_claim(items)
    return own is not None and any(
        i.get("kind") == "declaration" and _says_less(i.get("origin"), own) for i in items
    )


def classify(evidence: Iterable[Mapping[str, Any]]) -> tuple[Origin, list[str]]:
    """(origin, tools) from evidence items ``{source, kind, origin, tool, detail}``.

    A declaration (a vendor's sidecar, `reelprov declare`) may strengthen the verdict or correct
    weak hints, but never says less than the file's own AI evidence: a sidecar declaring
    `ai_enhanced` or `human` over the file's own trainedAlgorithmicMedia leaves it `ai_generated`
    (and the policy flags the disagreement)."""
    items = list(evidence)
    own = files_own_ai_claim(items)
    best: tuple[float, int] = (0.0, 0)
    origin = "unknown"
    tools: list[str] = []
    for item in items:
        tool = item.get("tool")
        if tool and tool not in tools:
            tools.append(str(tool))
        o = item.get("origin")
        if o not in _PRECEDENCE or (o == "human" and item.get("kind") in NO_HUMAN_CLAIM):
            continue
        if item.get("kind") == "declaration" and own is not None and _says_less(o, own):
            continue
        rank = (strength(item), _PRECEDENCE[o])
        if rank > best:
            best, origin = rank, str(o)
    return cast("Origin", origin), sorted(tools, key=str.casefold)  # a key of _PRECEDENCE
