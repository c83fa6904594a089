"""`flags`, `approve`, `reject`, `waive`, `revoke`: the review of flags."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from reelprov.cli.app import app
from reelprov.cli.common import (
    JsonOpt,
    emit,
    emit_all,
    err,
    matching,
    open_project,
    where_of,
)

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t


@app.command()
def flags(
    glob: Annotated[
        str | None,
        typer.Argument(
            help="A flag id (17) to show that flag, or only flags on assets in this folder, "
            "file, path glob or frame sequence."
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="open, approved, rejected, waived, resolved; "
            "unresolved (open + rejected), decided",
        ),
    ] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="At or above: review, escalate, block")
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only flags of this rule.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List flags: the frames of a sequence in the same state on one line (--json: one per flag)."""
    from reelprov.errors import ReelprovError
    from reelprov.policy import SEVERITIES, STATUSES
    from reelprov.review.flags import (
        STATUS_GROUPS,
        group_flags,
        iter_flags,
        list_flags,
        select_flags,
    )

    for s_ in status or []:
        if s_ not in STATUSES and s_ not in STATUS_GROUPS:
            raise ReelprovError(
                f"unknown status {s_!r}; use {', '.join((*STATUSES, *STATUS_GROUPS))}"
            )
    if severity and severity not in SEVERITIES:
        raise ReelprovError(f"unknown severity {severity!r}; use {', '.join(SEVERITIES)}")
    p = open_project()
    if (
        glob is not None and glob.isdigit()
    ):  # `reelprov flags 17`: that flag (a file named 17: ./17)
        from reelprov.review.assets import flag_json

        row = select_flags(p, ids=[glob], want=STATUSES, action="show")[0]
        f = flag_json(row) | {"path": row["path"], "trail": row["trail"]}
        if as_json:
            emit(f)
        else:
            _print_flag(f, detail=True)
        return
    where = where_of(p, glob)
    if as_json:
        emit_all(iter_flags(p, status=status, severity=severity, where=where, rule=rule))
        return
    rows = list_flags(p, status=status, severity=severity, where=where, rule=rule)
    for g in group_flags(rows):
        _print_flag(g)
    err(_n(len(rows), "flag") + matching(glob, where))


def _print_flag(f: Mapping[str, Any], *, detail: bool = False) -> None:
    """A flag (or a sequence's frames sharing one state) for a person: id, state, where, why, and
    the decision in force: who, reference, when."""
    ids = f.get("ids") or str(f["id"])
    where = _p(f["path"]) + (f" ({f['frames']})" if f.get("frames") else "")
    sha = f"  sha256 {f['sha256'][:12]}" if f.get("sha256") else ""
    print(
        f"{ids:>5} {f['severity']:<8} {f['status']:<9} {f['area']:<24} {where}{sha}\n      {_t(f['reason'])}"
    )
    dec = f.get("decision")
    if dec:
        print(
            f"      {f['status']} at {dec.get('severity') or f['severity']} by {_t(dec['by'])}"
            + (f" ({_t(dec['ref'])})" if dec.get("ref") else " (no reference)")
            + f" {(dec.get('at') or '')[:19]}"
            + (f": {_t(dec['note'])}" if dec.get("note") else "")
        )
    if detail:
        from reelprov.report import trail_text

        print(f"      rule {f['rule']}")
        for t in f.get("trail") or []:
            print(f"      - {_t(trail_text(t))}")


