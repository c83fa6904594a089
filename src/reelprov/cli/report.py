"""`report`: the pre-delivery report and the delivery gate's verdict."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

from typing import TYPE_CHECKING, Annotated

import typer

from reelprov.cli.app import app
from reelprov.cli.common import (
    ProgressBar,
    emit,
    err,
    open_project,
)

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

if TYPE_CHECKING:
    from reelprov.contract import GateJson


@app.command()
def report(
    fmt: Annotated[str, typer.Option("--format", help="html, json, csv or md.")] = "html",
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="File, or - for stdout (default: report.FORMAT in the project)."
        ),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="The delivery gate: exit 1 while any open or rejected flag is at or "
            "above review, escalate or block, the ledger does not verify, or an "
            "approved or AI file changed on disk.",
        ),
    ] = None,
    no_verify: Annotated[
        bool,
        typer.Option(
            "--no-verify", help="Skip re-checking the ledger chain (the verdict then cannot clear)."
        ),
    ] = False,
    no_thumbnails: Annotated[
        bool, typer.Option("--no-thumbnails", help="Leave image previews out of the HTML.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Write the report, then print what was written as JSON "
            "(path, counts, verification, the gate's verdict and blocking flags).",
        ),
    ] = False,
) -> None:
    """The pre-delivery report: what is cleared, what still blocks delivery."""
    from reelprov.errors import ReportError
    from reelprov.report import write_report
    from reelprov.report.gate import check_level

    if fail_on is not None:
        check_level(fail_on)
    if as_json and output == "-":
        raise ReportError(
            "--json prints a summary of the report written to a file; for the report itself on "
            "stdout use --format json --output - without --json"
        )
    p = open_project()
    with ProgressBar("report") as prog:
        data, path = write_report(
            p,
            fmt=fmt,
            output=output,
            verify=not no_verify,
            thumbnails=not no_thumbnails,
            level=fail_on,
            progress=prog,
        )
    gate = data["gate"]
    if as_json:
        emit(
            {
                "path": path,
                "format": fmt,
                "generated_at": data["generated_at"],
                "ledger_head": data["ledger_head"],
                "counts": data["counts"],
                "verify": data["verify"],
                "fail_on": fail_on,
                "gate": gate,
                "blocking": gate["blocking"] if fail_on else [],
                "anchored": data["anchored"],
            }
        )
    elif path:
        print(path)
    for fail in data["anchored"]["failed"]:
        err(f"reelprov: warning: the report's ledger head was not anchored in {_t(fail)}")
    if fail_on:
        _gate_failures(gate)
        if not gate["cleared"]:
            raise typer.Exit(1)


def _gate_failures(gate: "GateJson") -> None:
    """What keeps the gate shut, on stderr: the verdict, then each reason."""
    if gate["cleared"]:
        err(gate["verdict"])
        return
    err(_t(gate["verdict"]))
    if gate["problems"]:  # the flags themselves may have been edited: the gate cannot pass on them
        err("the ledger does not verify, so this report cannot clear delivery:")
        for prob in gate["problems"][:5]:
            err(f"  TAMPERED: {_t(prob)}")
    if not gate["verified"]:
        err(
            "the ledger chain was not checked (--no-verify): the gate clears only a verified ledger"
        )
    for c in gate["changed"][:20]:
        err(
            f"  CHANGED: {_p(c['path'])}: {_t(c['why'])} (recorded sha256 {c['recorded'][:12]}); run `reelprov scan` and review it again"
        )
    if gate["changed_count"] > 20:
        err(
            f"  ... and {gate['changed_count'] - 20:,} more changed files; `reelprov scan` records them"
        )
    blocking, total = gate["blocking"], gate["blocking_count"]
    if total:
        err(
            f"{_n(total, 'flag')} at or above {gate['level']} {'is' if total == 1 else 'are'} unresolved:"
        )
        for f in blocking[:200]:
            err(f"  #{f['id']} {f['severity']}/{f['status']} {_p(f['path'])}: {_t(f['reason'])}")
        if total > 200:
            err(
                f"  ... and {total - 200:,} more; `reelprov flags --status unresolved` lists them all"
            )
