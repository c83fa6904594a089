"""Declaration sidecars: a vendor's own statement of AI use, kept even when part of it is wrong."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write_png


def test_unknown_tags_in_a_declaration_are_named_and_the_rest_is_kept(cli, show_root: Path) -> None:
    write_png(show_root / "vfx/crowd.png")
    (show_root / "vfx/crowd.png.reelprov.json").write_text(
        json.dumps(
            {
                "reelprov_declaration": 1,
                "origin": "ai_composite",
                "tool": "Runway Gen-4",
                "by": "Vendor X",
                "tags": ["talent_likeness", "hero", "Union_Role"],
            }
        )
    )
    assert cli("scan", cwd=show_root).code == 0
    a = cli("show", "vfx/crowd.png", "--json", cwd=show_root).json()
    assert a["origin"] == "ai_composite" and a["tools"] == ["Runway Gen-4"]
    assert a["tags"] == ["talent_likeness"]
    errors = [
        e["detail"]
        for e in a["evidence"]
        if e["source"] == "sidecar crowd.png.reelprov.json" and e["origin"] is None
    ]
    assert len(errors) == 1 and errors[0].startswith(
        "unknown tags 'hero', 'Union_Role' ignored; known tags: story_relevant"
    )
    # the known tag reaches the policy: likeness work is escalated
    assert any(f["area"] == "talent_performance" for f in a["flags"])
