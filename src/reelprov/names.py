"""File names as reelprov records and prints them.

The ledger holds names as UTF-8 text. Linux file names are bytes: one that is not valid UTF-8
arrives from the file system with surrogates (PEP 383) and cannot be recorded; it is reported
with its bad bytes shown as \\xNN.
"""

from __future__ import annotations

import os
import re
from functools import cache

NOT_UTF8 = "file name is not valid UTF-8; rename it (e.g. with convmv) so it can be recorded"


def counted(count: int, noun: str) -> str:
    """'1 asset', '3 assets', '1 entry', '2 entries': counts as users read them."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def same_form(text: str) -> str:
    """TEXT in Unicode NFC, for comparing names, never for storing them: a Mac share hands out
    "é" as e + combining accent (NFD) while a keyboard, an EDL or a shell types one character."""
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


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


# Characters a terminal acts on instead of showing: C0 controls (ESC starts sequences that move
# the cursor, clear the screen, set the title, write the clipboard), DEL, C1 controls, and the
# bidirectional overrides that make text read in another order than it is stored ("Trojan
# source"). A file's metadata, name or timeline must not be able to rewrite what a reviewer sees.
_CONTROL_CHARS = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@cache
def _control() -> re.Pattern[str]:
    return re.compile(_CONTROL_CHARS)  # compiled on first use: every command imports this module


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def one_line(text: str) -> str:
    """TEXT (a file name, a tool's metadata, a timeline's clip name) for one line of terminal or
    log output: backslashes first, then newlines, tabs and every other control character as
    escapes, then invalid UTF-8 as \\xNN (so a real backslash cannot pass for an escape)."""
    return shown(_control().sub(_escape, text.replace("\\", "\\\\")))


def abbreviated(text: str, most: int = 240) -> str:
    """TEXT cut to its first and last characters when longer than MOST (a path 10,000 folders
    deep in a message), saying how long it was."""
    if len(text) <= most:
        return text
    keep = most // 2 - 20
    return f"{text[:keep]}...({len(text):,} characters)...{text[-keep:]}"


def printable(text: object) -> str:
    """TEXT read from a file for a one-line summary kept in the ledger: line breaks and tabs as
    spaces, other control characters escaped; ordinary backslashes kept as they are. Not text
    (a clip with no name) is shown as its str()."""
    if not isinstance(text, str):
        text = str(text)
    return _control().sub(lambda m: " " if m.group() in _NAMED else _escape(m), text)
