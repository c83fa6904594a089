"""`init`, `scan`, `watch`, `status`: a project and how its files get recorded."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import abbreviated
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

if TYPE_CHECKING:
    from reelprov.project import Project

from reelprov.cli.app import app
from reelprov.cli.common import (
    STATE,
    JsonOpt,
    ProgressBar,
    emit,
    err,
    err_first,
    open_project,
)


# -- project ------------------------------------------------------------------------------------
@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Project root (the show's folder).")] = Path(
        "."
    ),
    name: Annotated[str | None, typer.Option(help="Production name.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write reelprov.toml, create the ledger and run migrations."""
    from reelprov import db
    from reelprov.config import CONFIG_NAME
    from reelprov.project import init_project

    existed = (directory / CONFIG_NAME).is_file()
    p = init_project(directory, name=name)
    STATE.opened.append(p)
    if existed and name is not None and name != p.cfg.name:
        err(
            f"reelprov: note: {p.cfg.config_path} already names the production {p.cfg.name!r}; it was kept "
            f"(edit [project] name there to change it)"
        )
    if (why := p.ledger_sharing_warning()) is not None:
        err(f"reelprov: warning: {why}")
    outer = next((d for d in p.root.parents if (d / CONFIG_NAME).is_file()), None)
    if outer is not None:
        err(
            f"reelprov: warning: {p.root} is inside the project at {outer}: scans of that project record "
            f"this folder's files too (reelprov.toml and hooks/ included); one project per show is the rule"
        )
    info = {
        "root": str(p.root),
        "config": str(p.cfg.config_path),
        "project_id": p.cfg.project_id,
        "database": db.redact(p.database_url),
        "revision": db.current_revision(p.engine),
        "existed": existed,
        "entries": p.reader.head(p.cfg.project_id)[0],
    }
    if as_json:
        emit(info)
    elif existed:
        print(
            f"{p.root} is already the reelprov project {p.cfg.name!r}: its reelprov.toml was kept\n"
            f"  ledger: {info['database']} (schema {info['revision']}, {_n(int(info['entries'] or 0), 'entry')})"
        )
    else:
        print(
            f"Initialised reelprov project {p.cfg.name!r} at {p.root}\n  ledger: {info['database']} (schema {info['revision']})\n  next: reelprov scan"
        )


# A tree can hold thousands of files reelprov cannot read (a folder of another user's renders):
# the terminal gets the first of them, --json all of them.
_SKIPPED_SHOWN = 50


