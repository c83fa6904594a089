"""The known-tools table (data/tools.json) and a matcher that finds tool names in free text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Tool:
    name: str
    aliases: tuple[str, ...]
    kinds: tuple[str, ...]
    origin: str
    png_text_keys: tuple[str, ...]
    replicates: tuple[str, ...] = ()  # what of a person it makes: "voice", "likeness"


@dataclass(frozen=True)
class ToolTable:
    tools: tuple[Tool, ...]
    path_hints: frozenset[str]
    _pattern: re.Pattern[str]
    _by_alias: dict[str, Tool]

    def find(self, text: str | None) -> list[Tool]:
        """Every known tool named in TEXT, in order of first mention."""
        if not text:
            return []
        out: list[Tool] = []
        for m in self._pattern.finditer(text[:20000]):
            tool = self._by_alias[m.group(0).casefold()]
            if tool not in out:
                out.append(tool)
        return out

    def by_name(self, name: str) -> Tool | None:
        found = self.find(name)
        return found[0] if found else None

    def canonical(self, name: str) -> str:
        """The table's name for NAME when NAME is one of a tool's names or aliases (whole, case
        aside), else NAME as written: "runway gen-4" and "Runway" may be one tool."""
        tool = self._by_alias.get(name.strip().casefold())
        return tool.name if tool is not None else name.strip()

    def png_key_owner(self, key: str) -> Tool | None:
        for t in self.tools:
            if key in t.png_text_keys:
                return t
        return None


def build(raw: dict[str, Any]) -> ToolTable:
    tools = tuple(
        Tool(
            name=t["name"],
            aliases=tuple(a.casefold() for a in [t["name"], *t.get("aliases", [])]),
            kinds=tuple(t.get("kinds", [])),
            origin=t.get("origin", "ai_generated"),
            png_text_keys=tuple(t.get("png_text_keys", [])),
            replicates=tuple(t.get("replicates", [])),
        )
        for t in raw["tools"]
    )
    by_alias = {a: t for t in tools for a in t.aliases}
    alts = sorted(by_alias, key=len, reverse=True)  # longest first: "runway gen-4" before "runway"
    pattern = re.compile(
        r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])", re.IGNORECASE
    )
    return ToolTable(tools, frozenset(raw.get("path_hints", [])), pattern, by_alias)


@lru_cache(maxsize=1)
def table() -> ToolTable:
    """The shipped table, loaded on first use (never at import)."""
    text = (resources.files("reelprov") / "data" / "tools.json").read_text(encoding="utf-8")
    return build(json.loads(text))


GLOB_CHARS = "*?["


def names_tool(entry: str, tool: str) -> bool:
    """Does ENTRY (a use's tool, an approved-tool list entry) name TOOL? Exactly (case aside) or
    as a glob written as such (`Adobe Firefly*`) matching it whole. No substring matching:
    `FaceSwapper (not Adobe Firefly)` is not Adobe Firefly."""
    import fnmatch

    t, e = tool.strip().casefold(), entry.strip().casefold()
    return t == e or (any(c in e for c in GLOB_CHARS) and fnmatch.fnmatchcase(t, e))
