"""The `reelprov` command: parse, call the library, print. Errors become one line and an exit code."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

if TYPE_CHECKING:
    from reelprov.project import Project

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
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy")
app.add_typer(cut_app, name="cut")


class _State:
    project_dir: str | None = None
    actor: str | None = None
    opened: list["Project"] = []  # noqa: RUF012 - closed by main() when the command ends


STATE = _State()
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


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


def _open(*, upgrade: bool = True) -> "Project":
    from reelprov.project import Project

    p = Project.open(STATE.project_dir, actor=STATE.actor, upgrade=upgrade)
    STATE.opened.append(p)
    return p


def _emit(obj: Any) -> None:
    # Indented for people at a terminal; compact (and several times faster) for tools and pipes.
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(obj, indent=indent, ensure_ascii=False, default=str) + "\n")


def _emit_all(items: Iterable[Any]) -> None:
    """A JSON array written item by item as they come (a million assets never sit in memory),
    the same text _emit would write for the whole list."""
    indent = 2 if sys.stdout.isatty() else None
    write = sys.stdout.write
    first = True
    for item in items:
        if indent:
            text = "\n".join(
                "  " + line
                for line in json.dumps(
                    item, indent=indent, ensure_ascii=False, default=str
                ).splitlines()
            )
            write(("[\n" if first else ",\n") + text)
        else:
            write(("[" if first else ", ") + json.dumps(item, ensure_ascii=False, default=str))
        first = False
    write(("[]" if first else ("\n]" if indent else "]")) + "\n")


def _where(p: "Project", given: str | None) -> str | None:
    """A folder, file or glob argument as a root-relative pattern, taken from where the user
    stands like every path argument; None for the whole project."""
    where = p.cfg.relpath(given) if given else "."
    return None if where == "." else where


def _matching(given: str | None, where: str | None) -> str:
    """After a count: which root-relative path a path argument became, when that differs from
    what was typed."""
    return f" matching {_p(where)}" if given and where and where != given.rstrip("/") else ""


def _err(msg: str) -> None:
    sys.stderr.write(msg + "\n")


def _err_first(lines: list[str], limit: int, rest: str) -> None:
    """The first LIMIT of LINES, then '... and N REST' for the others (the full list is in --json)."""
    for line in lines[:limit]:
        _err(line)
    if len(lines) > limit:
        _err(f"... and {len(lines) - limit:,} {rest}")


class _Progress:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> "_Progress":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=None)
        return self

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(
                self.task, description=f"{self.label}: {phase}", completed=done, total=total
            )

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


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
        _err(
            f"reelprov: note: {p.cfg.config_path} already names the production {p.cfg.name!r}; it was kept "
            f"(edit [project] name there to change it)"
        )
    if (why := p.ledger_sharing_warning()) is not None:
        _err(f"reelprov: warning: {why}")
    outer = next((d for d in p.root.parents if (d / CONFIG_NAME).is_file()), None)
    if outer is not None:
        _err(
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
        _emit(info)
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
    import shlex

    from reelprov.recording.report import held_deletions
    from reelprov.recording.scan import scan as do_scan

    p = _open()
    under = None
    if path:
        under = p.cfg.relpath(path)
        if under == ".":
            under = None
    with _Progress("scan") as prog:
        rep = do_scan(p, progress=prog, under=under, allow_deletions=allow_deletions)
    if as_json:
        _emit(rep.to_json())
    else:
        print(
            f"{_n(rep.files, 'file')}: {rep.seen} new, {rep.changed} changed, {rep.moved} moved, {rep.deleted} deleted, "
            f"{rep.unchanged} unchanged{rep.extras()}; {_n(rep.flags_raised, 'flag')} raised"
            + (f", {rep.flags_reopened} reopened" if rep.flags_reopened else "")
            + (f", {rep.flags_updated} with a new reason" if rep.flags_updated else "")
        )
        _err_first(
            [f"skipped {_p(e['path'])}: {_t(e['error'])}" for e in rep.errors],
            _SKIPPED_SHOWN,
            "more skipped; `reelprov scan --json` lists them all",
        )
        for c in rep.cuts_followed:
            print(
                f"cut {_t(repr(c['name']))} imported again from {_p(c['why'])}: "
                f"{_n(len(c['events']), 'event')} matched, {len(c['unmatched'])} unmatched, {_n(len(c['left']), 'asset')} left the cut"
            )
    for c in rep.cut_errors:  # with --json too: the cut no longer says what is on screen
        _err(
            f"reelprov: warning: cut {_t(repr(c['cut']))} not imported again from {_p(c['why'])}: "
            f"{_t(c['error'])}; the previous import stands"
        )
    if rep.held:  # with --json too: a held deletion needs a person
        _err(held_deletions(rep, "reelprov scan" + (f" {_t(shlex.quote(path))}" if path else "")))
    if rep.symlinks and not as_json:
        _err(
            f"reelprov: note: {_n(rep.symlinks, 'symbolic link')} not followed; set [scan] follow_symlinks = true in "
            f"reelprov.toml to record what they point to"
        )


@app.command("ls")
def ls_cmd(
    origin: Annotated[
        list[str] | None,
        typer.Option("--origin", help="ai_generated, ai_composite, ai_enhanced, human, unknown"),
    ] = None,
    stage: Annotated[
        list[str] | None, typer.Option("--stage", help="temp, final, unassigned")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag")] = None,
    tool: Annotated[str | None, typer.Option("--tool", help="Tool name (substring).")] = None,
    flagged: Annotated[
        bool, typer.Option("--flagged", help="Only assets with open or rejected flags.")
    ] = False,
    in_cut: Annotated[bool, typer.Option("--in-cut", help="Only assets in a current cut.")] = False,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted assets.")] = False,
    glob: Annotated[
        str | None,
        typer.Argument(
            help="A folder, a file or a path glob ('final/**'), relative to where you stand like other paths."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List assets (with --json: the asset JSON of the README, "Asset JSON")."""
    from reelprov.classify import ORIGINS
    from reelprov.errors import ReelprovError
    from reelprov.policy import UNRESOLVED
    from reelprov.review.assets import Filters, iter_assets
    from reelprov.stages import STAGES, check_tags

    for o in origin or []:
        if o not in ORIGINS:
            raise ReelprovError(f"unknown origin {o!r}; use one of {', '.join(ORIGINS)}")
    for s in stage or []:
        if s not in STAGES:
            raise ReelprovError(f"unknown stage {s!r}; use one of {', '.join(STAGES)}")
    check_tags(tag or [])
    p = _open()
    where = _where(p, glob)
    rows = iter_assets(
        p,
        Filters(
            origin=origin,
            stage=stage,
            tag=tag,
            flagged=flagged,
            in_cut=in_cut,
            include_deleted=deleted,
            path_glob=where,
            tool=tool,
        ),
    )
    if as_json:
        _emit_all(rows)
        return
    listed = 0
    for a in rows:
        listed += 1
        open_flags = sum(1 for f in a["flags"] if f["status"] in UNRESOLVED)
        flags = f"{open_flags} open" if open_flags else "-"
        cut = "cut" if a["in_cut"] else "-"
        print(
            f"{a['origin']:<13} {a['stage']:<10} {cut:<4} {flags:<7} {_p(a['path'])}"
            + (f"  [{_t(', '.join(a['tools']))}]" if a["tools"] else "")
            + ("  (deleted)" if a.get("deleted") else "")
        )
    _err(_n(listed, "asset") + _matching(glob, where))


