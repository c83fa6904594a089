"""File names as reelprov records and prints them.

The ledger holds names as UTF-8 text. Linux file names are bytes: one that is not valid UTF-8
arrives from the file system with surrogates (PEP 383) and cannot be recorded; it is reported
with its bad bytes shown as \\xNN.
"""

from __future__ import annotations

import os

NOT_UTF8 = "file name is not valid UTF-8; rename it (e.g. with convmv) so it can be recorded"


def counted(count: int, noun: str) -> str:
    """'1 asset', '3 assets', '1 entry', '2 entries': counts as users read them."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def bad_name(rel: str) -> str | None:
    """Why REL cannot be recorded, or None. Names must be valid UTF-8 to live in the ledger."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return NOT_UTF8
    return None


def shown(rel: str) -> str:
    """REL printable whatever its bytes (invalid UTF-8 as \\xNN escapes): for JSON."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def one_line(rel: str) -> str:
    """REL for one line of terminal or log output: backslashes, newlines and tabs escaped, then
    invalid UTF-8 as \\xNN (so a real backslash in a name cannot pass for an escape)."""
    return shown(rel.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
