"""Image metadata without decoding pixels: JPEG segments, PNG chunks, WebP chunks, TIFF tags, EXIF."""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any, BinaryIO

from reelprov.extract.plugin import Context, Evidence, ExtractResult, evidence, hookimpl, unreadable
from reelprov.extract.xmp import read_xmp

MAX_TEXT = 8 << 20
# Text chunks (PNG) or metadata segments (JPEG) read per file: a crafted file of many thousands of
# them costs time for nothing (real files carry a handful). Generous, so that evidence a file buries
# behind junk chunks is still read; what lies past it is said to be unread (never read as human).
MAX_CHUNKS = 10_000
_SD_PARAMS = re.compile(r"(?:^|\n)(?:Negative prompt:|Steps:\s*\d+)", re.IGNORECASE)
_MODEL = re.compile(r"Model:\s*([^,\n]{1,120})")
_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_TAGS = {271: "Make", 272: "Model", 305: "Software", 270: "ImageDescription", 315: "Artist"}
_EXIF_IFD = 0x8769
_USER_COMMENT = 37510


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    mt = ctx.media_type
    if not mt.startswith("image/") or ctx.size == 0:
        return None
    with ctx.stream() as f:
        if mt == "image/png":
            return ExtractResult(_png(f, ctx))
        if mt == "image/jpeg":
            return ExtractResult(_jpeg(f, ctx))
        if mt == "image/webp":
            return ExtractResult(_webp(f, ctx))
    if mt == "image/tiff":
        return ExtractResult(_tiff(ctx))
    return None


# -- text that generators write ----------------------------------------------------------------
def generator_text(key: str, value: str, source: str, ctx: Context) -> list[Evidence]:
    """Evidence from one text field (PNG chunk, EXIF UserComment) by what generators write there."""
    tools = ctx.tools
    owner = tools.png_key_owner(key)
    if key == "parameters" and _SD_PARAMS.search(value):
        model = _MODEL.search(value)
        detail = "A1111/Forge generation parameters" + (
            f", model {model.group(1).strip()}" if model else ""
        )
        return [evidence(source, "generator_text", "ai_generated", "Stable Diffusion", detail)]
    if key in ("prompt", "workflow"):
        try:
            graph = json.loads(value)
        except ValueError:
            graph = None
        if _is_comfy(graph):
            return [
                evidence(
                    source, "generator_text", "ai_generated", "ComfyUI", f"ComfyUI {key} graph"
                )
            ]
        return []
    if owner is not None and key not in ("parameters",):
        return [
            evidence(
                source,
                "generator_text",
                owner.origin,
                owner.name,
                f"{owner.name} metadata in '{key}'",
            )
        ]
    if key in ("Software", "Source") and tools.find(value):
        t = tools.find(value)[0]
        kind = "generator_text" if t.name == "NovelAI" else "tool_hint"
        return [evidence(source, kind, t.origin, t.name, f"{key}: {value[:120]}")]
    if (
        key == "Comment"
        and value.lstrip().startswith("{")
        and '"steps"' in value
        and '"sampler"' in value
    ):
        return [
            evidence(
                source, "generator_text", "ai_generated", "NovelAI", "NovelAI generation settings"
            )
        ]
    if key in ("Description", "Comment", "Title", "Author"):
        found = tools.find(value)
        if found:
            t = found[0]
            return [evidence(source, "tool_hint", t.origin, t.name, f"{key} names {t.name}")]
    return []


def _is_comfy(graph: Any) -> bool:
    if isinstance(graph, dict):
        if "nodes" in graph and isinstance(graph["nodes"], list):
            return any(isinstance(n, dict) and "type" in n for n in graph["nodes"])
        return any(isinstance(v, dict) and "class_type" in v for v in graph.values())
    return False