def _decide(
    decision: str,
    flag_ids: list[str] | None,
    by: str,
    ref: str | None,
    note: str | None,
    sha256: str | None,
    path: str | None,
    rule: str | None,
    status: list[str] | None,
    as_json: bool,
) -> None:
    from reelprov.policy import DECIDED
    from reelprov.review.decisions import decide as do_decide
    from reelprov.review.decisions import revoke
    from reelprov.review.flags import select_flags

    p = open_project()
    where = p.cfg.relpath(path) if path is not None else None
    want = DECIDED if decision == "revoke" else ("open",)
    chosen = select_flags(
        p,
        ids=flag_ids or [],
        path=where,
        rule=rule,
        status=status or [],
        want=want,
        action=decision,
    )
    if decision == "revoke":
        done = revoke(p, chosen, by=by, note=note, ref=ref)
    else:
        done = do_decide(p, chosen, decision, by=by, ref=ref, note=note, sha256=sha256)
    if as_json:
        from reelprov.review.assets import flag_json

        # One id gives the flag (as it always has); several give the list.
        emit(
            flag_json(done[0])
            if len(done) == 1 and flag_ids and len(flag_ids) == 1 and flag_ids[0].isdigit()
            else [flag_json(f) for f in done]
        )
        return
    verb = "open again (decision revoked)" if decision == "revoke" else None
    if len(done) > 10:
        from reelprov.cuts.frames import runs

        print(
            f"{_n(len(done), 'flag')} ({', '.join(runs(f['id'] for f in done))}) {verb or done[0]['status']} by {_t(by)}"
            + (f" ({_t(ref)})" if ref else "")
        )
        return
    for f in done:
        print(
            f"flag {f['id']} {verb or f['status']} by {_t(by)}" + (f" ({_t(ref)})" if ref else "")
        )


FlagIds = Annotated[
    list[str] | None,
    typer.Argument(
        help="Flag ids (17) and ranges (10-19), from `reelprov flags`; several are decided together, or none if any "
        "cannot be.",
        show_default=False,
    ),
]


ByOpt = Annotated[str, typer.Option("--by", help="Who decided (required).")]
RefOpt = Annotated[
    str | None,
    typer.Option("--ref", help="Written approval reference (needed for escalate/block)."),
]


NoteOpt = Annotated[str | None, typer.Option("--note")]
ShaOpt = Annotated[
    str | None,
    typer.Option(
        "--sha256",
        help="The content you reviewed (its SHA-256, or its first 8+ characters as `flags` and the report "
        "show them): nothing is decided if a flag now judges other content.",
    ),
]


PathSel = Annotated[
    str | None,
    typer.Option(
        "--path",
        help="The flags on this file, folder, glob or frame sequence (vfx/sh010/sh010.####.exr), from where you stand.",
    ),
]


RuleSel = Annotated[
    str | None,
    typer.Option("--rule", help="Only flags of this rule (e.g. screen.ai_headed_to_screen)."),
]


StatusSel = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help="Only flags in this status (default: open; for revoke: approved, rejected, waived).",
    ),
]


# approve, reject and waive take the same options; one command each, made here, in this order
_DECISIONS = {
    "approve": "Approve open flags (each bound to the content it judged and the severity it was at).",
    "reject": "Reject open flags: the element must not go to screen as it is (it blocks delivery until replaced).",
    "waive": "Waive open flags: no review needed, saying why (--note is required).",
}


def _decision_command(action: str) -> None:
    def command(
        by: ByOpt,
        flag_ids: FlagIds = None,
        ref: RefOpt = None,
        note: NoteOpt = None,
        sha256: ShaOpt = None,
        path: PathSel = None,
        rule: RuleSel = None,
        status: StatusSel = None,
        as_json: JsonOpt = False,
    ) -> None:
        _decide(action, flag_ids, by, ref, note, sha256, path, rule, status, as_json)

    command.__doc__ = _DECISIONS[action]
    app.command(action)(command)


for _action in _DECISIONS:
    _decision_command(_action)


@app.command()
def revoke(
    by: ByOpt,
    flag_ids: FlagIds = None,
    note: NoteOpt = None,
    ref: RefOpt = None,
    path: PathSel = None,
    rule: RuleSel = None,
    status: StatusSel = None,
    as_json: JsonOpt = False,
) -> None:
    """Take decisions back: the flags are open again (the decision stays on record); --note says why."""
    _decide("revoke", flag_ids, by, ref, note, None, path, rule, status, as_json)
