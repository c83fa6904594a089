"""The CLI reference (docs/cli.md), generated from the commands' own help.

    python -m reelprov.clidoc [FILE]      # writes FILE (default docs/cli.md) anew

tests/cli/test_clidoc.py checks docs/cli.md is what this writes now.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HEADER = """# reelprov command reference

Generated from the commands' own `--help` by `python -m reelprov.clidoc`; do not edit by hand.
Every command takes the global options `-P/--project` and `--actor` before its name
(`reelprov -P /mnt/show ls`). Exit codes: 0 done (for `verify`, `report --fail-on` and
`status`: all clear), 1 the check failed (a broken chain, a blocking flag, no watcher running),
2 bad input or a ledger problem, with a message naming the file and what to do.
The JSON each `--json` prints is described in [json.md](json.md), with schemas in `schemas/`.
"""


def _commands(group: Any, prefix: list[str]) -> list[tuple[list[str], Any]]:

    out: list[tuple[list[str], Any]] = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        if cmd.hidden:
            continue
        if hasattr(cmd, "commands"):  # a group: db, policy, cut
            out.extend(_commands(cmd, [*prefix, name]))
        else:
            out.append(([*prefix, name], cmd))
    return out


def render() -> str:
    import typer

    from reelprov.cli import app

    root = typer.main.get_command(app)
    parts = [HEADER]
    for path, cmd in _commands(root, []):
        with cmd.context_class(
            cmd, info_name=f"reelprov {' '.join(path)}", terminal_width=100, max_content_width=100
        ) as ctx:
            text = cmd.get_help(ctx)
        parts.append(f"\n## reelprov {' '.join(path)}\n\n```text\n{text.rstrip()}\n```\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    target.write_text(render(), encoding="utf-8")
    print(target)


if __name__ == "__main__":
    main()