# -- PNG -----------------------------------------------------------------------------------------
def _png(f: BinaryIO, ctx: Context) -> list[Evidence]:
    """Walk the chunks ourselves: a 60000x60000 header costs nothing, text after IDAT is found."""
    out: list[Evidence] = []
    f.seek(8)
    budget = MAX_TEXT  # bytes of text chunks read, compressed or not
    chunks = 0
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            # A render or copy cut short: say so, as for a JPEG, whatever was read before it.
            out.append(
                unreadable(
                    "PNG",
                    "truncated chunk header"
                    if hdr
                    else "file ends before its IEND chunk (truncated)",
                )
            )
            break
        length, ctype = struct.unpack(">I4s", hdr)
        if ctype in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
            chunks += 1
            if chunks > MAX_CHUNKS:
                if chunks == MAX_CHUNKS + 1:
                    out.append(
                        unreadable(
                            "PNG", f"more than {MAX_CHUNKS} text chunks: the rest were not read"
                        )
                    )
                f.seek(length + 4, 1)
                continue
            if length > budget:
                out.append(
                    unreadable(
                        "PNG",
                        f"{ctype.decode('latin-1')} chunk of {length} bytes skipped (too large)",
                    )
                )
                f.seek(length + 4, 1)
                continue
            data = f.read(length)
            f.seek(4, 1)
            if len(data) < length:
                out.append(unreadable("PNG", f"truncated {ctype.decode('latin-1')} chunk"))
                break
            budget -= length
            try:
                found, inflated = _png_text(ctype, data, ctx, budget)
                budget -= inflated
                out.extend(found)
            except (ValueError, zlib.error, UnicodeDecodeError) as exc:
                out.append(unreadable(f"PNG {ctype.decode('latin-1')}", exc))
                if isinstance(exc, ValueError) and "inflates past" in str(exc):
                    budget = 0  # what inflating it took is spent: the file gets no more
            if budget <= 0:
                out.append(
                    unreadable(
                        "PNG",
                        f"text chunks hold more than {MAX_TEXT:,} bytes: the rest were not read",
                    )
                )
                chunks = MAX_CHUNKS + 1  # pass the rest by
        elif ctype == b"IEND":
            break
        else:
            f.seek(length + 4, 1)
    return out


def _inflate(data: bytes, limit: int = MAX_TEXT) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, max(limit, 1))
    if d.unconsumed_tail:
        raise ValueError(
            f"compressed text inflates past the {limit:,} bytes of text left to read in this file "
            "(a zip bomb, or too many compressed chunks)"
        )
    return out


def _png_text(
    ctype: bytes, data: bytes, ctx: Context, budget: int = MAX_TEXT
) -> tuple[list[Evidence], int]:
    """Evidence from one PNG text chunk, and how many bytes inflating it took of BUDGET (the text a
    file may make us read in all: 1,000 zTXt chunks of 8 MiB each took 143 s)."""
    if ctype == b"eXIf":
        return _exif(data, "PNG eXIf", ctx), 0
    key_b, _, rest = data.partition(b"\x00")
    key = key_b.decode("latin-1")
    inflated = 0
    if ctype == b"tEXt":
        value = rest.decode("latin-1")
    elif ctype == b"zTXt":
        raw = _inflate(rest[1:], budget)
        inflated = len(raw)
        value = raw.decode("latin-1")
    else:
        flag, _method = rest[0], rest[1]
        _lang, _, rest2 = rest[2:].partition(b"\x00")
        _tkey, _, text = rest2.partition(b"\x00")
        raw = _inflate(text, budget) if flag else text
        inflated = len(raw) if flag else 0
        if key == "XML:com.adobe.xmp":
            return read_xmp(raw, "XMP (PNG iTXt)", ctx.tools), inflated
        value = raw.decode("utf-8", "replace")
    if key == "XML:com.adobe.xmp":
        return read_xmp(value.encode("latin-1", "replace"), "XMP (PNG text)", ctx.tools), inflated
    return generator_text(key, value, f"PNG text '{key}'", ctx), inflated


# -- JPEG ----------------------------------------------------------------------------------------
def _jpeg(f: BinaryIO, ctx: Context) -> list[Evidence]:
    out: list[Evidence] = []
    f.seek(2)
    xmp_parts: list[bytes] = []
    segments = 0
    while True:
        b = f.read(2)
        if len(b) < 2:
            out.append(unreadable("JPEG", "file ends before the image data (truncated)"))
            break
        if b[0] != 0xFF:
            out.append(unreadable("JPEG", f"bad segment marker at byte {f.tell() - 2}"))
            break
        marker = b[1]
        if marker == 0xFF:
            f.seek(-1, 1)
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker in (0xDA, 0xD9):
            break  # start of scan: metadata segments all come before it
        ln = f.read(2)
        if len(ln) < 2:
            out.append(unreadable("JPEG", "truncated segment"))
            break
        (length,) = struct.unpack(">H", ln)
        seg = f.read(max(0, length - 2))
        segments += 1
        if segments > MAX_CHUNKS:
            out.append(
                unreadable(
                    "JPEG", f"more than {MAX_CHUNKS} metadata segments: the rest were not read"
                )
            )
            break
        if marker == 0xE1 and seg.startswith(b"Exif\x00\x00"):
            out.extend(_exif(seg, "EXIF", ctx))
        elif marker == 0xE1 and seg.startswith(_XMP_SIG):
            xmp_parts.append(seg[len(_XMP_SIG) :])
        elif marker == 0xED and seg.startswith(b"Photoshop 3.0\x00"):
            out.extend(_iptc(seg, ctx))
        elif marker == 0xFE:
            out.extend(
                generator_text("Comment", seg.decode("utf-8", "replace"), "JPEG comment", ctx)
            )
    for part in xmp_parts:
        out.extend(read_xmp(part, "XMP", ctx.tools))
    return out


