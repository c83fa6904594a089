"""Which intended use a file belongs to (uses/link.py): by tool and scope, or by name."""

from __future__ import annotations

from typing import Any

from reelprov.uses.link import link


def use(n: int, tool: str, scope: list[str], **kw: Any) -> dict[str, Any]:
    return {
        "id": f"U-{n}",
        "number": n,
        "tool": tool,
        "purpose": "previs",
        "risk": "low",
        "scope": scope,
        "status": "recorded",
        "closed_seq": None,
        "closed_by": None,
        "decided_by": None,
        "ref": None,
        **kw,
    }


def asset(path: str, tools: list[str], origin: str = "ai_generated", **kw: Any) -> dict[str, Any]:
    return {
        "path": path,
        "tools": tools,
        "origin": origin,
        "first_seq": 10,
        "declarations": [],
        "evidence": [],
        **kw,
    }


def by_id(*uses: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in uses}


def test_one_tool_by_any_of_its_names_and_the_path_in_scope() -> None:
    uses = by_id(use(1, "runway gen-4", ["vfx/sh020/**"]))
    assert link(asset("vfx/sh020/a.png", ["Runway"]), uses).use_id == "U-1"
    assert link(asset("vfx/sh020/a.png", ["Runway Gen-4"]), uses).use_id == "U-1"
    assert link(asset("vfx/sh030/a.png", ["Runway"]), uses).use is None  # out of scope
    assert link(asset("vfx/sh020/a.png", ["Midjourney"]), uses).use is None  # another tool
    # no substring matching: a name that merely contains the tool's is not the tool
    assert link(asset("vfx/sh020/a.png", ["FaceSwapper (not Runway)"]), uses).use is None


def test_only_files_of_ai_origin_are_linked_by_scope() -> None:
    uses = by_id(use(1, "Runway", ["vfx/**"]))
    for origin in ("human", "unknown"):
        got = link(asset("vfx/a.png", ["Runway"], origin=origin), uses)
        assert (got.use, got.status) == (None, "none")


def test_a_pattern_without_a_slash_names_a_file_in_any_folder() -> None:
    uses = by_id(use(1, "Suno", ["*.wav"]))
    assert link(asset("audio/deep/x.wav", ["Suno"]), uses).use_id == "U-1"
    assert link(asset("audio/deep/x.mp3", ["Suno"]), uses).use is None


def test_a_declaration_naming_a_use_wins_and_may_name_none() -> None:
    uses = by_id(use(1, "Runway", ["vfx/**"]), use(2, "Sora", ["previs/**"]))
    named = asset("vfx/a.png", ["Runway"], evidence=[{"kind": "declaration", "use": "U-2"}])
    assert link(named, uses).use_id == "U-2"
    ghost = link(asset("vfx/a.png", ["Runway"], declarations=[{"use": "U-7"}]), uses)
    assert (ghost.use, ghost.status, ghost.named) == (None, "none", "U-7")
    assert ghost.describe() == "its declaration names use U-7, which is not registered"


def test_a_covering_use_is_preferred_then_the_latest() -> None:
    rejected = use(1, "Runway", ["vfx/**"], status="rejected", decided_by="Studio")
    approved = use(2, "Runway", ["vfx/**"], status="approved", decided_by="J")
    later = use(3, "Runway", ["vfx/**"], status="rejected", decided_by="Studio")
    got = link(asset("vfx/a.png", ["Runway"]), by_id(rejected, approved, later))
    assert (got.use_id, got.status) == ("U-2", "approved")
    got = link(asset("vfx/a.png", ["Runway"]), by_id(rejected, later))
    assert (got.use_id, got.status) == ("U-3", "rejected")
    assert got.describe() == "its use U-3 was rejected by Studio"


def test_a_file_arriving_after_the_use_closed_is_not_covered() -> None:
    closed = use(1, "Runway", ["vfx/**"], closed_seq=20, closed_by="Sup")
    before = link(asset("vfx/a.png", ["Runway"], first_seq=10), by_id(closed))
    after = link(asset("vfx/b.png", ["Runway"], first_seq=30), by_id(closed))
    assert (before.status, after.status) == ("recorded", "closed")
    assert after.describe() == "it arrived after its use U-1 was closed by Sup"
