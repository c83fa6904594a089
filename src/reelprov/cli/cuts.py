"""`cut import/rm/ls/show`: editorial timelines."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from reelprov.cli.app import cut_app
from reelprov.cli.common import (
    JsonOpt,
    emit,
    err,
    err_first,
    open_project,
)

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n
from reelprov.names import one_line as _p

if TYPE_CHECKING:
    from reelprov.ledger.records import CutEvent
from reelprov.names import printable as _t

# A reel holds many clips that are not the project's files (camera originals, stock): the terminal
# gets the first of them, `cut show` and --json all of them.
_UNMATCHED_SHOWN = 20


@cut_app.command("import")
def cut_import(
    file: Annotated[Path, typer.Argument(help="EDL, FCP 7 XML, FCPXML, AAF or OTIO.")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Cut name (a newer import of the same name supersedes)."),
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", help="Frame rate for EDLs (they do not carry one).")
    ] = 24.0,
    timeline: Annotated[
        str | None,
        typer.Option(
            "--timeline",
            help="In a file of several timelines (an FCPXML event, an OTIO collection): the one to import.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a timeline: which assets are on screen, and where."""
    from reelprov.cuts.frames import frame_count, runs_text
    from reelprov.cuts.importing import frame_by_frame_events, import_cut

    p = open_project()
    res = import_cut(p, file, name=name, rate=rate, timeline=timeline)
    assert res is not None  # only an import IF_CHANGED leaves a cut as it is
    if as_json:
        emit({**res, "events": frame_by_frame_events(res["events"])})
        return
    seqs = [e["sequence"] for e in res["events"] if e.get("sequence")]
    frames = (
        f" ({_n(sum(frame_count(s) for s in seqs), 'frame')} of {_n(len(seqs), 'image sequence')})"
        if seqs
        else ""
    )
    print(
        f"cut {_t(repr(res['name']))}: {_n(len(res['events']), 'event')} matched{frames}, {len(res['unmatched'])} unmatched, "
        f"{_n(len(res['left']), 'asset')} left the cut"
    )

    err_first(
        [
            f"unmatched: {_t(u['track'])} {u['record_in']} {_t(u['clip'])} ({_t(u.get('reference') or 'no reference')})"
            for u in res["unmatched"]
        ],
        _UNMATCHED_SHOWN,
        f"more unmatched; `reelprov cut show {_t(shlex.quote(res['name']))}` lists them all",
    )
    short = [(e, seq) for e in res["events"] if (seq := e.get("sequence")) and seq["missing"]]
    err_first(
        [
            f"missing frames: {_t(e['track'])} {e['record_in']} {_t(e['clip'])}: {runs_text(seq['missing'])} "
            f"of {_p(seq['path'])}"
            for e, seq in short
        ],
        _UNMATCHED_SHOWN,
        "more with missing frames; `reelprov cut show` lists them all",
    )
    if short:
        err(
            "reelprov: warning: frames the cut shows are not in the ledger (not delivered, or not scanned yet); "
            "they join the cut when `scan` or the watcher records them, while this timeline file stays as it is"
        )
    guessed = [e for e in res["events"] if e.get("also_fits")]
    err_first(
        [
            f"guessed: {_t(e['track'])} {e['record_in']} {_t(e['clip'])} -> {_p(e['path'])} ({_guess(e)})"
            for e in guessed
        ],
        _UNMATCHED_SHOWN,
        "more guessed; `reelprov cut import --json` lists them all",
    )
    if guessed:
        err(
            "reelprov: warning: clips named like several files were matched by a guess; give the editor's media "
            'paths to [cuts] path_map in reelprov.toml (e.g. "/Volumes/SHOW" = ".") so they match by path'
        )
    for note in res["notes"]:
        err(f"reelprov: warning: {file}: the reader says: {_p(note)}")


def _shown(event: "CutEvent") -> str:
    """What an event shows: its file, or an image sequence's pattern and the frames found of it."""
    from reelprov.cuts.frames import frame_numbers, runs_text

    seq = event.get("sequence")
    if not seq:
        return _p(event["path"])
    frames = list(frame_numbers(seq))
    text = f"{_p(seq['path'])} [{frames[0]}-{frames[-1]}, {_n(len(frames), 'frame')}"
    return text + (f"; missing {runs_text(seq['missing'])}]" if seq["missing"] else "]")


def _guess(event: "CutEvent") -> str:
    """How a clip matched by a guess was matched, and what else its name fitted."""
    return f"by {event['matched_by']}; also fits {', '.join(_p(x) for x in event['also_fits'])}"


@cut_app.command("rm")
def cut_rm(
    name: Annotated[str, typer.Argument(help="The cut's name, as `reelprov cut ls` shows it.")],
    as_json: JsonOpt = False,
) -> None:
    """Remove a cut (imported by mistake, or dropped): its assets leave it; the ledger keeps both."""
    from reelprov.cuts.importing import remove_cut

    res = remove_cut(open_project(), name)
    if as_json:
        emit(res)
    else:
        print(f"cut {_t(repr(name))} removed; {_n(len(res['left']), 'asset')} left the cut")


@cut_app.command("ls")
def cut_ls(as_json: JsonOpt = False) -> None:
    """Imported cuts."""
    from reelprov.cuts.importing import list_cuts

    rows = list_cuts(open_project())
    if as_json:
        emit(rows)
        return
    for c in rows:
        print(
            f"{_t(c['name'])}: {_n(c['events'], 'event')}, {c['unmatched']} unmatched, imported {c['imported_at'][:19]} from {_p(c['source'])}"
        )
    err(
        _n(len(rows), "cut")
        + ("" if rows else "; import a timeline with `reelprov cut import FILE`")
    )


@cut_app.command("show")
def cut_show(name: str, as_json: JsonOpt = False) -> None:
    """Every event of a cut: asset, track, record in/out."""
    from reelprov.cuts.importing import frame_by_frame_events, show_cut

    c = show_cut(open_project(), name)
    if as_json:
        emit({**c, "events": frame_by_frame_events(c["events"])})
        return
    for e in c["events"]:
        print(
            f"{_t(e['track']):<4} {e['record_in']} {e['record_out']}  {_shown(e)}"
            + (f"  (guessed {_guess(e)})" if e.get("also_fits") else "")
        )
    for u in c["unmatched"]:
        print(
            f"{_t(u['track']):<4} {u['record_in']} {u['record_out']}  (unmatched) {_t(u['clip'])}"
        )
