"""Stages (temp / final / unassigned) and rule tags, from path rules and explicit tags."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from reelprov.config import ProjectConfig

STAGES = ("temp", "final", "unassigned")
TAGS = (
    "story_relevant",
    "key_creative",
    "talent_likeness",
    "synthetic_voice",
    "personal_data",
    "third_party_ip",
    "unowned_training_data",
    "union_role",
)


@lru_cache(maxsize=512)
def glob_regex(glob: str) -> re.Pattern[str]:
    """A path glob where `**` spans folders and `*` stays inside one."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_stage(rel: str, cfg: ProjectConfig) -> str:
    for rule in cfg.stage_rules:
        if glob_regex(rule.glob).match(rel):
            return rule.stage or "unassigned"
    folders = [f.lower() for f in rel.split("/")[:-1]]
    final = {f.lower() for f in cfg.final_folders}
    temp = {f.lower() for f in cfg.temp_folders}
    # The deepest named folder decides: final/refs/x.jpg is reference material, temp/.../final is final.
    for folder in reversed(folders):
        if folder in final:
            return "final"
        if folder in temp:
            return "temp"
    return "unassigned"


def stage_of(asset: dict[str, Any], cfg: ProjectConfig) -> str:
    return asset.get("stage_override") or path_stage(asset["path"], cfg)


def rule_tags(rel: str, cfg: ProjectConfig) -> list[str]:
    out: list[str] = []
    for rule in cfg.tag_rules:
        if glob_regex(rule.glob).match(rel):
            out.extend(t for t in rule.tags if t not in out)
    return out


def tags_of(asset: dict[str, Any], cfg: ProjectConfig) -> list[str]:
    """Explicit tags, path-rule tags and tags from a declaration sidecar, together."""
    tags = set(asset.get("tags") or [])
    tags.update(rule_tags(asset["path"], cfg))
    for ev in asset.get("evidence") or []:
        tags.update(ev.get("tags") or [])
    return sorted(tags)