@app.command()
def scan(
    path: Annotated[
        str | None, typer.Argument(help="Only this folder or file under the root.")
    ] = None,
    allow_deletions: Annotated[
        bool,
        typer.Option(
            "--allow-deletions",
            help="Record missing files as deleted even when most of the recorded files are missing "
            "(otherwise held: a share mounted in the project may be down).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Record every media file under the root: seen, changed, moved, deleted."""

    from reelprov.recording.report import held_deletions
    from reelprov.recording.scan import scan as do_scan

    p = open_project()
    under = None
    if path:
        under = p.cfg.relpath(path)
        if under == ".":
            under = None
    with ProgressBar("scan") as prog:
        rep = do_scan(p, progress=prog, under=under, allow_deletions=allow_deletions)
    if as_json:
        emit(rep.to_json())
    else:
        print(
            f"{_n(rep.files, 'file')}: {rep.seen} new, {rep.changed} changed, {rep.moved} moved, {rep.deleted} deleted, "
            f"{rep.unchanged} unchanged{rep.extras()}; {_n(rep.flags_raised, 'flag')} raised"
            + (f", {rep.flags_reopened} reopened" if rep.flags_reopened else "")
            + (f", {rep.flags_updated} with a new reason" if rep.flags_updated else "")
        )
        err_first(
            [f"skipped {_p(abbreviated(e['path']))}: {_t(e['error'])}" for e in rep.errors],
            _SKIPPED_SHOWN,
            "more skipped; `reelprov scan --json` lists them all",
        )
        for c in rep.cuts_followed:
            print(
                f"cut {_t(repr(c['name']))} imported again from {_p(c['why'])}: "
                f"{_n(len(c['events']), 'event')} matched, {len(c['unmatched'])} unmatched, {_n(len(c['left']), 'asset')} left the cut"
            )
    for bad in rep.cut_errors:  # with --json too: the cut no longer says what is on screen
        err(
            f"reelprov: warning: cut {_t(repr(bad['cut']))} not imported again from {_p(bad['why'])}: "
            f"{_t(bad['error'])}; the previous import stands"
        )
    if rep.held:  # with --json too: a held deletion needs a person
        err(
            held_deletions(
                rep,
                "reelprov scan"
                + (f" {_t(shlex.quote(path))}" if path else "")
                + " --allow-deletions",
            )
        )
    if rep.symlinks and not as_json:
        err(
            f"reelprov: note: {_n(rep.symlinks, 'symbolic link')} not followed; set [scan] follow_symlinks = true in "
            f"reelprov.toml to record what they point to"
        )


@app.command()
def watch(
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll", help="Poll every N seconds (for NFS/SMB; automatic on such mounts)."
        ),
    ] = None,
    settle: Annotated[
        float | None,
        typer.Option("--settle", help="Seconds a file must stay unchanged before it is read."),
    ] = None,
    log_format: Annotated[str, typer.Option("--log-format", help="text or json.")] = "text",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Log one JSON object a line on stderr (--log-format json)."),
    ] = False,
) -> None:
    """Watch the project: reconcile, then record every change as it happens. Ctrl-C / SIGTERM stop cleanly; SIGUSR1 writes every thread's stack to the log."""
    from reelprov.config import check_range
    from reelprov.errors import ConfigError
    from reelprov.watch.daemon import Watcher, install_signal_handlers
    from reelprov.watch.log import setup_logging

    if log_format not in ("text", "json"):
        raise ConfigError(f"--log-format {log_format!r}: use text or json")
    check_range("watch", "poll_seconds", poll, "--poll")
    check_range("scan", "settle_seconds", settle, "--settle")
    setup_logging("json" if as_json else log_format)
    p = _open_waiting()
    if p is None:
        return  # stopped while waiting for the ledger
    w = Watcher(p, poll=poll, settle=settle)
    install_signal_handlers(w)
    w.run()


def _open_waiting() -> "Project | None":
    """The project for the watcher: a ledger that does not answer at start (a full disk, the server
    down) is waited for, tried every LEDGER_RETRY_SECONDS and said once, as while watching; SIGTERM
    or Ctrl-C meanwhile stop it (None). A ledger that is not there at all is an error at once."""
    import logging
    import signal
    import threading

    from reelprov.errors import DatabaseError, LedgerMissing
    from reelprov.watch.outage import LEDGER_RETRY_SECONDS

    stop = threading.Event()
    handlers = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    said = False
    try:
        while True:
            try:
                return open_project()
            except LedgerMissing:
                raise
            except DatabaseError as exc:
                if not said:
                    logging.getLogger("reelprov.watch").error(
                        "%s; waiting for the ledger (tried again every %g s)",
                        exc,
                        LEDGER_RETRY_SECONDS,
                    )
                    said = True
            if stop.wait(LEDGER_RETRY_SECONDS):
                return None
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


@app.command()
def status(as_json: JsonOpt = False) -> None:
    """Is a watcher running for this project on this host; since when; backlog; last event."""
    from reelprov.project import Project
    from reelprov.watch.lock import status as do_status

    info = do_status(
        Project.settings_only(STATE.project_dir, actor=STATE.actor)
    )  # no ledger: it may be down
    if as_json:
        emit(info)
    elif info["running"]:
        print(
            f"watcher running (pid {info['pid']}) since {info.get('started_at')}, backend {info.get('backend')}, "
            f"backlog {info.get('backlog', 0)}, last event {info.get('last_event_at') or 'none yet'}, "
            f"last reconcile {info.get('reconciled_at') or 'running now'}"
            + (
                f"; the ledger has not answered since {info['ledger_unreachable_since']} (changes wait)"
                if info.get("ledger_unreachable_since")
                else ""
            )
        )
    else:
        print("no watcher running for this project on this host")
    if not info["running"]:
        raise typer.Exit(1)
