"""The one pattern language for every path a user writes: path arguments (`ls`, `flags`, `tag`,
`approve --path`...), `[[stage_rules]]` and `[[tag_rules]]` globs, and `[scan] ignore`.

- `*` matches within one name (never `/`), `**` across folders (`a/**/b` also matches `a/b`),
  `?` one character of a name, `[abc]`, `[a-z]`, `[!abc]` one character of a set.
- A pattern that names a folder names everything under it (`vfx/sh010`, `final/*`).
- Names compare in one Unicode form (an accented name typed or stored either way matches).
- Where it starts: a path argument from where you stand (`reelprov ls '*.exr'` in `vfx/` is
  `vfx/*.exr`); a pattern in reelprov.toml from the project root, except that one without a `/`
  matches a name in any folder (`*.tmp`, `Thumbs.db`), as in a .gitignore.

Path arguments add frame patterns (`sh010.####.exr`, `%04d`, `@@@@`, `sh010.[1001-1096].exr`),
which name frames of one sequence (reelprov.review.assets.path_matches).

docs/patterns.md is the user's page for this; fnmatch is not used because its `*` crosses folders
and it has no `**`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from reelprov.names import same_form


def _bracket(pattern: str, i: int) -> tuple[str, int] | None:
    """The set `[...]` starting at I as a regex class and the index after it; None if unclosed."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "!":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    j = pattern.find("]", j)
    if j < 0:
        return None
    body = pattern[i + 1 : j].replace("\\", "\\\\")
    if body.startswith("!"):
        body = "^" + body[1:]
    elif body.startswith("^"):
        body = "\\" + body
    return f"(?!/)[{body}]", j + 1


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (found := _bracket(pattern, i)) is not None:
            out.append(found[0])
            i = found[1]
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def regex(pattern: str, *, anywhere: bool = False) -> str:
    """PATTERN as a regular expression over root-relative POSIX paths, matching the path and
    everything under it. ANYWHERE (patterns from reelprov.toml): one without `/` matches a name
    in any folder."""
    pattern = same_form(pattern).strip("/") or "**"
    lead = "(?:[^/]*/)*" if anywhere and "/" not in pattern else ""
    return f"(?s:{lead}{_translate(pattern)}(?:/.*)?)"


@lru_cache(maxsize=1024)
def compiled(pattern: str, *, anywhere: bool = False) -> re.Pattern[str]:
    return re.compile(regex(pattern, anywhere=anywhere))


def matches(path: str, pattern: str, *, anywhere: bool = False) -> bool:
    """Does PATTERN name PATH (a root-relative POSIX path)?"""
    return compiled(pattern, anywhere=anywhere).fullmatch(same_form(path)) is not None


@lru_cache(maxsize=32)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(regex(p, anywhere=True) for p in patterns) or r"(?!)")


def any_matches(path: str, patterns: Iterable[str]) -> bool:
    """Does any of PATTERNS (from reelprov.toml, e.g. `[scan] ignore`) name PATH? One regex for
    the list: the walk asks this of every file and folder."""
    return _any_of(tuple(patterns)).fullmatch(same_form(path)) is not None


@lru_cache(maxsize=32)
def walk_matchers(
    patterns: tuple[str, ...],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """any_matches(rel, PATTERNS) split for a walk that has asked it of every folder above rel
    already (and went no further where one matched): a pattern without `/` then has only the last
    name left to name, which saves a search of every folder in the path for every file. Returns
    (a regex for the name, one for the whole path), None where no pattern needs it."""
    names = [p for p in patterns if "/" not in same_form(p).strip("/")]
    paths = tuple(p for p in patterns if p not in names)
    by_name = "|".join(f"(?s:{_translate(same_form(p).strip('/'))})" for p in names)
    return (re.compile(by_name) if by_name else None), (_any_of(paths) if paths else None)


def walk_ignores(
    name: str, rel: str, matchers: tuple[re.Pattern[str] | None, re.Pattern[str] | None]
) -> bool:
    """any_matches(REL, patterns) asked in a walk, with walk_matchers(patterns) got once."""
    by_name, by_path = matchers
    return (by_name is not None and by_name.fullmatch(same_form(name)) is not None) or (
        by_path is not None and by_path.fullmatch(same_form(rel)) is not None
    )