def _iptc(seg: bytes, ctx: Context) -> list[Evidence]:
    """IPTC IIM in Photoshop APP13: OriginatingProgram (2:65) and caption (2:120) name tools."""
    out: list[Evidence] = []
    i = seg.find(b"\x1c\x02")
    while 0 <= i < len(seg) - 5:
        if seg[i] != 0x1C:
            break
        rec, ds, size = seg[i + 1], seg[i + 2], struct.unpack(">H", seg[i + 3 : i + 5])[0]
        value = seg[i + 5 : i + 5 + size].decode("utf-8", "replace")
        if rec == 2 and ds in (65, 120):
            for t in ctx.tools.find(value)[:1]:
                out.append(
                    evidence("IPTC", "tool_hint", t.origin, t.name, f"IPTC 2:{ds} names {t.name}")
                )
        i += 5 + size
    return out


# -- WebP ----------------------------------------------------------------------------------------
def _webp(f: BinaryIO, ctx: Context) -> list[Evidence]:
    out: list[Evidence] = []
    f.seek(12)
    while True:
        hdr = f.read(8)
        if len(hdr) < 8:
            break
        ctype, length = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        if ctype in (b"EXIF", b"XMP ") and length <= MAX_TEXT:
            data = f.read(length)
            if ctype == b"EXIF":
                out.extend(_exif(data, "EXIF (WebP)", ctx))
            else:
                out.extend(read_xmp(data, "XMP (WebP)", ctx.tools))
            f.seek(length & 1, 1)
        else:
            f.seek(length + (length & 1), 1)
    return out


# -- TIFF and EXIF -------------------------------------------------------------------------------
def _tiff(ctx: Context) -> list[Evidence]:
    from PIL import Image

    out: list[Evidence] = []
    Image.MAX_IMAGE_PIXELS = None  # headers only: pixels are never decoded here
    with ctx.stream() as f, Image.open(f) as im:
        tags = getattr(im, "tag_v2", {})
        xmp = tags.get(700)
        if xmp:
            out.extend(
                read_xmp(
                    bytes(xmp) if not isinstance(xmp, str) else xmp.encode(),
                    "XMP (TIFF)",
                    ctx.tools,
                )
            )
        out.extend(_exif_tags({k: tags.get(k) for k in _EXIF_TAGS if k in tags}, "TIFF tags", ctx))
    return out


def _exif(data: bytes, source: str, ctx: Context) -> list[Evidence]:
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(data)
        values: dict[int, Any] = {k: exif.get(k) for k in _EXIF_TAGS if k in exif}
        try:
            sub = exif.get_ifd(_EXIF_IFD)
            if _USER_COMMENT in sub:
                values[_USER_COMMENT] = sub[_USER_COMMENT]
        except (KeyError, ValueError, struct.error, OSError):
            pass
    except (SyntaxError, ValueError, struct.error, OSError, TypeError) as exc:
        return [unreadable(source, exc)]
    return _exif_tags(values, source, ctx)


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        if v[:8] in (b"UNICODE\x00",):
            return v[8:].decode("utf-16-be", "replace").strip("\x00")
        if v[:8] in (b"ASCII\x00\x00\x00",):
            v = v[8:]
        text: str = v.decode("utf-8", "replace")
        return text.strip("\x00")
    return str(v).strip("\x00") if v is not None else ""


def _exif_tags(values: dict[int, Any], source: str, ctx: Context) -> list[Evidence]:
    out: list[Evidence] = []
    uc = _text(values.get(_USER_COMMENT))
    if uc:
        out.extend(generator_text("parameters", uc, f"{source} UserComment", ctx))
    for tag in (305, 270, 315):
        v = _text(values.get(tag))
        for t in ctx.tools.find(v)[:1]:
            out.append(
                evidence(
                    f"{source} {_EXIF_TAGS[tag]}",
                    "tool_hint",
                    t.origin,
                    t.name,
                    f"{_EXIF_TAGS[tag]}: {v[:120]}",
                )
            )
    make, model = _text(values.get(271)), _text(values.get(272))
    if make or model:
        out.append(
            evidence(
                f"{source} Make/Model", "camera", "human", None, f"camera {make} {model}".strip()
            )
        )
    return out
