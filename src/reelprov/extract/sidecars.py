"""Sidecar files next to a media file: NAME.xmp / NAME.ext.xmp and the reelprov declaration JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reelprov.classify import ORIGINS
from reelprov.extract.plugin import Context, Evidence, ExtractResult, evidence, hookimpl, unreadable
from reelprov.extract.xmp import MAX_XMP, read_xmp
from reelprov.names import printable

SIDECAR_SUFFIXES = (".xmp", ".c2pa", ".reelprov.json")
DECLARATION_SCHEMA = 1
_ORIGINS = frozenset(ORIGINS)


def is_sidecar(name: str) -> bool:
    return name.lower().endswith(SIDECAR_SUFFIXES)


def candidates(path: Path, suffix: str) -> list[Path]:
    """NAME.suffix and NAME.ext.suffix, the two conventions editors and DAMs use."""
    return [path.with_suffix(suffix), path.with_name(path.name + suffix)]


def sidecar_file(path: Path, suffix: str) -> Path | None:
    """The first existing sidecar of PATH with SUFFIX, in either naming convention."""
    for cand in candidates(path, suffix):
        if cand.is_file() and cand != path:
            return cand
    return None


def media_of(path: Path) -> list[Path]:
    """The files PATH is a sidecar of: NAME.ext for NAME.ext.SUFFIX, and every NAME.* beside it
    (not itself a sidecar) for NAME.SUFFIX."""
    lower = path.name.lower()
    suffix = next((s for s in SIDECAR_SUFFIXES if lower.endswith(s)), None)
    if suffix is None:
        return []
    base = path.name[: -len(suffix)]
    out = []
    try:
        for sib in path.parent.iterdir():
            if (
                sib != path
                and not is_sidecar(sib.name)
                and (sib.name == base or sib.stem == base)
                and sib.is_file()
            ):
                out.append(sib)
    except OSError:
        return []
    return sorted(out)


def all_candidates(path: Path) -> list[Path]:
    """Every sidecar name PATH could have (they may or may not exist)."""
    return [c for suffix in SIDECAR_SUFFIXES for c in candidates(path, suffix)]


def declaration_path(path: Path) -> Path | None:
    return sidecar_file(path, ".reelprov.json")


# A declaration is a few lines of JSON; these bounds keep a damaged or hostile one out of the ledger.
MAX_DECLARATION = 1 << 20
# A C2PA manifest store in a sidecar: signed claims, assertions and a few thumbnails; a file past
# this is no manifest (a 1.5 GB sparse one took 3.1 GB of memory to refuse).
MAX_C2PA_SIDECAR = 32 << 20


def read_sidecar(path: Path, limit: int) -> bytes:
    """A sidecar's bytes, at most LIMIT of them (ValueError past that, before reading more). A
    symbolic link or FIFO in a sidecar's place is not followed: a sidecar is a file the vendor
    delivered beside the media, never a pointer elsewhere (/etc, another show)."""
    from reelprov.files import open_regular

    try:
        f = open_regular(path, follow=False)
    except OSError as exc:
        if path.is_symlink():
            raise ValueError(
                "a symbolic link; sidecars are read only as files of their own, not followed"
            ) from None
        raise ValueError(exc.strerror or str(exc)) from None
    with f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"over {limit:,} bytes; not read")
    return data


MAX_NAME = 300  # tool and by: names
MAX_TEXT = 4000  # purpose and note
_USE_ID = re.compile(r"U-[1-9][0-9]{0,8}")  # an intended use (reelprov.uses)


def read_declaration(path: Path) -> dict[str, Any]:
    """Parse and check a declaration sidecar (schema in the README). Raises ValueError."""
    try:
        raw = read_sidecar(path, MAX_DECLARATION)
    except ValueError as exc:
        raise ValueError(
            f"{exc}; a declaration is a few lines of JSON" if "over" in str(exc) else str(exc)
        ) from None
    data = json.loads(raw.decode("utf-8"))
    if not isinstance(data, dict) or data.get("reelprov_declaration") != DECLARATION_SCHEMA:
        raise ValueError('not a reelprov declaration (needs "reelprov_declaration": 1)')
    origin = data.get("origin")
    if origin not in _ORIGINS:
        raise ValueError(f"origin must be one of {sorted(_ORIGINS)}")
    for key in ("inputs", "consent", "tags"):
        if key in data and not (
            isinstance(data[key], list)
            and all(isinstance(x, str) and len(x) <= MAX_NAME for x in data[key])
        ):
            raise ValueError(f"{key} must be a list of strings of at most {MAX_NAME} characters")
    for key, most in (
        ("tool", MAX_NAME),
        ("by", MAX_NAME),
        ("purpose", MAX_TEXT),
        ("note", MAX_TEXT),
    ):
        if data.get(key) is not None and not (
            isinstance(data[key], str) and len(data[key]) <= most
        ):
            raise ValueError(f"{key} must be a string of at most {most} characters")
    use = data.get("use")
    if use is not None and not (isinstance(use, str) and _USE_ID.fullmatch(use)):
        raise ValueError('use must name an intended use by its id, e.g. "U-3"')
    return data


@hookimpl
def reelprov_extract(ctx: Context) -> ExtractResult | None:
    if not ctx.sidecars:
        return None
    out: list[Evidence] = []
    for cand in dict.fromkeys(candidates(ctx.path, ".xmp")):
        if (cand.is_file() or cand.is_symlink()) and cand != ctx.path:
            try:
                packet = read_sidecar(cand, MAX_XMP)
            except ValueError as exc:
                out.append(unreadable(f"sidecar {cand.name}", exc))
                continue
            out.extend(read_xmp(packet, f"sidecar {cand.name}", ctx.tools, kind="sidecar_xmp"))
    decl = declaration_path(ctx.path)
    if decl is not None:
        try:
            data = read_declaration(decl)
        except (ValueError, OSError) as exc:
            out.append(unreadable(f"sidecar {decl.name}", exc))
        else:
            item = evidence(
                f"sidecar {decl.name}" + (f" by {data['by']}" if data.get("by") else ""),
                "declaration",
                data["origin"],
                data.get("tool"),
                str(data.get("purpose") or data.get("note") or "declared by vendor pipeline"),
            )
            from reelprov.policy import TAGS

            known = [t for t in data.get("tags") or [] if t in TAGS]
            if known:
                item["tags"] = known
            if data.get("use"):
                item["use"] = data["use"]
                item["detail"] = printable(f"{item['detail'][:440]} (intended use {data['use']})")
            out.append(item)
            unknown = [t for t in data.get("tags") or [] if t not in TAGS]
            if unknown:  # kept out of the tags (no policy rule would see them), and said so
                out.append(
                    evidence(
                        f"sidecar {decl.name}",
                        "error",
                        None,
                        None,
                        f"unknown tag{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} ignored; "
                        f"known tags: {', '.join(TAGS)}",
                    )
                )
    return ExtractResult(out) if out else None
