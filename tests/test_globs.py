"""One pattern language (reelprov.globs) for path arguments, stage and tag rules and `[scan] ignore`:
the same pattern names the same files wherever a user writes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelprov.globs import any_matches, matches
from tests.conftest import write_png

CASES = [
    # pattern, path, anchored (path argument), anywhere (reelprov.toml)
    ("final/*.png", "final/a.png", True, True),
    ("final/*.png", "final/sub/a.png", False, False),  # `*` stays inside one folder
    ("final/**/*.png", "final/a.png", True, True),  # `**/` also matches no folder
    ("final/**/*.png", "final/x/y/a.png", True, True),
    ("final/**", "final/x/y/a.png", True, True),
    ("final", "final/x/a.png", True, True),  # a folder names everything under it
    ("final/*", "final/x/a.png", True, True),  # final/x is named, so what is in it
    ("fin", "final/a.png", False, False),  # names, not string prefixes
    ("*.tmp", "a/b/c.tmp", False, True),  # no `/`: any folder, in reelprov.toml only
    ("*.tmp", "c.tmp", True, True),
    ("Thumbs.db", "a/Thumbs.db", False, True),
    ("**/props/hero/**", "set/props/hero/cup.png", True, True),
    ("**/props/hero/**", "props/hero/cup.png", True, True),
    ("sh01?.exr", "sh010.exr", True, True),
    ("sh01?.exr", "sh01/.exr", False, False),  # `?` never matches `/`
    ("sh0[12]0.exr", "sh020.exr", True, True),
    ("sh0[!12]0.exr", "sh020.exr", False, False),
    ("a[.png", "a[.png", True, True),  # an unclosed `[` is itself
    ("café/*.png", "cafe\u0301/a.png", True, True),  # one Unicode form
]


@pytest.mark.parametrize(("pattern", "path", "anchored", "anywhere"), CASES)
def test_the_dialect(pattern: str, path: str, anchored: bool, anywhere: bool) -> None:
    assert matches(path, pattern) is anchored
    assert matches(path, pattern, anywhere=True) is anywhere
    assert any_matches(path, ["nothing-here", pattern]) is anywhere


@given(st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_any_pattern_compiles_and_a_plain_path_names_itself(pattern: str, name: str) -> None:
    matches(name, pattern)  # hostile patterns from a settings file never raise
    plain = "".join(c for c in name if c not in "*?[/") or "x"
    assert matches(plain, plain) and matches(f"{plain}/inside", plain)


def test_one_pattern_means_the_same_in_ls_rules_and_ignore(cli, show_root: Path) -> None:
    """`vfx/*/plates` as a path argument, a stage rule, a tag rule and an ignore entry: the same
    files each time (the plates of every shot, and nothing outside them)."""
    for rel in ("vfx/sh010/plates/a.png", "vfx/sh020/plates/b.png", "vfx/sh010/comp/c.png"):
        write_png(show_root / rel, color=(len(rel), 1, 2))
    cfg = show_root / "reelprov.toml"
    text = cfg.read_text()
    cfg.write_text(
        text.replace(
            "[[tag_rules]]",
            '[[stage_rules]]\nglob = "vfx/*/plates"\nstage = "temp"\n\n'
            '[[tag_rules]]\nglob = "vfx/*/plates"\ntags = ["story_relevant"]\n\n[[tag_rules]]',
            1,
        )
    )
    assert cli("scan", cwd=show_root).code == 0
    listed = cli("ls", "vfx/*/plates", "--json", cwd=show_root).json()
    plates = ["vfx/sh010/plates/a.png", "vfx/sh020/plates/b.png"]
    assert [a["path"] for a in listed] == plates
    everything = {a["path"]: a for a in cli("ls", "--json", cwd=show_root).json()}
    assert [p for p, a in sorted(everything.items()) if a["stage"] == "temp"] == plates
    assert [p for p, a in sorted(everything.items()) if "story_relevant" in a["tags"]] == plates
    # from inside vfx/, the same files are `*/plates`
    inside = cli("ls", "*/plates", "--json", cwd=show_root / "vfx").json()
    assert [a["path"] for a in inside] == plates

    # ignored: new files there are not recorded (those recorded before stay as they are)
    cfg.write_text(cfg.read_text().replace("ignore = [", 'ignore = ["vfx/*/plates", ', 1))
    write_png(show_root / "vfx/sh030/plates/d.png", color=(9, 9, 9))
    write_png(show_root / "vfx/sh030/comp/e.png", color=(8, 8, 8))
    rep = cli("scan", "--json", cwd=show_root).json()
    assert (rep["seen"], rep["deleted"]) == (1, 0)
    assert [a["path"] for a in cli("ls", "vfx/sh030", "--json", cwd=show_root).json()] == [
        "vfx/sh030/comp/e.png"
    ]


@given(
    st.lists(
        st.sampled_from(["*.tmp", "tmp", "a/*/x*", "**/cache", "[ab]*.exr", "b/c", "ä*"]),
        max_size=4,
    ),
    st.lists(
        st.sampled_from(["a", "b", "c", "tmp", "x.tmp", "cache", "ä.exr", "a.exr", "xy"]),
        min_size=1,
        max_size=4,
    ),
)
def test_a_walk_asking_only_the_last_name_agrees_with_the_whole_path(
    patterns: list[str], parts: list[str]
) -> None:
    """The walk asks a file's name only (walk_ignores) once no folder above it was ignored: the
    same answer as asking the whole path."""
    from reelprov.globs import any_matches, walk_ignores, walk_matchers

    folders = ["/".join(parts[:i]) for i in range(1, len(parts))]
    if any(any_matches(f, patterns) for f in folders):
        return  # the walk never goes into an ignored folder
    rel = "/".join(parts)
    matchers = walk_matchers(tuple(patterns))
    assert walk_ignores(parts[-1], rel, matchers) == any_matches(rel, patterns)
