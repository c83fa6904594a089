"""Reading a file's own evidence of origin: hook specs, the plug-in manager and `examine`."""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any, cast

import pluggy

from reelprov.extract.examined import Examined, Outcome, ReadFailure
from reelprov.extract.plugin import (
    Context,
    Evidence,
    ExtractResult,
    Specs,
    evidence,
    hookimpl,
    hookspec,
    unreadable,
)
from reelprov.extract.tools import table as tool_table
from reelprov.hashing import digest_file
from reelprov.mediatypes import media_type, media_types_known

ENTRY_POINT_GROUP = "reelprov.extractors"

__all__ = [
    "Context",
    "Evidence",
    "Examined",
    "Outcome",
    "ReadFailure",
    "ExtractResult",
    "Specs",
    "evidence",
    "examine",
    "hookimpl",
    "hookspec",
    "unreadable",
]


_PM: pluggy.PluginManager | None = None


def plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """Built-ins register as ordinary plug-ins; vendors add theirs via the entry-point group."""
    global _PM
    if _PM is None:
        from reelprov.extract import avtags, c2pa_reader, images, paths, sidecars, xmp_scan

        pm = pluggy.PluginManager("reelprov")
        pm.add_hookspecs(Specs)
        for mod in (images, avtags, xmp_scan, c2pa_reader, sidecars, paths):
            pm.register(mod, name=f"reelprov.{mod.__name__.rsplit('.', 1)[-1]}")
        if load_entry_points and not os.environ.get("REELPROV_NO_PLUGINS"):
            try:
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
            except Exception as exc:  # noqa: BLE001 - a vendor's code: whatever it raises is said
                from reelprov.errors import ConfigError

                raise ConfigError(
                    f"an extractor plug-in (entry points {ENTRY_POINT_GROUP}) could not be loaded: "
                    f"{type(exc).__name__}: {exc}; reinstall the package that provides it, or "
                    "uninstall it"
                ) from exc
        _PM = pm
    return _PM


def prepare() -> None:
    """Load what reading any file needs: the extractors and vendors' plug-ins (finding those reads
    every installed package's metadata: ~20 ms), the tool table and the system's media types. Each
    examining worker calls it as it starts (recording.pool), before its first file."""
    plugin_manager()
    tool_table()
    media_types_known()


# Libraries warn about what they meet in a damaged file (Pillow: "Corrupt EXIF data..."). Those
# warnings belong to that file: each becomes an evidence row of the extractor that met it, instead
# of a raw line on stderr (which would also break the watcher's JSON log). One hook for the
# process, a sink per thread: the watcher reads files on several threads at once.
_SINK = threading.local()
_fallback: list[object] = []
_LIBRARIES = r"(PIL|mutagen)\b"  # whose warnings are about the file being read


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: str | None = None,
) -> None:
    sink = getattr(_SINK, "items", None)
    if sink is None:
        _fallback[0](message, category, filename, lineno, file, line)  # type: ignore[operator]
    else:
        sink.append(f"{category.__name__}: {message}")


def _capture_warnings() -> None:
    """Install the hook and filter once per process (again if a test framework swapped them)."""
    if warnings.showwarning is not _show:
        _fallback[:] = [warnings.showwarning]
        warnings.showwarning = _show
    if not any(
        f[0] == "always" and f[2] is UserWarning and f[3] is not None and f[3].pattern == _LIBRARIES
        for f in warnings.filters[:1]
    ):
        # every occurrence, not once per code location: two damaged files each get their own row
        warnings.filterwarnings("always", category=UserWarning, module=_LIBRARIES)


