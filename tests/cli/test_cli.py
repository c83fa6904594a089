"""The CLI spine as a user meets it: init, scan, ls, show, history, verify, errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SD_PARAMS, run_cli, write_png

CONTRACT_KEYS = {
    "path",
    "sha256",
    "size",
    "media_type",
    "stage",
    "origin",
    "tools",
    "evidence",
    "c2pa",
    "tags",
    "in_cut",
    "flags",
}


def test_init_scan_ls_show_history(cli, show_root: Path) -> None:
    write_png(show_root / "final/props/ransom_note.png", {"parameters": SD_PARAMS})
    write_png(show_root / "plates/a.png")
    assert (show_root / "reelprov.toml").is_file()
    assert (show_root / ".reelprov/ledger.db").is_file()
    r = cli("scan", "--json", cwd=show_root)
    assert r.code == 0, r.err
    assert r.json()["seen"] == 2
    rows = cli("ls", "--json", cwd=show_root / "plates").json()  # discovery from a subfolder
    assert [a["path"] for a in rows] == ["final/props/ransom_note.png", "plates/a.png"]
    for a in rows:
        assert CONTRACT_KEYS <= set(a)
    note = rows[0]
    assert note["origin"] == "ai_generated" and note["tools"] == ["Stable Diffusion"]
    assert note["stage"] == "final" and note["c2pa"] == {"present": False, "state": "none"}
    assert rows[1]["origin"] == "unknown" and rows[1]["evidence"] == []
    shown = cli("show", "final/props/ransom_note.png", "--json", cwd=show_root).json()
    first = shown["history"][0]
    assert first["kind"] == "seen" and first["payload"]["evidence"][0]["tool"] == "Stable Diffusion"
    hist = cli("history", "final/props/ransom_note.png", cwd=show_root)
    assert hist.code == 0 and "seen" in hist.out and "; 1 item, c2pa none" in hist.out
    cli(
        "tag",
        "final/props/ransom_note.png",
        "--tag",
        "story_relevant",
        "--tag",
        "talent_likeness",
        cwd=show_root,
    )
    # removing the tag would resolve the escalation it raised: only with a name and a reference
    assert (
        cli("untag", "final/props/ransom_note.png", "--tag", "story_relevant", cwd=show_root).code
        == 2
    )
    cli(
        "untag",
        "final/props/ransom_note.png",
        "--tag",
        "story_relevant",
        "--by",
        "Legal",
        "--ref",
        "L-2",
        cwd=show_root,
    )
    lines = cli("history", "final/props/ransom_note.png", cwd=show_root).out.splitlines()
    tagged = [line.split("tagged", 1)[1].strip() for line in lines if " tagged " in line]
    assert tagged == [
        "add=story_relevant,talent_likeness",
        "by=Legal, ref=L-2, remove=story_relevant",
    ]
    assert cli("verify", cwd=show_root).code == 0


def test_show_and_history_of_a_folder_or_pattern_point_to_ls(cli, show_root: Path) -> None:
    write_png(show_root / "plates/a.png")
    cli("scan", cwd=show_root)
    for cmd in ("show", "history"):
        r = cli(cmd, "plates", cwd=show_root)
        assert (
            r.code == 2
            and "plates: is a folder" in r.err
            and "`reelprov ls` given the same folder" in r.err
        )
        r = cli(cmd, "a.png", cwd=show_root / "plates")
        assert r.code == 0 and "plates/a.png" in r.out
        r = cli(cmd, "*.png", cwd=show_root / "plates")
        assert r.code == 2 and "plates/*.png: is a pattern" in r.err
        r = cli(cmd, "plates/b.png", cwd=show_root)
        assert r.code == 2 and "no asset recorded at this path" in r.err


def test_outside_project_is_exit_2(cli, tmp_path: Path) -> None:
    r = cli("ls", cwd=tmp_path)
    assert r.code == 2
    assert "not inside a reelprov project" in r.err and "reelprov init" in r.err
    assert len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "block, words",
    [
        (
            '[[tag_rules]]\nglob = "**/props/hero/**"\ntags = ["story-relevant"]\n',
            "[[tag_rules]] glob '**/props/hero/**': unknown tag 'story-relevant'; known tags: story_relevant",
        ),
        (
            '[[tag_rules]]\ntags = ["key_creative"]\n',
            "[[tag_rules]] block 1 has no glob; each needs glob and tags",
        ),
        (
            '[[stage_rules]]\nstage = "final"\n',
            "[[stage_rules]] block 1 has no glob; each needs glob and stage",
        ),
        (
            'tag_rules = ["final/**"]\n',
            "tag_rules entry 1 is not a table; write each as a [[tag_rules]] block",
        ),
    ],
)
def test_rules_in_reelprov_toml_that_would_do_nothing_or_crash_are_refused(
    cli, show_root: Path, block: str, words: str
) -> None:
    cfg = show_root / "reelprov.toml"
    default_rule = '[[tag_rules]]\nglob = "**/props/hero/**"\ntags = ["story_relevant"]\n'
    text = cfg.read_text()
    assert default_rule in text
    text = text.replace(default_rule, "")  # the only rule: block 1
    cfg.write_text(block + text if not block.startswith("[[") else text + block)
    r = cli("ls", cwd=show_root)
    assert (
        r.code == 2
        and words in r.err
        and str(cfg) in r.err
        and len(r.err.strip().splitlines()) == 1
    ), r.err


def test_project_found_by_flag_and_env(cli, show_root: Path, tmp_path: Path) -> None:
    write_png(show_root / "a.png")
    assert cli("--project", str(show_root), "scan", cwd=tmp_path).code == 0
    r = cli("ls", "--json", cwd=tmp_path, env={"REELPROV_PROJECT": str(show_root)})
    assert r.code == 0 and [a["path"] for a in r.json()] == ["a.png"]


def test_bad_toml_is_one_line_exit_2(cli, show_root: Path) -> None:
    (show_root / "reelprov.toml").write_text("[project\nid = 'x'\n")
    r = cli("ls", cwd=show_root)
    assert r.code == 2 and "reelprov.toml" in r.err and "syntax" in r.err


def test_unknown_config_key_is_exit_2(cli, show_root: Path) -> None:
    cfg = show_root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("[scan]", "[scan]\nignroe = []"))
    r = cli("scan", cwd=show_root)
    assert r.code == 2 and "ignroe" in r.err


def test_path_outside_project_is_exit_2(cli, show_root: Path, tmp_path: Path) -> None:
    other = write_png(tmp_path / "elsewhere.png")
    r = cli("show", str(other), cwd=show_root)
    assert r.code == 2 and "not inside the project" in r.err


def test_megabyte_arguments_are_refused_in_one_short_line(cli, show_root: Path) -> None:
    big = "a" * 1_000_000
    for args in (
        ["show", big],
        ["tag", big, "--tag", "story_relevant"],
        ["approve", big, "--by", "me"],
        ["declare", "x.png", "--origin", "ai_generated", "--tool", big],
    ):
        r = cli(*args, cwd=show_root)
        assert r.code == 2 and "1,000,000 characters" in r.err and len(r.err) < 400, (
            args[0],
            r.err[:300],
        )
    assert cli("verify", cwd=show_root).code == 0


_CFG_TOKENS = [
    b"-1",
    b"0",
    b"1e999",
    b"nan",
    b'""',
    b"[]",
    b"{}",
    b"true",
    b'"*"',
    b'"/"',
    b'".."',
    b"[[x]]",
    b"\n[scan]\n",
    b"=",
    b'"',
    b"99999999999999999999",
    b"\xff",
    b'"{nope}"',
]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    policy=st.booleans(),
    edits=st.lists(
        st.tuples(
            st.integers(0, 1 << 12),
            st.integers(0, 6),
            st.one_of(st.sampled_from(_CFG_TOKENS), st.binary(max_size=3)),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_mutated_settings_and_policy_files_exit_0_or_2_never_crash(
    tmp_path_factory: pytest.TempPathFactory, policy: bool, edits: list[tuple[int, int, bytes]]
) -> None:
    """A damaged reelprov.toml or project policy: each command works or says what is wrong (exit 2
    naming the file), never a traceback; the ledger stays valid."""
    from importlib import resources

    root = tmp_path_factory.mktemp("fuzzcfg")
    run_cli("init", str(root))
    write_png(root / "final/a.png", {"parameters": SD_PARAMS})
    cfg = root / "reelprov.toml"
    target = cfg
    if policy:
        target = root / "rules.toml"
        target.write_bytes((resources.files("reelprov.policy") / "default.toml").read_bytes())
        cfg.write_text(cfg.read_text().replace("[policy]", '[policy]\nfile = "rules.toml"'))
    good = target.read_bytes()
    data = bytearray(good)
    for pos, n, blob in edits:
        p = pos % (len(data) + 1)
        data[p : p + n] = blob
    target.write_bytes(bytes(data))
    for args in (
        ["scan", "--json"],
        ["ls", "--json"],
        ["policy", "show"],
        ["report", "--format", "json", "--output", "-"],
    ):
        r = run_cli(*args, cwd=root)
        assert r.code in (0, 1, 2) and "Traceback" not in r.err, (args, r.code, r.err)
        if r.code == 2:
            assert r.err.startswith("reelprov: error: ") and target.name in r.err, (args, r.err)
    target.write_bytes(good)
    assert run_cli("verify", cwd=root).code == 0


def test_corrupt_ledger_is_exit_2_and_untouched(cli, show_root: Path) -> None:
    db = show_root / ".reelprov/ledger.db"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    r = cli("ls", cwd=show_root)
    assert r.code == 2 and "corrupt" in r.err
    assert db.read_bytes() == before


def test_unreachable_postgres_is_exit_2(cli, show_root: Path) -> None:
    r = cli(
        "ls",
        cwd=show_root,
        env={"REELPROV_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nope"},
    )
    assert r.code == 2 and "cannot open the ledger database" in r.err


def test_python_dash_m_and_console_script(show_root: Path) -> None:
    env = {**os.environ, "REELPROV_PROJECT": str(show_root)}
    r = subprocess.run(
        [sys.executable, "-m", "reelprov", "db", "current", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert '"up_to_date": true' in r.stdout


def test_a_name_that_is_not_utf8_is_reported_once_and_refused_by_name(cli, show_root: Path) -> None:
    write_png(show_root / "ok.png")
    with open(os.fsencode(show_root) + b"/bad\xff\xfename.png", "wb") as f:
        f.write((show_root / "ok.png").read_bytes())
    r = cli("scan", cwd=show_root)
    assert r.code == 0, r.err
    # The bad bytes shown once as \xNN, not escaped a second time for the terminal.
    assert "skipped bad\\xff\\xfename.png: file name is not valid UTF-8; rename it" in r.err
    assert "\\\\x" not in r.err
    j = cli("scan", "--json", cwd=show_root).json()
    assert j["errors"] == [{"path": "bad\\xff\\xfename.png", "error": j["errors"][0]["error"]}]
    assert "not valid UTF-8" in j["errors"][0]["error"]
    bad = os.fsdecode(b"bad\xff\xfename.png")
    for args in (
        ["show", bad],
        ["history", bad],
        ["tag", bad, "--tag", "story_relevant"],
        ["ls", bad],
    ):
        r = cli(*args, cwd=show_root)
        assert r.code == 2, (args, r.err)
        assert r.err.startswith(
            "reelprov: error: bad\\xff\\xfename.png: file name is not valid UTF-8"
        ), (args, r.err)
    assert cli("verify", cwd=show_root).code == 0


def test_ls_takes_a_folder_or_a_glob_relative_to_where_the_user_stands(
    cli, show_root: Path
) -> None:
    for rel in ("plates/a.png", "plates/b.png", "plates_old/c.png", "final/d.png"):
        write_png(show_root / rel)
    assert cli("scan", cwd=show_root).code == 0

    def listed(*args: str, cwd: Path = show_root) -> list[str]:
        r = cli("ls", *args, "--json", cwd=cwd)
        assert r.code == 0, r.err
        return [a["path"] for a in r.json()]

    assert (
        listed("plates") == listed("plates/") == ["plates/a.png", "plates/b.png"]
    )  # not plates_old/
    assert listed("plates/a.png") == ["plates/a.png"]
    assert listed("*/a.png") == ["plates/a.png"]
    assert listed(".", cwd=show_root / "plates") == ["plates/a.png", "plates/b.png"]
    assert listed("*.png", cwd=show_root / "plates") == ["plates/a.png", "plates/b.png"]
    assert listed("../final", cwd=show_root / "plates") == ["final/d.png"]
    assert len(listed(cwd=show_root / "plates")) == 4  # no argument: the whole project, as before
    r = cli(
        "-P", str(show_root), "ls", "plates", "--json", cwd=show_root.parent
    )  # from outside: root-relative
    assert [a["path"] for a in r.json()] == ["plates/a.png", "plates/b.png"]
    r = cli("ls", "plates", cwd=show_root)
    assert r.err.strip() == "2 assets"
    r = cli(
        "ls", "plates/*", cwd=show_root / "plates"
    )  # typed from the root's point of view: says what it meant
    assert r.code == 0 and r.err.strip() == "0 assets matching plates/plates/*"
    r = cli("ls", str(show_root.parent), cwd=show_root)
    assert r.code == 2 and "not inside the project" in r.err


def test_flags_of_one_folder_or_file(cli, show_root: Path) -> None:
    write_png(show_root / "final/props/note.png", {"parameters": SD_PARAMS})
    write_png(show_root / "final/sky/sky.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    every = cli("flags", "--json", cwd=show_root).json()
    assert {f["path"] for f in every} == {"final/props/note.png", "final/sky/sky.png"}
    props = cli("flags", "final/props", "--json", cwd=show_root).json()
    assert props and {f["path"] for f in props} == {"final/props/note.png"}
    assert props == [f for f in every if f["path"] == "final/props/note.png"]
    assert cli("flags", "*.png", "--json", cwd=show_root / "final/sky").json() == [
        f for f in every if f["path"] == "final/sky/sky.png"
    ]
    r = cli("flags", "final/props", cwd=show_root)
    assert r.code == 0 and r.err.strip() == f"{len(props)} flag" + ("s" if len(props) != 1 else "")


def test_init_again_keeps_the_project_and_says_so(cli, show_root: Path) -> None:
    write_png(show_root / "a.png")
    cli("scan", cwd=show_root)
    cfg = (show_root / "reelprov.toml").read_text()
    r = cli("init", str(show_root), "--name", "Another Show")
    assert (
        r.code == 0
        and "is already the reelprov project 'show': its reelprov.toml was kept" in r.out
    )
    assert ", 1 entry)" in r.out and "already names the production 'show'; it was kept" in r.err
    assert (show_root / "reelprov.toml").read_text() == cfg
    r = cli("init", str(show_root), "--json")
    assert r.json()["existed"] is True and r.json()["entries"] == 1
    assert [a["path"] for a in cli("ls", "--json", cwd=show_root).json()] == ["a.png"]


def test_init_inside_another_project_says_so(cli, show_root: Path) -> None:
    (show_root / "reel1").mkdir()
    r = cli("init", str(show_root / "reel1"))
    assert r.code == 0, r.err
    assert f"warning: {show_root / 'reel1'} is inside the project at {show_root}" in r.err
    assert (
        "warning" not in cli("init", str(show_root)).err
    )  # re-running init on the project itself: no warning


@pytest.mark.parametrize(
    ("section", "line", "words"),
    [
        ("[scan]", "workers = -3", "[scan] workers = -3 is out of range; give 0 to 256"),
        ("[scan]", "workers = 100000", "[scan] workers = 100000 is out of range"),
        (
            "[hooks]",
            "timeout_seconds = 0",
            "[hooks] timeout_seconds = 0 is out of range; give 0.1 to 3600",
        ),
        ("[watch]", "poll_seconds = nan", "[watch] poll_seconds = nan is out of range"),
    ],
)
def test_numbers_in_settings_must_make_sense(
    cli, show_root: Path, section: str, line: str, words: str
) -> None:
    cfg = show_root / "reelprov.toml"
    text = cfg.read_text()
    key = line.split(" =")[0]
    text = "\n".join(
        x for x in text.splitlines() if not x.startswith(f"{key} =")
    )  # the default's own line goes
    cfg.write_text(
        text.replace(f"{section}\n", f"{section}\n{line}\n")
        if section in text
        else text + f"\n{section}\n{line}\n"
    )
    r = cli("ls", cwd=show_root)
    assert r.code == 2 and words in r.err and str(cfg) in r.err, r.err


def test_watch_refuses_a_settle_window_or_poll_interval_that_makes_no_sense(
    cli, show_root: Path
) -> None:
    for args, words in (
        (["--settle", "-1"], "--settle = -1.0 is out of range"),
        (["--poll", "0"], "--poll = 0.0 is out of range"),
    ):
        r = cli("watch", *args, cwd=show_root)
        assert r.code == 2 and words in r.err, r.err


def test_a_deleted_asset_says_so_in_show_and_ls(cli, show_root: Path) -> None:
    write_png(show_root / "a.png")
    gone = write_png(show_root / "gone.png", color=(3, 3, 3))
    cli("scan", cwd=show_root)
    gone.unlink()
    cli("scan", cwd=show_root)
    shown = cli("show", "gone.png", cwd=show_root).out.splitlines()
    assert shown[0] == "gone.png  DELETED (no longer under the root; its history is kept)"
    assert "a.png" == cli("show", "a.png", cwd=show_root).out.splitlines()[0]
    rows = cli("ls", "--deleted", cwd=show_root).out.splitlines()
    assert [r.endswith("  (deleted)") for r in rows] == [False, True]
    assert cli("show", "gone.png", "--json", cwd=show_root).json()["deleted"] is True


def test_metadata_names_and_clip_names_cannot_drive_the_terminal(cli, show_root: Path) -> None:
    """A hostile file or timeline must not clear the screen, retitle the window, hide text or
    reorder it in front of a reviewer: every control character is shown as an escape."""
    esc_name = "final/note\x1b[8m.png"
    write_png(
        show_root / esc_name,
        {
            "parameters": "castle\x1b[2J\nSteps: 20, Sampler: Euler, Model: sd\x1b]0;pwned\x07",
            "Software": "Stable Diffusion\x1b[1A\x1b[2K\u202e",
        },
    )
    edl = show_root / "reel.edl"
    edl.write_text(
        "TITLE: R\x1b[31m1\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 "
        "01:00:00:00 01:00:01:00\n* FROM CLIP NAME: clip\x1b]0;x\x07.mov\n"
    )
    outs = [
        cli("scan", cwd=show_root),
        cli("ls", cwd=show_root),
        cli("show", esc_name, cwd=show_root),
        cli("history", esc_name, cwd=show_root),
        cli("flags", cwd=show_root),
        cli("cut", "import", str(edl), cwd=show_root),
        cli("cut", "ls", cwd=show_root),
        cli("report", "--format", "md", "--output", "-", cwd=show_root),
    ]
    for r in outs:
        assert r.code == 0, r.err
        for text in (r.out, r.err):
            assert not any(
                ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in text
            ), text
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 "
        "01:00:00:00 01:00:01:00\n* FROM CLIP NAME: \x1b[2J" + "a" * 5000 + ".mov\n"
    )
    r = cli("cut", "import", str(edl), cwd=show_root)  # an error quoting the timeline's own text
    assert r.code == 2 and "\\x1b[2Jaaa" in r.err and "\x1b" not in r.err
    shown_asset = cli("show", esc_name, "--json", cwd=show_root).json()
    assert shown_asset["path"] == esc_name  # the name itself is recorded as it is
    assert "\\x1b[8m" in outs[2].out and "\\x1b]0;pwned\\x07" in outs[2].out
    assert all("\x1b" not in e["detail"] for e in shown_asset["evidence"])  # stored printable


def test_a_path_typed_in_another_unicode_form_finds_the_asset(cli, show_root: Path) -> None:
    import unicodedata

    stored = unicodedata.normalize("NFD", "plates/Café_é.png")  # as a Mac share hands it over
    typed = unicodedata.normalize("NFC", stored)  # as a keyboard or a shell types it
    write_png(show_root / stored)
    cli("scan", cwd=show_root)
    for args in (
        ("show", typed, "--json"),
        ("history", typed, "--json"),
        ("ls", typed, "--json"),
        ("ls", unicodedata.normalize("NFC", "plates/Caf*"), "--json"),
        ("flags", typed, "--json"),
    ):
        r = cli(*args, cwd=show_root)
        assert r.code == 0, (args, r.err)
    assert cli("show", typed, "--json", cwd=show_root).json()["path"] == stored
    assert [a["path"] for a in cli("ls", typed, "--json", cwd=show_root).json()] == [stored]
    assert cli("tag", typed, "--tag", "key_creative", cwd=show_root).code == 0
    assert cli("show", stored, "--json", cwd=show_root).json()["tags"] == ["key_creative"]


def test_init_in_a_folder_this_user_cannot_write_is_exit_2(tmp_path: Path) -> None:
    from tests.conftest import as_ordinary_user

    show = tmp_path / "locked_show"
    show.mkdir()
    show.chmod(0o555)
    try:
        r = subprocess.run(
            [*as_ordinary_user(), sys.executable, "-m", "reelprov", "init", str(show)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        show.chmod(0o755)
    assert r.returncode == 2 and "Traceback" not in r.stderr  # it was a PermissionError traceback
    assert f"{show}: cannot create the project there (Permission denied)" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["tag", "", "--tag", "story_relevant"],
        ["untag", " ", "--tag", "story_relevant"],
        ["declare", "", "--origin", "ai_generated", "--tool", "Runway"],
    ],
)
def test_an_empty_path_argument_records_nothing(cli, show_root: Path, args: list[str]) -> None:
    """`reelprov declare "$FILE" --origin ai_generated` with FILE unset declared every asset of the
    project AI-made (an empty path was the folder one stands in). It is refused; '.' still means all."""
    write_png(show_root / "final/a.png")
    write_png(show_root / "final/b.png", color=(1, 1, 1))
    assert cli("scan", cwd=show_root).code == 0
    before = cli("verify", "--json", cwd=show_root).json()["entries"]
    r = cli(*args, cwd=show_root)
    assert (
        r.code == 2
        and r.err.startswith("reelprov: error: an empty path argument")
        and "'.' for every asset" in r.err
    )
    assert cli("verify", "--json", cwd=show_root).json()["entries"] == before
    assert cli("tag", ".", "--tag", "story_relevant", cwd=show_root).out.startswith(
        "tagged 2 assets"
    )


def test_the_library_names_fields_and_the_cli_names_its_options(cli, show_root: Path) -> None:
    """Issue 21: the library never names a CLI option: its message names the field (what a web app
    would show), and the CLI says which option gives it."""
    from reelprov.errors import ReelprovError
    from reelprov.project import Project
    from reelprov.review.decisions import decide, revoke

    write_png(show_root / "final/ai.png", text={"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0
    flag = cli("flags", "--json", cwd=show_root).json()[0]["id"]
    p = Project.open(show_root)
    try:
        with pytest.raises(ReelprovError) as lib:
            decide(p, [flag], "approve", by=" ", ref=None, note=None)
        assert str(lib.value) == "by is required: say who decided"
        with pytest.raises(ReelprovError) as lib:
            revoke(p, [flag], by="J. Park", note="")
        assert str(lib.value).startswith("note is required: say why the decision is taken back")
    finally:
        p.close()
    r = cli("approve", str(flag), "--by", " ", cwd=show_root)
    assert (r.code, r.err) == (2, "reelprov: error: --by is required: say who decided\n")
    r = cli("approve", "x1", "--by", "J. Park", cwd=show_root)
    assert r.code == 2 and r.err.endswith("or --path PATTERN\n"), r.err


def test_main_called_in_a_process_that_goes_on_leaves_its_garbage_collectable(
    show_root: Path,
) -> None:
    """Run as the program, the CLI exempts what it made from the cyclic garbage collector (the
    exit then frees it faster) and collects young objects less often. Called in a process that
    goes on (a test, a host program), it must not: garbage frozen there would never be collected,
    and the host's collector is the host's."""
    import gc

    threshold = gc.get_threshold()
    assert run_cli("ls", "--json", cwd=show_root).code == 0
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold


def test_main_run_as_the_program_collects_young_objects_less_often(show_root: Path) -> None:
    import subprocess

    from reelprov.cli.app import YOUNG

    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.get_threshold()[0], gc.get_freeze_count() > 0))\n"
        "sys.argv = ['reelprov', 'ls', '--json']\n"
        "from reelprov.cli import main\n"
        "main()\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], cwd=show_root, capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == f"{YOUNG} True"


def test_the_progress_bar_at_a_terminal_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan forks its examining processes only while it runs no other thread; rich's progress bar
    redrew itself from a thread of its own, so a scan at a terminal had a server start them instead
    (0.1 s later on 2,000 files). The bar is now drawn as progress comes, and still drawn."""
    import io
    import threading

    from reelprov.cli.common import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    before = threading.active_count()
    with ProgressBar("scan") as bar:
        bar("examine", 5, 10)
        assert threading.active_count() == before
    assert "scan: examine" in term.getvalue() and "5/10" in term.getvalue()
