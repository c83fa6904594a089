"""`verify`, `anchor` and `db upgrade/current/rebuild`: the ledger itself."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

from pathlib import Path
from typing import Annotated

import typer

from reelprov.cli.app import app, db_app
from reelprov.cli.common import (
    JsonOpt,
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


@app.command()
def verify(
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            "--anchor",
            help="SEQ:HASH of an entry recorded elsewhere (a report prints its head): it must still be "
            "in the chain as it was. Repeatable; a hash prefix of 12+ characters will do.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the hash chain and projections; exit 1 naming the first bad entry."""
    from reelprov.errors import ReelprovError
    from reelprov.ledger.verify import verify_project

    anchors: dict[int, str] = {}
    for a in anchor or []:
        seq, _, h = a.lstrip("#").partition(":")
        if not (
            seq.isdigit() and 12 <= len(h) <= 64 and all(c in "0123456789abcdef" for c in h.lower())
        ):
            raise ReelprovError(
                f"--anchor {a!r}: give SEQ:HASH, e.g. --anchor 156:7b336572c9b4 (the head a report "
                "printed; at least 12 hex characters of the hash)"
            )
        anchors[int(seq)] = h.lower()
    p = open_project()
    with ProgressBar("verify") as prog:
        res = verify_project(p, progress=prog, anchors=anchors)
    if as_json:
        emit(res.to_json())
    elif res.ok:
        print(
            f"ledger intact: {_n(res.entries, 'entry')}, head #{res.head_seq} {res.head_hash}"
            + (
                f"; {_n(res.anchors, 'anchor')} found as recorded"
                if res.anchors
                else "; no anchors to check"
            )
        )
    else:
        for prob in res.problems[:20]:
            err(f"TAMPERED: {_t(prob)}")
    if not res.ok:
        raise typer.Exit(1)


@app.command()
def anchor(
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Append to this file (default: [ledger] anchor_file)."),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="POST to this URL (default: [ledger] anchor_url).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Keep the ledger's head outside the database, where verify and the delivery gate check it."""
    from reelprov.errors import ReelprovError
    from reelprov.ledger.anchor import record

    p = open_project()
    if file is None and url is None and p.cfg.anchor_file is None and p.cfg.anchor_url is None:
        raise ReelprovError(
            "no anchor file or URL: set [ledger] anchor_file or anchor_url in reelprov.toml, or give --file"
        )
    seq, head = p.reader.head(p.cfg.project_id)
    res = record(p.cfg, seq, head, file=file.resolve() if file else None, url=url)
    if as_json:
        emit(res.to_json())
    else:
        for where in res.places:
            print(f"anchored #{seq} {head[:16]} in {_p(where)}")
    for fail in res.failures:
        err(f"reelprov: error: cannot anchor in {_t(fail)}")
    if res.failures:
        raise typer.Exit(2)


# -- db -----------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(revision: str = "head", as_json: JsonOpt = False) -> None:
    """Bring the ledger schema up to date."""
    from reelprov import db

    p = open_project(upgrade=False)
    before = db.current_revision(p.engine)
    db.upgrade(p.engine, revision)
    after = db.current_revision(p.engine)
    if after == db.SCHEMA_HEAD:
        p.reevaluate_after_upgrade(before)
    if as_json:
        emit(
            {
                "before": before,
                "current": after,
                "head": db.head_revision(p.engine),
                "database": db.redact(str(p.engine.url)),
            }
        )
    else:
        print(
            f"ledger schema at {after}" + ("" if after == before else f" (was {before or 'empty'})")
        )


@db_app.command("current")
def db_current(as_json: JsonOpt = False) -> None:
    """Show the ledger's schema revision and the one this reelprov needs."""
    from reelprov import db

    p = open_project(upgrade=False)
    cur, head = db.current_revision(p.engine), db.head_revision(p.engine)
    if as_json:
        emit(
            {
                "current": cur,
                "head": head,
                "up_to_date": cur == head,
                "database": db.redact(str(p.engine.url)),
            }
        )
    else:
        todo = (
            ""
            if cur == head
            else " - newer than this reelprov: upgrade reelprov"
            if db.too_new(p.engine, cur)
            else " - run: reelprov db upgrade"
        )
        print(f"{cur or 'empty'} (head {head}){todo}")


@db_app.command("rebuild")
def db_rebuild(as_json: JsonOpt = False) -> None:
    """Rebuild the asset, flag, cut and intended-use tables from the ledger."""
    p = open_project()
    with ProgressBar("db rebuild") as prog:
        done = p.ledger.rebuild(progress=prog)
    out = {"assets": done.assets, "flags": done.flags, "cuts": done.cuts, "uses": done.uses}
    emit(out) if as_json else print(
        f"rebuilt {_n(out['assets'], 'asset')}, {_n(out['flags'], 'flag')}, {_n(out['cuts'], 'cut')}, "
        f"{_n(out['uses'], 'intended use')} from the ledger"
    )
