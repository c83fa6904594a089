"""docs/cli.md is the commands' help as it is now, and it names every command."""

from __future__ import annotations

from pathlib import Path

from reelprov import clidoc

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_the_cli_reference_is_current() -> None:
    assert DOC.read_text() == clidoc.render(), "run `python -m reelprov.clidoc`"


def test_the_cli_reference_names_every_command(cli) -> None:
    text = DOC.read_text()
    for name in ("scan", "ls", "show", "verify", "report", "approve", "revoke", "watch", "status"):
        assert f"\n## reelprov {name}\n" in text
    for group in ("db upgrade", "policy check", "cut import"):
        assert f"\n## reelprov {group}\n" in text
    assert "--json" in text and "Usage: reelprov ls" in text
