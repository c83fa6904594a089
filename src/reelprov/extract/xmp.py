"""Reading the few XMP properties that matter for provenance, without an XML parser.

Regular expressions, not a DOM: a hostile packet 10,000 elements deep costs a linear scan.
"""

from __future__ import annotations

import re

from reelprov.extract.plugin import Evidence, evidence
from reelprov.extract.tools import ToolTable

MAX_XMP = 4 << 20
IPTC_DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"

# IPTC Digital Source Type code → reelprov origin (shared/DOMAIN.md).
DST_ORIGIN: dict[str, str] = {
    "trainedAlgorithmicMedia": "ai_generated",
    "trainedAlgorithmicData": "ai_generated",
    "compositeWithTrainedAlgorithmicMedia": "ai_composite",
    "algorithmicallyEnhanced": "ai_enhanced",
    "algorithmicMedia": "human",
    "digitalCapture": "human",
    "computationalCapture": "human",
    "negativeFilm": "human",
    "positiveFilm": "human",
    "print": "human",
    "screenCapture": "human",
    "digitalCreation": "human",
    "humanEdits": "human",
    "compositeCapture": "human",
    "compositeSynthetic": "human",
    "dataDrivenMedia": "human",
    "virtualRecording": "human",
    "minorHumanEdits": "human",
    "digitalArt": "human",
    "composite": "human",
}

# Every pattern starts with a literal and bounds each repeat: an optional `(?:\w+:)?` prefix before
# the attribute name made each position of a long word run scan the rest of it (4 MiB of `a` in a
# packet: quadratic, every scan hung). The namespace prefix says nothing: it is not matched.
_DST_ATTR = re.compile(rb"DigitalSourceType\s{0,64}=\s{0,64}[\"']([^\"']{1,300})[\"']")
_DST_ELEM = re.compile(
    rb"<(?:\w{1,64}:)?DigitalSourceType\b([^>]{0,500})>([^<]{0,300})<", re.IGNORECASE
)
_RESOURCE = re.compile(rb"rdf:resource\s{0,64}=\s{0,64}[\"']([^\"']{1,300})[\"']")
_TOOL_PROPS = re.compile(
    rb"(?:CreatorTool|softwareAgent|Software|generator)\s{0,64}(?:=\s{0,64}[\"']([^\"']{1,300})[\"']|>([^<]{1,300})<)"
)
_DESC = re.compile(
    rb"<(?:dc:)?description\b.{0,2000}?<rdf:li[^>]{0,500}>([^<]{1,2000})<", re.DOTALL
)


def dst_code(value: str) -> str:
    v = value.strip()
    return v[len(IPTC_DST) :] if v.startswith(IPTC_DST) else v.rsplit("/", 1)[-1]


def read_xmp(packet: bytes, source: str, tools: ToolTable, *, kind: str = "xmp") -> list[Evidence]:
    """Evidence from one XMP packet: DigitalSourceType codes, then tool names it mentions."""
    if len(packet) > MAX_XMP:
        return [
            evidence(
                source,
                "error",
                None,
                None,
                f"XMP packet of {len(packet)} bytes is over {MAX_XMP} and was not read",
            )
        ]
    out: list[Evidence] = []
    codes = [m.group(1) for m in _DST_ATTR.finditer(packet)]
    for m in _DST_ELEM.finditer(packet):
        res = _RESOURCE.search(m.group(1))
        codes.append(res.group(1) if res else m.group(2))
    tool_names: list[str] = []
    for m in _TOOL_PROPS.finditer(packet):
        raw = (m.group(1) or m.group(2) or b"").decode("utf-8", "replace")
        tool_names.extend(t.name for t in tools.find(raw) if t.name not in tool_names)
    desc = _DESC.search(packet)
    desc_text = desc.group(1).decode("utf-8", "replace") if desc else ""
    if "midjourney" in desc_text.lower() or "job id" in desc_text.lower():
        if "Midjourney" not in tool_names:
            tool_names.append("Midjourney")
    for raw in dict.fromkeys(codes):
        code = dst_code(raw.decode("utf-8", "replace").strip())
        if not code:
            continue
        origin = DST_ORIGIN.get(code)
        tool = tool_names[0] if tool_names and origin and origin != "human" else None
        detail = f"DigitalSourceType {code}" + (
            "" if origin else " (not an IPTC code reelprov knows)"
        )
        out.append(evidence(source, kind, origin, tool, detail))
    if not codes:
        for name in tool_names:
            t = tools.by_name(name)
            out.append(
                evidence(source, "tool_hint", t.origin if t else None, name, f"XMP names {name}")
            )
    return out