@app.command()
def show(path: str, as_json: JsonOpt = False) -> None:
    """One asset, its evidence, flags and full history."""
    from reelprov.review.assets import show_asset

    p = _open()
    a = show_asset(p, p.cfg.relpath(path))
    if as_json:
        _emit(a)
        return
    print(
        f"{_p(a['path'])}"
        + ("  DELETED (no longer under the root; its history is kept)" if a.get("deleted") else "")
    )
    print(f"  sha256 {a['sha256']}  {a['size']} bytes  {a['media_type']}")
    print(
        f"  origin {a['origin']}  stage {a['stage']}  in cut {a['in_cut']}  c2pa {a['c2pa']['state']}"
    )
    if a["tools"]:
        print(f"  tools {_t(', '.join(a['tools']))}")
    if a["tags"]:
        print(f"  tags {_t(', '.join(a['tags']))}")
    print("  evidence:" if a["evidence"] else "  evidence: none found (origin unknown)")
    for e in a["evidence"]:
        print(
            f"    - {_t(e['source'])}: {e['origin'] or '-'} {('(' + _t(e['tool']) + ')') if e['tool'] else ''} {_t(e['detail'])}"
        )
    for f in a["flags"]:
        print(f"  flag {f['id']} [{f['severity']}/{f['status']}] {f['rule']}: {_t(f['reason'])}")
        if (dec := f.get("decision")) is not None:
            print(
                f"      {f['status']} at {dec.get('severity') or f['severity']} by {_t(dec['by'])}"
                + (f" ({_t(dec['ref'])})" if dec.get("ref") else " (no reference)")
                + f" {(dec.get('at') or '')[:19]}"
                + (f": {_t(dec['note'])}" if dec.get("note") else "")
            )
    print(f"  history: {_n(len(a['history']), 'entry')} (reelprov history {_p(a['path'])})")