def run_extractors(ctx: Context) -> ExtractResult:
    """Every extractor's findings, merged; a failing extractor becomes an evidence row, not a crash,
    and a warning a library raises while reading becomes one too."""
    out = ExtractResult()
    pm = plugin_manager()
    _capture_warnings()
    for impl in pm.hook.reelprov_extract.get_hookimpls():
        _SINK.items = []
        try:
            res = cast("ExtractResult | None", impl.function(ctx=ctx))
        except Exception as exc:  # noqa: BLE001 - a plug-in must never stop a scan
            out.evidence.append(unreadable(impl.plugin_name, exc))
            continue
        finally:
            out.evidence.extend(
                evidence(impl.plugin_name, "error", None, None, f"while reading: {w}")
                for w in _SINK.items[:5]
            )
            _SINK.items = None
        if res is None:
            continue
        out.evidence.extend(res.evidence)
        if res.c2pa is not None:
            out.c2pa = res.c2pa
    return out


def examine(
    path: str,
    rel: str,
    *,
    trust_anchors: str | None = None,
    sidecars: bool = True,
    unread: str | None = None,
    mtime_at_least: int = 0,
) -> Examined:
    """Hash, sniff and extract one file (the record crosses process boundaries).
    UNREAD: hash and sniff only, no extractor runs, and this says why (reading it crashed the
    process that read it). MTIME_AT_LEAST: the time of a sidecar newer than the file, recorded as
    the file's (a rescan then sees the sidecar's edit)."""
    dig = digest_file(path)
    mt, mismatch = media_type(os.path.basename(path), dig.head)
    if unread is not None:
        # Credentials that could not be read cannot be trusted: their state is invalid, not absent.
        res = ExtractResult(
            [evidence("reelprov", "error", None, None, unread)],
            {"present": True, "state": "invalid"} if dig.c2pa_marker else None,
        )
    else:
        ctx = Context(
            path=Path(path),
            rel=rel,
            media_type=mt,
            head=dig.head,
            size=dig.size,
            c2pa_marker=dig.c2pa_marker,
            tools=tool_table(),
            trust_anchors=trust_anchors,
            sidecars=sidecars,
            data=dig.data,
        )
        res = run_extractors(ctx)
    ev = list(res.evidence)
    if dig.size == 0:
        ev.insert(0, evidence("file", "error", None, None, "empty file (0 bytes): nothing to read"))
    if dig.growing:
        ev.insert(
            0,
            evidence(
                "file",
                "error",
                None,
                None,
                "the file changed while it was read (still being written?): "
                "this hash may be of part of it; the next scan or the watcher reads it again",
            ),
        )
    if mismatch:
        ev.insert(0, evidence("file", "error", None, None, mismatch))
    found = _bounded(ev)
    c2pa = res.c2pa or {"present": False, "state": "none"}  # no extractor found a manifest
    return Examined(
        path=rel,
        size=dig.size,
        mtime_ns=max(dig.mtime_ns, mtime_at_least),
        ctime_ns=dig.ctime_ns,
        inode=dig.inode,
        sha256=dig.sha256,
        media_type=mt,
        evidence=found,
        c2pa=c2pa,
    )


# A file gives at most this many evidence items: a crafted PNG with 40,000 text chunks would
# otherwise put 20,000 rows (6 MB) into the ledger for one 2 MB file.
MAX_EVIDENCE = 100


def _bounded(items: list[Evidence]) -> list[Evidence]:
    """Without duplicates, and at most MAX_EVIDENCE items (plus one saying how many were left out).

    What decides the verdict and the tools is kept whatever the count: the first item of every
    (kind, origin, tool); the rest fill the remaining places in the order found."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for e in items:
        key = (e["source"], e["kind"], e["origin"], e["tool"], e["detail"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    if len(out) <= MAX_EVIDENCE:
        return out
    keep: set[int] = set()
    signatures: set[tuple[Any, ...]] = set()
    for i, e in enumerate(out):
        sig = (e["kind"], e["origin"], e["tool"])
        if sig not in signatures:
            signatures.add(sig)
            keep.add(i)
    for i in range(len(out)):
        if len(keep) >= MAX_EVIDENCE:
            break
        keep.add(i)
    kept = [e for i, e in enumerate(out) if i in keep]
    kept.append(
        evidence(
            "file",
            "error",
            None,
            None,
            f"{len(out) - len(kept)} more evidence items not kept (at most {MAX_EVIDENCE} per file): "
            f"an unusual file, possibly made to bloat the ledger",
        )
    )
    return kept
