"""`use propose/ls/show/approve/reject/revoke/close`: the register of intended GenAI uses."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import sys
from typing import Annotated, Any

import typer

from reelprov.cli.app import use_app
from reelprov.cli.common import JsonOpt, emit, err, open_project
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

UseId = Annotated[str, typer.Argument(help="The use's id, e.g. U-3 (`reelprov use ls`).")]
By = Annotated[str | None, typer.Option("--by", help="Who (required).")]
Note = Annotated[str | None, typer.Option("--note", help="Why, in a few words.")]
# files listed per use by `use show` on a terminal (all of them in --json)
_SHOWN = 20


def _ask_answers() -> dict[str, str]:
    """The five principles, asked one by one on a terminal."""
    from reelprov.errors import UseError
    from reelprov.uses import ANSWERS, PRINCIPLES

    if not sys.stdin.isatty():
        raise UseError(
            "{answers} is required when not at a terminal: five answers (yes, no or unsure), "
            "e.g. {answers} yes,yes,unsure,yes,yes",
            inputs=("answers",),
        )
    out: dict[str, str] = {}
    for i, (key, question) in enumerate(PRINCIPLES, 1):
        while True:
            a = typer.prompt(f"{i}. {question} [yes/no/unsure]").strip().lower()
            if a in ANSWERS:
                out[key] = a
                break
            err("answer yes, no or unsure")
    return out


@use_app.command("propose")
def use_propose(
    tool: Annotated[
        str | None, typer.Option("--tool", help="The GenAI tool, e.g. 'Runway Gen-4'.")
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(
            "--purpose",
            help="A purpose of the use case matrix (e.g. crowd_extension; `reelprov use purposes`).",
        ),
    ] = None,
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            help="Where its files will arrive, from the project root (e.g. 'vfx/sh020/**'); repeatable.",
        ),
    ] = None,
    by: By = None,
    note: Note = None,
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            help="The five principles answered in order, yes/no/unsure, comma-separated "
            "(asked one by one at a terminal when left out). Any no or unsure escalates the use.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Report an intended GenAI use before its media exists."""
    from reelprov.uses.matrix import parse_answers
    from reelprov.uses.register import propose, use_json

    p = open_project()
    given = parse_answers(answers) if answers is not None else None
    if given is None:
        # check what can be checked before asking anything
        from reelprov.uses.matrix import load_matrix

        if purpose:
            load_matrix(p.cfg).purpose(purpose)
        given = _ask_answers()
    res = propose(
        p, tool=tool, purpose=purpose, scope=list(scope or []), by=by, answers=given, note=note
    )
    for w in res.warnings:
        err(f"warning: {w}")
    if as_json:
        emit(use_json(res.use))
        return
    u = res.use
    why = f" (escalated by: {', '.join(u['escalated'])})" if u["escalated"] else ""
    need = {
        "low": "recorded; no approval needed",
        "review": f"needs approval: reelprov use approve {u['id']} --by NAME",
        "escalate": f"needs written approval: reelprov use approve {u['id']} --by NAME --ref REF",
    }[u["risk"]]
    print(f"use {u['id']}: {_t(u['tool'])} for {u['purpose']}, risk {u['risk']}{why}; {need}")


@use_app.command("purposes")
def use_purposes(as_json: JsonOpt = False) -> None:
    """The use case matrix: every purpose, its risk and its area."""
    from reelprov.uses.matrix import load_matrix

    m = load_matrix(open_project().cfg)
    if as_json:
        emit(
            {
                "source": m.source,
                "purposes": [
                    {"name": x.name, "risk": x.risk, "area": x.area, "label": x.label}
                    for x in m.purposes.values()
                ],
            }
        )
        return
    print(f"use case matrix: {m.source}")
    for x in m.purposes.values():
        print(f"  {x.name:22s} {x.risk:9s} {x.area:22s} {x.label}")


def _files_line(files: Any) -> str:
    return f"{_n(files.count, 'file')} ({files.in_cut_count} in cut)"


