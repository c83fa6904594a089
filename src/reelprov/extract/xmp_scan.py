"""XMP packets in formats without a dedicated reader (MP4/MOV, WAV, PDF, PSD, EXR...): a byte scan."""

from __future__ import annotations

import os

from reelprov.extract.plugin import Context, ExtractResult, hookimpl
from reelprov.extract.xmp import MAX_XMP, read_xmp

_WINDOW = 4 << 20
_HANDLED = ("image/png", "image/jpeg", "image/webp", "image/tiff")
_START, _END = b"<x:xmpmeta", b"</x:xmpmeta>"


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    if ctx.media_type in _HANDLED or ctx.size == 0 or ctx.media_type.startswith("text/"):
        return None
    out = []
    with ctx.stream() as f:
        regions = [f.read(_WINDOW)]
        if ctx.size > _WINDOW:
            f.seek(max(_WINDOW, ctx.size - _WINDOW))
            regions.append(f.read(_WINDOW))
    for data in regions:
        start = data.find(_START)
        while start >= 0:
            end = data.find(_END, start, start + MAX_XMP)
            if end < 0:
                break
            out.extend(
                read_xmp(
                    data[start : end + len(_END)],
                    f"XMP ({os.path.splitext(ctx.rel)[1] or 'file'})",
                    ctx.tools,
                )
            )
            start = data.find(_START, end)
    return ExtractResult(out)