def _field(value: Any) -> str:
    """One payload value in a history line: a list of names joined (tags added), of records counted."""
    if isinstance(value, list):
        return (
            ",".join(map(str, value))
            if all(isinstance(v, str | int | float) for v in value)
            else _n(len(value), "item")
        )
    return str(value)


@app.command()
def history(path: str, as_json: JsonOpt = False) -> None:
    """Every ledger entry about one asset, oldest first."""
    from reelprov.review.assets import find_asset

    p = _open()
    a = find_asset(p, p.cfg.relpath(path))
    entries = list(p.reader.entries(p.cfg.project_id, asset=a["id"]))
    if as_json:
        _emit(entries)
        return
    for e in entries:
        pay = e["payload"]
        summary = ", ".join(
            f"{k}={_field(v)}"
            for k, v in pay.items()
            if k != "evidence" and not isinstance(v, dict) and v != []
        )
        if e["kind"] == "evidence":
            summary = f"{_n(len(pay['evidence']), 'item')}, c2pa {pay.get('c2pa', {}).get('state')}, sha256={pay['sha256'][:12]}"
        print(
            f"#{e['seq']:<6} {e['ts'][:19]} {_t(e['actor'])}@{_t(e['host'])} {e['kind']:<14} {_t(summary)}"
        )


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
    p = _open()
    with _Progress("verify") as prog:
        res = verify_project(p, progress=prog, anchors=anchors)
    if as_json:
        _emit(res.to_json())
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
            _err(f"TAMPERED: {_t(prob)}")
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

    p = _open()
    if file is None and url is None and p.cfg.anchor_file is None and p.cfg.anchor_url is None:
        raise ReelprovError(
            "no anchor file or URL: set [ledger] anchor_file or anchor_url in reelprov.toml, or give --file"
        )
    seq, head = p.reader.head(p.cfg.project_id)
    res = record(p.cfg, seq, head, file=file.resolve() if file else None, url=url)
    if as_json:
        _emit(res.to_json())
    else:
        for where in res.places:
            print(f"anchored #{seq} {head[:16]} in {_p(where)}")
    for fail in res.failures:
        _err(f"reelprov: error: cannot anchor in {_t(fail)}")
    if res.failures:
        raise typer.Exit(2)