@use_app.command("ls")
def use_ls(as_json: JsonOpt = False) -> None:
    """Every intended use: id, tool, purpose, risk, status, files."""
    from reelprov.uses import status_of
    from reelprov.uses.register import files_by_use, load_uses, use_json

    p = open_project()
    uses = load_uses(p)
    files = files_by_use(p, uses, keep=0 if not as_json else None)
    if as_json:
        emit([use_json(u, files[u["id"]]) for u in uses.values()])
        return
    if not uses:
        print("no intended uses; report one with `reelprov use propose`")
        return
    for u in uses.values():
        ref = f" ref {_t(u['ref'])}" if u["ref"] else ""
        print(
            f"{u['id']:6s} {_t(u['tool'])[:30]:30s} {u['purpose']:20s} {u['risk']:9s} "
            f"{status_of(u)}{ref}  {_files_line(files[u['id']])}"
        )


@use_app.command("show")
def use_show(use_id: UseId, as_json: JsonOpt = False) -> None:
    """One use: its answers, decisions and the files it covers."""
    from reelprov.uses import PRINCIPLES, status_of
    from reelprov.uses.register import files_by_use, get_use, use_json

    p = open_project()
    u = get_use(p, use_id)
    files = files_by_use(p, {u["id"]: u}, keep=None if as_json else _SHOWN)[u["id"]]
    if as_json:
        emit(use_json(u, files))
        return
    print(f"use {u['id']}: {_t(u['tool'])} for {u['purpose']} ({u['area']})")
    print(f"  risk {u['risk']} (matrix: {u['matrix_risk']}), status {status_of(u)}")
    print(f"  scope: {', '.join(_p(s) for s in u['scope'])}")
    if u["note"]:
        print(f"  note: {_t(u['note'])}")
    print("  principles:")
    for key, question in PRINCIPLES:
        print(f"    {u['answers'].get(key, '?'):7s} {question}")
    print("  history:")
    for t in u["trail"]:
        extra = "".join(f" {k} {_t(str(t[k]))}" for k in ("ref", "note") if t.get(k))
        print(f"    #{t['seq']} {t['ts']} {t['event']} by {_t(t['by'])}{extra}")
    print(f"  files: {_files_line(files)}")
    for label, paths, total in (
        ("in cut", files.in_cut, files.in_cut_count),
        ("not in cut", files.out_of_cut, files.out_of_cut_count),
    ):
        for path in paths:
            print(f"    {label:10s} {_p(path)}")
        if total > len(paths):
            print(f"    ... and {total - len(paths):,} more {label} (--json lists them all)")


def _decided(use_id: str, decision: str, by: Any, ref: Any, note: Any, as_json: bool) -> None:
    from reelprov.uses import status_of
    from reelprov.uses.register import decide, use_json

    u = decide(open_project(), use_id, decision, by=by, ref=ref, note=note)
    if as_json:
        emit(use_json(u))
        return
    print(f"use {u['id']} {decision} by {_t(u['decided_by'])}; status {status_of(u)}")


RefOpt = Annotated[
    str | None,
    typer.Option("--ref", help="Written approval reference (needed at escalate risk)."),
]


# The decisions on a use: command -> (what it records, its help).
_DECISIONS = {
    "approve": ("approved", "Written approval of a use (its files still have their own flags)."),
    "reject": ("rejected", "Refuse a use: files arriving under it are flagged."),
    "revoke": ("revoked", "Take an approval back (--note says why): its files are flagged again."),
}


def _decision_command(command: str) -> None:
    decision, doc = _DECISIONS[command]

    def decide_use(
        use_id: UseId,
        by: By = None,
        ref: RefOpt = None,
        note: Note = None,
        as_json: JsonOpt = False,
    ) -> None:
        _decided(use_id, decision, by, ref, note, as_json)

    decide_use.__doc__ = doc
    use_app.command(command)(decide_use)


for _command in _DECISIONS:
    _decision_command(_command)


@use_app.command("close")
def use_close(use_id: UseId, by: By = None, note: Note = None, as_json: JsonOpt = False) -> None:
    """No more files are expected under the use: any arriving later is flagged."""
    from reelprov.uses.register import close, use_json

    u = close(open_project(), use_id, by=by, note=note)
    if as_json:
        emit(use_json(u))
        return
    print(f"use {u['id']} closed by {_t(u['closed_by'])}")
