"""Stages (temp / final / unassigned) and rule tags, from path rules and explicit tags."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reelprov.config import PathRule, ProjectConfig
from reelprov.errors import UnknownTag
from reelprov.globs import matches
from reelprov.policy import TAGS


def check_tags(tags: list[str]) -> None:
    """Refuse a tag reelprov does not know (a typo would otherwise tag nothing a rule reads)."""
    for t in tags:
        if t not in TAGS:
            raise UnknownTag(f"unknown tag {t!r}; known tags: {', '.join(TAGS)}")


def path_stage(rel: str, cfg: ProjectConfig) -> str:
    for rule in cfg.stage_rules:
        if matches(rel, rule.glob, anywhere=True):
            return rule.stage or "unassigned"
    return _folder_stage(rel.rpartition("/")[0], tuple(cfg.final_folders), tuple(cfg.temp_folders))


@lru_cache(maxsize=4096)
def _folder_stage(
    folder: str, final_folders: tuple[str, ...], temp_folders: tuple[str, ...]
) -> str:
    """The stage a folder's name gives (files of one folder share it: cached per folder)."""
    final = {f.lower() for f in final_folders}
    temp = {f.lower() for f in temp_folders}
    # The deepest named folder decides: final/refs/x.jpg is reference material, temp/.../final is final.
    for name in reversed(folder.lower().split("/") if folder else []):
        if name in final:
            return "final"
        if name in temp:
            return "temp"
    return "unassigned"


def stage_of(asset: Mapping[str, Any], cfg: ProjectConfig) -> str:
    return asset.get("stage_override") or path_stage(asset["path"], cfg)


def _tag_rules_for(rel: str, cfg: ProjectConfig) -> list[PathRule]:
    return [rule for rule in cfg.tag_rules if matches(rel, rule.glob, anywhere=True)]


def rule_tags(rel: str, cfg: ProjectConfig) -> list[str]:
    out: list[str] = []
    for rule in _tag_rules_for(rel, cfg):
        out.extend(t for t in rule.tags if t not in out)
    return out


def tag_sources(asset: Mapping[str, Any], tag: str, cfg: ProjectConfig) -> list[str]:
    """Where TAG comes from on ASSET other than an explicit tag: tag rules (by glob) and sidecars."""
    out = [
        f"the tag rule '{r.glob}' in reelprov.toml"
        for r in _tag_rules_for(asset["path"], cfg)
        if tag in r.tags
    ]
    out += [
        f"the {ev.get('source', 'sidecar')}"
        for ev in asset.get("evidence") or []
        if tag in (ev.get("tags") or [])
    ]
    return out


def carry_rule_tags(b: Any, cfg: ProjectConfig) -> None:
    """Tags follow the file: a file moved out of the folder whose tag rule gave it a tag (a hero prop
    from `props/hero/` into `final/`) keeps that tag, recorded as its own with the rule it came from,
    so that moving it never drops the escalation the tag raises. Stage does not follow: it is where
    the file is. Removing such a tag is an untag, on record (with --by and --ref where it clears an
    escalation). Runs on batch B before the policy is evaluated."""
    import json

    for e in [e for e in b.entries if e["kind"] == "moved"]:
        move = json.loads(e["payload"])
        asset = b.proj.asset(e["asset"])
        if asset is None:
            continue
        kept = set(asset["tags"]) | set(rule_tags(move["to"], cfg))
        for rule in _tag_rules_for(move["from"], cfg):
            lost = [t for t in rule.tags if t not in kept]
            if lost:
                b.append(
                    "tagged",
                    e["asset"],
                    {"add": lost, "kept_on_move": {"from": move["from"], "rule": rule.glob}},
                )
                kept.update(lost)


def tags_of(asset: Mapping[str, Any], cfg: ProjectConfig) -> list[str]:
    """Explicit tags, path-rule tags and tags from a declaration sidecar, together."""
    tags = set(asset.get("tags") or [])
    tags.update(rule_tags(asset["path"], cfg))
    for ev in asset.get("evidence") or []:
        tags.update(ev.get("tags") or [])
    return sorted(tags)
