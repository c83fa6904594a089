"""How the HTML and Markdown report show rows (report/render.py)."""

from __future__ import annotations

from typing import Any

from reelprov.report.render import grouped


def _frame(n: int, usage: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "path": f"final/vfx/sh010/comp.{n}.exr",
        "media_type": "image/x-exr",
        "origin": "unknown",
        "tools": [],
        "stage": "final",
        "tags": [],
        "c2pa": {"state": "none"},
        "deleted": False,
        "flags": [],
        "evidence": [],
        "cut_usage": [
            {"cut": c, "track": t, "record_in": i, "record_out": o} for c, t, i, o in usage
        ],
    }


def test_a_runs_cut_usage_is_merged_where_its_frames_ranges_touch_in_any_order() -> None:
    """A shot's frames shown one timeline frame each: one range per cut and track, whatever order
    the frames' rows give them in; a range apart stays apart."""
    rows = [
        _frame(
            1001,
            [
                ("reel1", "V1", "01:00:00:00", "01:00:00:01"),
                ("reel2", "V2", "02:00:00:02", "02:00:00:03"),
            ],
        ),
        _frame(
            1002,
            [
                ("reel1", "V1", "01:00:00:01", "01:00:00:02"),
                ("reel2", "V2", "02:00:00:01", "02:00:00:02"),
            ],
        ),
        _frame(
            1003,
            [
                ("reel1", "V1", "01:00:00:02", "01:00:00:03"),
                ("reel2", "V2", "02:00:00:00", "02:00:00:01"),
            ],
        ),
        _frame(1004, [("reel1", "V1", "01:00:10:00", "01:00:10:01")]),
    ]
    (shot,) = list(grouped(iter(rows)))  # type: ignore[arg-type]
    assert shot["path"] == "final/vfx/sh010/comp.####.exr"
    assert shot["frames"] == "4 files numbered 1001-1004"
    assert [(u["cut"], u["track"], u["record_in"], u["record_out"]) for u in shot["cut_usage"]] == [
        ("reel1", "V1", "01:00:00:00", "01:00:00:03"),
        ("reel1", "V1", "01:00:10:00", "01:00:10:01"),
        ("reel2", "V2", "02:00:00:00", "02:00:00:03"),
    ]
    assert rows[0]["cut_usage"][0]["record_out"] == "01:00:00:01"  # the rows are left as they were