# -- db -----------------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(revision: str = "head", as_json: JsonOpt = False) -> None:
    """Bring the ledger schema up to date."""
    from reelprov import db

    p = _open(upgrade=False)
    before = db.current_revision(p.engine)
    db.upgrade(p.engine, revision)
    after = db.current_revision(p.engine)
    if after == db.SCHEMA_HEAD:
        p.reevaluate_after_upgrade(before)
    if as_json:
        _emit(
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

    p = _open(upgrade=False)
    cur, head = db.current_revision(p.engine), db.head_revision(p.engine)
    if as_json:
        _emit(
            {
                "current": cur,
                "head": head,
                "up_to_date": cur == head,
                "database": db.redact(str(p.engine.url)),
            }
        )
    else:
        print(
            f"{cur or 'empty'} (head {head}){'' if cur == head else ' - run: reelprov db upgrade'}"
        )


@db_app.command("rebuild")
def db_rebuild(as_json: JsonOpt = False) -> None:
    """Rebuild the asset, flag and cut tables from the ledger."""
    p = _open()
    with _Progress("db rebuild") as prog:
        proj = p.ledger.rebuild(progress=prog)
    out = {"assets": len(proj.assets), "flags": len(proj.flags), "cuts": len(proj.cuts)}
    _emit(out) if as_json else print(
        f"rebuilt {_n(out['assets'], 'asset')}, {_n(out['flags'], 'flag')}, {_n(out['cuts'], 'cut')} from the ledger"
    )


# -- review -------------------------------------------------------------------------------------
@app.command()
def tag(
    paths: Annotated[list[str], typer.Argument(help="Files or globs under the project.")],
    tags: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Tag to add (repeatable).")
    ] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Explicit stage: temp, final, unassigned.")
    ] = None,
    clear_stage: Annotated[
        bool, typer.Option("--clear-stage", help="Back to the path rules.")
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who decides (needed when the change resolves an escalate or block flag)."
        ),
    ] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Written approval reference (likewise).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add tags or set an explicit stage (beats path rules)."""
    from reelprov.errors import ReelprovError
    from reelprov.review.assets import resolve_paths
    from reelprov.review.tags import tag as do_tag
    from reelprov.stages import check_tags

    if not tags and stage is None and not clear_stage:
        raise ReelprovError(
            "nothing to do: give --tag NAME, --stage temp|final|unassigned or --clear-stage"
        )
    if stage is not None and clear_stage:
        raise ReelprovError("--stage and --clear-stage contradict each other; give one")
    check_tags(tags or [])
    p = _open()
    assets = resolve_paths(p, paths)
    n = do_tag(p, assets, add=tags or [], stage=stage, clear_stage=clear_stage, by=by, ref=ref)
    _report_assets(p, assets, as_json, f"tagged {_n(len(assets), 'asset')} ({n} changed)")


@app.command()
def untag(
    paths: Annotated[list[str], typer.Argument()],
    tags: Annotated[list[str], typer.Option("--tag", "-t", help="Tag to remove (repeatable).")],
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who decides (needed when the change resolves an escalate or block flag)."
        ),
    ] = None,
    ref: Annotated[
        str | None, typer.Option("--ref", help="Written approval reference (likewise).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove tags."""
    from reelprov.review.assets import resolve_paths
    from reelprov.review.tags import tag as do_tag
    from reelprov.review.tags import tags_kept
    from reelprov.stages import check_tags

    check_tags(tags)
    p = _open()
    assets = resolve_paths(p, paths)
    n = do_tag(p, assets, remove=tags, by=by, ref=ref)
    _report_assets(p, assets, as_json, f"untagged {_n(len(assets), 'asset')} ({n} changed)")
    for (tag, source), count in tags_kept(p, assets, tags).items():
        _err(
            f"reelprov: note: {tag} stays on {_n(count, 'asset')}: {source} gives it; change that to remove it"
        )


