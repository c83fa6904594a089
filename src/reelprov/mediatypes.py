"""What a file really is: magic-byte sniffing first, the extension second."""

from __future__ import annotations

import mimetypes

# (offset, magic, media type); the first that matches wins.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"OggS", "audio/ogg"),
    (0, b"%PDF", "application/pdf"),
    (0, b"\x76\x2f\x31\x01", "image/x-exr"),
    (0, b"\x1a\x45\xdf\xa3", "video/x-matroska"),
    (0, b"8BPS", "image/vnd.adobe.photoshop"),
)
_RIFF = {b"WAVE": "audio/wav", b"WEBP": "image/webp", b"AVI ": "video/x-msvideo"}
_FORM = {b"AIFF": "audio/aiff", b"AIFC": "audio/aiff"}
_FTYP = {
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"avif": "image/avif",
    b"mif1": "image/heif",
}
_EXTRA_TYPES = {
    ".exr": "image/x-exr",
    ".dpx": "image/x-dpx",
    ".mxf": "application/mxf",
    ".r3d": "video/x-red-r3d",
    ".braw": "video/x-blackmagic-raw",
    ".ari": "image/x-arri-raw",
    ".flac": "audio/flac",
    ".webp": "image/webp",
    ".wav": "audio/wav",
    ".m4a": "audio/mp4",
    ".edl": "text/x-edl",
    ".otio": "application/x-otio+json",
    ".fcpxml": "application/x-fcpxml",
    ".aaf": "application/x-aaf",
    ".heic": "image/heic",
    ".avif": "image/avif",
}


def sniff(head: bytes) -> str | None:
    for offset, magic, mt in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return mt
    if head[:4] == b"RIFF" and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head[:4] == b"FORM" and head[8:12] in _FORM:
        return _FORM[head[8:12]]
    if head[4:8] == b"ftyp":
        return _FTYP.get(head[8:12], "video/mp4")
    if head[:2] == b"\xff\xfb" or head[:2] == b"\xff\xf3" or head[:2] == b"\xff\xf2":
        return "audio/mpeg"
    return None


def media_types_known() -> None:
    """Read the system's table of media types now (mimetypes reads it on its first question)."""
    if not mimetypes.inited:
        mimetypes.init()


def by_extension(name: str) -> str | None:
    lower = name.lower()
    for ext, mt in _EXTRA_TYPES.items():
        if lower.endswith(ext):
            return mt
    return mimetypes.guess_type(lower, strict=False)[0]


_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/x-flac": "audio/flac",
    "audio/x-aiff": "audio/aiff",
    "audio/mp3": "audio/mpeg",
    "audio/x-m4a": "audio/mp4",
    "image/jpg": "image/jpeg",
}


def _norm(mt: str | None) -> str | None:
    return _ALIASES.get(mt, mt) if mt else None


def media_type(name: str, head: bytes) -> tuple[str, str | None]:
    """(media type, mismatch note). The content's magic wins over a misleading extension."""
    sniffed, guessed = _norm(sniff(head)), _norm(by_extension(name))
    if sniffed and guessed and sniffed != guessed:
        # MP4 family brands overlap (an .m4a is an MP4, a .mov may say mp42): not a lie.
        same_family = {sniffed, guessed} <= {"video/mp4", "audio/mp4", "video/quicktime"}
        if not same_family:
            return sniffed, f"extension says {guessed} but the content is {sniffed}"
        return guessed, None
    return sniffed or guessed or "application/octet-stream", None


# What is not media: text, documents, timelines, project and checksum files. Listed apart in the
# report; no origin verdict applies to them (an EDL is never "unknown origin on screen").
_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/json",
        "application/xml",
        "application/rtf",
        "application/msword",
        "application/x-otio+json",
        "application/x-fcpxml",
        "application/x-aaf",
        "application/zip",
    }
)
_MEDIA_TYPES = {"application/mxf": "video"}  # media that MIME files under application/


def media_kind(media_type: str) -> str:
    """image, audio, video, document or other, from a media type."""
    top = media_type.split("/", 1)[0]
    if top in ("image", "audio", "video"):
        return top
    if media_type in _MEDIA_TYPES:
        return _MEDIA_TYPES[media_type]
    if top == "text" or media_type in _DOCUMENT_TYPES or media_type.startswith("application/vnd."):
        return "document"
    return "other"
