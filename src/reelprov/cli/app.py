"""The `reelprov` application: its command groups, global options and `main` (errors become one
line and an exit code)."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import gc
import sys
from typing import Annotated

import typer

from reelprov.cli.common import STATE, err

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

app = typer.Typer(
    help="Provenance tracker for film and TV editorial pipelines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


db_app = typer.Typer(
    help="Ledger database: migrations and projections.", no_args_is_help=True, rich_markup_mode=None
)


policy_app = typer.Typer(help="The policy in force.", no_args_is_help=True, rich_markup_mode=None)


cut_app = typer.Typer(
    help="Editorial timelines: which assets are on screen.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
use_app = typer.Typer(
    help="Intended GenAI uses: reported before the media exists, classified, approved.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy")
app.add_typer(cut_app, name="cut")
app.add_typer(use_app, name="use")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"reelprov {version('reelprov')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    project: Annotated[
        str | None,
        typer.Option("--project", "-P", help="Project root (default: nearest reelprov.toml)."),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who is acting (default: REELPROV_ACTOR or your login)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    STATE.project_dir = project
    STATE.actor = actor


# No argument a user types is this long (paths stop at 4,096 characters); a longer one is a
# mistake or an attack, refused before click would echo it back whole in its usage error.
MAX_ARG = 65_536


# How the CLI names each value a library message asks for (ReelprovError inputs).
OPTION = {
    "by": "--by",
    "ref": "--ref",
    "note": "--note",
    "sha256": "--sha256",
    "path": "--path PATTERN",
    "name": "--name",
    "rate": "--rate",
    "timeline": "--timeline",
    "tool": "--tool",
    "purpose": "--purpose",
    "scope": "--scope",
    "answers": "--answers",
    "output": "--output",
    "actor": "--actor",
    "project": "--project",
}


YOUNG = 50_000  # the cyclic garbage collector's first threshold when the CLI is the program


def main(argv: list[str] | None = None) -> None:
    from reelprov.errors import ReelprovError

    args = sys.argv[1:] if argv is None else argv
    for i, a in enumerate(args, 1):
        if len(a) > MAX_ARG:
            err(
                f"reelprov: error: argument {i} ({_p(a[:40])}...) is {len(a):,} characters long; no reelprov argument "
                f"can be over {MAX_ARG:,} (paths stop at 4,096); check the command"
            )
            sys.exit(2)
    # Run as the program (not called by a process that goes on: tests, a host program), what
    # start-up made (modules, the commands' definitions) lives as long as the process: the cyclic
    # garbage collector stops walking it, here and in the examining workers forked later.
    program = argv is None
    if program:
        gc.freeze()
        # Collect young objects every YOUNG allocations, not 700: a scan's batch (a thousand files'
        # rows) is freed whole by reference counting, and at 700 the collector walked it about 45
        # times per 2,000 files for no garbage (~8 ms of the writer's process).
        gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    try:
        app(args=args, prog_name="reelprov")
    except ReelprovError as exc:
        # it may quote a file's or a timeline's own text; the values it names are our options
        err(f"reelprov: error: {_t(exc.text(lambda field: OPTION.get(field, field)))}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err("reelprov: interrupted")
        sys.exit(130)
    finally:
        while STATE.opened:
            STATE.opened.pop().close()
        if program:
            # and what the command made: the interpreter's exit then frees it without walking it
            # first (a 2,000-file scan's exit took 18-20 ms, then 5)
            gc.freeze()