@app.command()
def declare(
    paths: Annotated[list[str], typer.Argument()],
    origin: Annotated[
        str, typer.Option("--origin", help="ai_generated, ai_composite, ai_enhanced, human")
    ],
    tool: Annotated[str | None, typer.Option("--tool")] = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    inputs: Annotated[
        list[str] | None, typer.Option("--input", help="What went into the tool (repeatable).")
    ] = None,
    consent: Annotated[
        list[str] | None,
        typer.Option("--consent", help="Consent / clearance reference (repeatable)."),
    ] = None,
    by: Annotated[str | None, typer.Option("--by")] = None,
    ref: Annotated[
        str | None,
        typer.Option(
            "--ref",
            help="Written approval reference (needed when the declaration "
            "resolves an escalate or block flag).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare an AI use (tool, purpose, inputs, consent); it counts as evidence."""
    from reelprov.review.assets import resolve_paths
    from reelprov.review.tags import declare as do_declare

    p = _open()
    assets = resolve_paths(p, paths)
    do_declare(
        p,
        assets,
        origin=origin,
        tool=tool,
        note=note,
        purpose=purpose,
        inputs=inputs or [],
        consent=consent or [],
        by=by,
        ref=ref,
    )
    _report_assets(p, assets, as_json, f"declared {origin} on {_n(len(assets), 'asset')}")


def _report_assets(p: "Project", assets: list[dict[str, Any]], as_json: bool, line: str) -> None:
    from reelprov.review.assets import show_asset

    if as_json:
        _emit([show_asset(p, a["path"], with_history=False) for a in assets])
    else:
        print(line)


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
    p = _open()
    if (
        glob is not None and glob.isdigit()
    ):  # `reelprov flags 17`: that flag (a file named 17: ./17)
        from reelprov.review.assets import flag_json

        row = select_flags(p, ids=[glob], want=STATUSES, action="show")[0]
        f = flag_json(row) | {"path": row["path"], "trail": row["trail"]}
        if as_json:
            _emit(f)
        else:
            _print_flag(f, detail=True)
        return
    where = _where(p, glob)
    if as_json:
        _emit_all(iter_flags(p, status=status, severity=severity, where=where, rule=rule))
        return
    rows = list_flags(p, status=status, severity=severity, where=where, rule=rule)
    for g in group_flags(rows):
        _print_flag(g)
    _err(_n(len(rows), "flag") + _matching(glob, where))


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

    p = _open()
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
        _emit(
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


@app.command()
def approve(
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
    """Approve open flags (each bound to the content it judged and the severity it was at)."""
    _decide("approve", flag_ids, by, ref, note, sha256, path, rule, status, as_json)


@app.command()
def reject(
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
    """Reject open flags: the element must not go to screen as it is (it blocks delivery until replaced)."""
    _decide("reject", flag_ids, by, ref, note, sha256, path, rule, status, as_json)


@app.command()
def waive(
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
    """Waive open flags: no review needed, saying why (--note is required)."""
    _decide("waive", flag_ids, by, ref, note, sha256, path, rule, status, as_json)


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


@policy_app.command("show")
def policy_show(as_json: JsonOpt = False) -> None:
    """The rules in force, by area."""
    p = _open()
    pol = p.policy
    if as_json:
        _emit(
            {
                "source": pol.source,
                "approved_tools": pol.approved_tools,
                "rules": [
                    {
                        "id": r.id,
                        "area": r.area,
                        "severity": r.severity,
                        "message": r.message,
                        "when": r.when,
                    }
                    for r in pol.rules
                ],
            }
        )
        return
    print(f"policy: {pol.source}\napproved tools: {', '.join(pol.approved_tools) or '(none)'}")
    for area, rules in pol.by_area().items():
        print(f"\n[{area}]")
        for r in rules:
            cond = "; ".join(f"{k}={v}" for k, v in r.when.items())
            print(f"  {r.id} -> {r.severity}\n      when {cond}")


@policy_app.command("check")
def policy_check(as_json: JsonOpt = False) -> None:
    """Re-evaluate every asset now."""
    from reelprov.policy.check import policy_check as do_check

    p = _open()
    with _Progress("policy check") as prog:
        counts = do_check(p, progress=prog)
    _emit(counts) if as_json else print(
        f"checked {_n(counts['assets'], 'asset')}: {counts['raised']} raised, {counts['reopened']} reopened, {counts['resolved']} resolved"
        + (f", {counts['updated']} with a new reason" if counts["updated"] else "")
    )


# No argument a user types is this long (paths stop at 4,096 characters); a longer one is a
# mistake or an attack, refused before click would echo it back whole in its usage error.
MAX_ARG = 65_536


def main(argv: list[str] | None = None) -> None:
    from reelprov.errors import ReelprovError

    args = sys.argv[1:] if argv is None else argv
    for i, a in enumerate(args, 1):
        if len(a) > MAX_ARG:
            _err(
                f"reelprov: error: argument {i} ({_p(a[:40])}...) is {len(a):,} characters long; no reelprov argument "
                f"can be over {MAX_ARG:,} (paths stop at 4,096); check the command"
            )
            sys.exit(2)
    try:
        app(args=args, prog_name="reelprov")
    except ReelprovError as exc:
        _err(f"reelprov: error: {_t(str(exc))}")  # it may quote a file's or a timeline's own text
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err("reelprov: interrupted")
        sys.exit(130)
    finally:
        while STATE.opened:
            STATE.opened.pop().close()


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
    from reelprov.cuts.frames import runs_text
    from reelprov.cuts.importing import import_cut

    p = _open()
    res = import_cut(p, file, name=name, rate=rate, timeline=timeline)
    assert res is not None  # only an import IF_CHANGED leaves a cut as it is
    if as_json:
        _emit(res)
        return
    seqs = [e["sequence"] for e in res["events"] if e.get("sequence")]
    frames = (
        f" ({_n(sum(len(s['frames']) for s in seqs), 'frame')} of {_n(len(seqs), 'image sequence')})"
        if seqs
        else ""
    )
    print(
        f"cut {_t(repr(res['name']))}: {_n(len(res['events']), 'event')} matched{frames}, {len(res['unmatched'])} unmatched, "
        f"{_n(len(res['left']), 'asset')} left the cut"
    )
    import shlex

    _err_first(
        [
            f"unmatched: {_t(u['track'])} {u['record_in']} {_t(u['clip'])} ({_t(u.get('reference') or 'no reference')})"
            for u in res["unmatched"]
        ],
        _UNMATCHED_SHOWN,
        f"more unmatched; `reelprov cut show {_t(shlex.quote(res['name']))}` lists them all",
    )
    _err_first(
        [
            f"missing frames: {_t(e['track'])} {e['record_in']} {_t(e['clip'])}: {runs_text(e['sequence']['missing'])} "
            f"of {_p(e['sequence']['path'])}"
            for e in res["events"]
            if (e.get("sequence") or {}).get("missing")
        ],
        _UNMATCHED_SHOWN,
        "more with missing frames; `reelprov cut show` lists them all",
    )
    if any((e.get("sequence") or {}).get("missing") for e in res["events"]):
        _err(
            "reelprov: warning: frames the cut shows are not in the ledger (not delivered, or not scanned yet); "
            "they join the cut when `scan` or the watcher records them, while this timeline file stays as it is"
        )
    guessed = [e for e in res["events"] if e.get("also_fits")]
    _err_first(
        [
            f"guessed: {_t(e['track'])} {e['record_in']} {_t(e['clip'])} -> {_p(e['path'])} ({_guess(e)})"
            for e in guessed
        ],
        _UNMATCHED_SHOWN,
        "more guessed; `reelprov cut import --json` lists them all",
    )
    if guessed:
        _err(
            "reelprov: warning: clips named like several files were matched by a guess; give the editor's media "
            'paths to [cuts] path_map in reelprov.toml (e.g. "/Volumes/SHOW" = ".") so they match by path'
        )
    for note in res["notes"]:
        _err(f"reelprov: warning: {file}: the reader says: {_p(note)}")


def _shown(event: dict[str, Any]) -> str:
    """What an event shows: its file, or an image sequence's pattern and the frames found of it."""
    from reelprov.cuts.frames import runs_text

    seq = event.get("sequence")
    if not seq:
        return _p(event["path"])
    frames = [f["frame"] for f in seq["frames"]]
    text = f"{_p(seq['path'])} [{frames[0]}-{frames[-1]}, {_n(len(frames), 'frame')}"
    return text + (f"; missing {runs_text(seq['missing'])}]" if seq["missing"] else "]")


def _guess(event: dict[str, Any]) -> str:
    """How a clip matched by a guess was matched, and what else its name fitted."""
    return f"by {event['matched_by']}; also fits {', '.join(_p(x) for x in event['also_fits'])}"


# A reel holds many clips that are not the project's files (camera originals, stock): the terminal
# gets the first of them, `cut show` and --json all of them.
_UNMATCHED_SHOWN = 20


@cut_app.command("rm")
def cut_rm(
    name: Annotated[str, typer.Argument(help="The cut's name, as `reelprov cut ls` shows it.")],
    as_json: JsonOpt = False,
) -> None:
    """Remove a cut (imported by mistake, or dropped): its assets leave it; the ledger keeps both."""
    from reelprov.cuts.importing import remove_cut

    res = remove_cut(_open(), name)
    if as_json:
        _emit(res)
    else:
        print(f"cut {_t(repr(name))} removed; {_n(len(res['left']), 'asset')} left the cut")


@cut_app.command("ls")
def cut_ls(as_json: JsonOpt = False) -> None:
    """Imported cuts."""
    from reelprov.cuts.importing import list_cuts

    rows = list_cuts(_open())
    if as_json:
        _emit(rows)
        return
    for c in rows:
        print(
            f"{_t(c['name'])}: {_n(c['events'], 'event')}, {c['unmatched']} unmatched, imported {c['imported_at'][:19]} from {_p(c['source'])}"
        )
    _err(
        _n(len(rows), "cut")
        + ("" if rows else "; import a timeline with `reelprov cut import FILE`")
    )


@cut_app.command("show")
def cut_show(name: str, as_json: JsonOpt = False) -> None:
    """Every event of a cut: asset, track, record in/out."""
    from reelprov.cuts.importing import show_cut

    c = show_cut(_open(), name)
    if as_json:
        _emit(c)
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
    p = _open()
    with _Progress("report") as prog:
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
        _emit(
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
        _err(f"reelprov: warning: the report's ledger head was not anchored in {_t(fail)}")
    if fail_on:
        _gate_failures(gate)
        if not gate["cleared"]:
            raise typer.Exit(1)


def _gate_failures(gate: dict[str, Any]) -> None:
    """What keeps the gate shut, on stderr: the verdict, then each reason."""
    if gate["cleared"]:
        _err(gate["verdict"])
        return
    _err(_t(gate["verdict"]))
    if gate["problems"]:  # the flags themselves may have been edited: the gate cannot pass on them
        _err("the ledger does not verify, so this report cannot clear delivery:")
        for prob in gate["problems"][:5]:
            _err(f"  TAMPERED: {_t(prob)}")
    if not gate["verified"]:
        _err(
            "the ledger chain was not checked (--no-verify): the gate clears only a verified ledger"
        )
    for c in gate["changed"][:20]:
        _err(
            f"  CHANGED: {_p(c['path'])}: {_t(c['why'])} (recorded sha256 {c['recorded'][:12]}); run `reelprov scan` and review it again"
        )
    if gate["changed_count"] > 20:
        _err(
            f"  ... and {gate['changed_count'] - 20:,} more changed files; `reelprov scan` records them"
        )
    blocking, total = gate["blocking"], gate["blocking_count"]
    if total:
        _err(
            f"{_n(total, 'flag')} at or above {gate['level']} {'is' if total == 1 else 'are'} unresolved:"
        )
        for f in blocking[:200]:
            _err(f"  #{f['id']} {f['severity']}/{f['status']} {_p(f['path'])}: {_t(f['reason'])}")
        if total > 200:
            _err(
                f"  ... and {total - 200:,} more; `reelprov flags --status unresolved` lists them all"
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
    """Watch the project: reconcile, then record every change as it happens. Ctrl-C / SIGTERM stop cleanly."""
    from reelprov.config import check_range
    from reelprov.errors import ConfigError
    from reelprov.watch.daemon import Watcher, install_signal_handlers, setup_logging

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
    from reelprov.watch.daemon import LEDGER_RETRY_SECONDS

    stop = threading.Event()
    handlers = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    said = False
    try:
        while True:
            try:
                return _open()
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
    from reelprov.watch.daemon import status as do_status

    info = do_status(
        Project.settings_only(STATE.project_dir, actor=STATE.actor)
    )  # no ledger: it may be down
    if as_json:
        _emit(info)
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
