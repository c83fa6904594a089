"""Audio and video tags through mutagen: ID3, Vorbis comments, MP4 atoms, WAV/AIFF chunks."""

from __future__ import annotations

import struct
from typing import Any

from reelprov.extract.plugin import Context, Evidence, ExtractResult, evidence, hookimpl, unreadable
from reelprov.extract.xmp import DST_ORIGIN, dst_code

_MAX_VALUE = 4000
# RIFF INFO chunk ids worth reading: software, comment, engineer, title, artist.
_RIFF_INFO = {
    b"ISFT": "INFO ISFT",
    b"ICMT": "INFO ICMT",
    b"IENG": "INFO IENG",
    b"INAM": "INFO INAM",
    b"IART": "INFO IART",
}


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    mt = ctx.media_type
    if not (mt.startswith("audio/") or mt.startswith("video/")) or ctx.size == 0:
        return None
    out: list[Evidence] = []
    for label, value in _tag_values(ctx, out):
        out.extend(_judge(label, value, ctx))
    if mt in ("audio/wav", "audio/aiff"):
        out.extend(_riff_info(ctx))
    return ExtractResult(out)


# The mutagen class for a sniffed media type: skips scoring every format mutagen knows.
_KINDS = {
    "audio/mpeg": ("mutagen.mp3", "MP3"),
    "audio/mp4": ("mutagen.mp4", "MP4"),
    "video/mp4": ("mutagen.mp4", "MP4"),
    "video/quicktime": ("mutagen.mp4", "MP4"),
    "audio/flac": ("mutagen.flac", "FLAC"),
    "audio/wav": ("mutagen.wave", "WAVE"),
    "audio/aiff": ("mutagen.aiff", "AIFF"),
}


def _open(ctx: Context) -> Any:
    import mutagen

    kind = _KINDS.get(ctx.media_type)
    with ctx.stream() as f:
        if kind is not None:
            from importlib import import_module

            try:
                return getattr(import_module(kind[0]), kind[1])(f)
            except Exception:  # noqa: BLE001 - not that format after all: let mutagen sniff
                f.seek(0)
        return mutagen.File(f)


def _tag_values(ctx: Context, out: list[Evidence]) -> list[tuple[str, str]]:
    try:
        f = _open(ctx)
    except Exception as exc:  # noqa: BLE001 - mutagen raises many types on broken files
        out.append(unreadable("audio/video tags", exc))
        return []
    if f is None:
        out.append(unreadable("audio/video tags", f"not a {ctx.media_type} file mutagen can parse"))
        return []
    if f.tags is None:
        return []
    pairs: list[tuple[str, str]] = []
    tags: Any = f.tags
    items = tags.items() if hasattr(tags, "items") else []
    for key, value in items:
        label = _label(key, value)
        for v in value if isinstance(value, list) else [value]:
            text = _text(v)
            if text:
                pairs.append((label, text[:_MAX_VALUE]))
    return pairs


def _label(key: Any, value: Any) -> str:
    desc = getattr(value, "desc", None)
    k = str(key)
    if desc and not k.endswith(desc):
        return f"{k}:{desc}"
    return k


def _text(v: Any) -> str:
    if hasattr(v, "text"):
        t = v.text
        return " ".join(str(x) for x in t) if isinstance(t, list) else str(t)
    if isinstance(v, bytes):
        return v[:_MAX_VALUE].decode("utf-8", "replace")
    if isinstance(v, str | int | float):
        return str(v)
    return ""


def _judge(label: str, value: str, ctx: Context) -> list[Evidence]:
    source = f"tag {label}"
    if "digitalsourcetype" in label.lower():
        code = dst_code(value)
        origin = DST_ORIGIN.get(code)
        tool = None
        found = ctx.tools.find(value)
        if found:
            tool = found[0].name
        return [evidence(source, "xmp", origin, tool, f"DigitalSourceType {code}")]
    found = ctx.tools.find(value)
    if not found:
        return []
    t = found[0]
    return [evidence(source, "tool_hint", t.origin, t.name, value[:120])]


def _riff_info(ctx: Context) -> list[Evidence]:
    out: list[Evidence] = []
    with ctx.stream() as f:
        head = f.read(12)
        big = head[:4] == b"FORM"
        fmt = ">I" if big else "<I"
        pos = 12
        for _ in range(10000):
            f.seek(pos)
            hdr = f.read(8)
            if len(hdr) < 8:
                break
            cid, size = hdr[:4], struct.unpack(fmt, hdr[4:])[0]
            if cid == b"LIST" and size < (1 << 20):
                body = f.read(size)
                if body[:4] == b"INFO":
                    i = 4
                    while i + 8 <= len(body):
                        sid, ssz = body[i : i + 4], struct.unpack("<I", body[i + 4 : i + 8])[0]
                        val = body[i + 8 : i + 8 + ssz].rstrip(b"\x00").decode("utf-8", "replace")
                        if sid in _RIFF_INFO:
                            out.extend(_judge(_RIFF_INFO[sid], val, ctx))
                        i += 8 + ssz + (ssz & 1)
            pos += 8 + size + (size & 1)
    return out
