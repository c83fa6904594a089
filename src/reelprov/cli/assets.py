"""`ls`, `show`, `history`, `tag`, `untag`, `declare`: the recorded files and what people say of them."""

# No `from __future__ import annotations` here: typer would compile and eval every annotation
# string of every command at each start (~30 ms); real annotation objects cost nothing.

from typing import TYPE_CHECKING, Annotated, Any

import typer

# Counts as words; a path, and any other text from files or timelines, safe for one line of
# terminal output (control characters escaped, bad bytes as \xNN).
from reelprov.names import counted as _n
from reelprov.names import one_line as _p
from reelprov.names import printable as _t

if TYPE_CHECKING:
    from reelprov.ledger.records import AssetState
    from reelprov.project import Project

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
    from reelprov.policy import STAGES, UNRESOLVED
    from reelprov.review.assets import Filters, iter_assets
    from reelprov.stages import check_tags

    for o in origin or []:
        if o not in ORIGINS:
            raise ReelprovError(f"unknown origin {o!r}; use one of {', '.join(ORIGINS)}")
    for s in stage or []:
        if s not in STAGES:
            raise ReelprovError(f"unknown stage {s!r}; use one of {', '.join(STAGES)}")
    check_tags(tag or [])
    p = open_project()
    where = where_of(p, glob)
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
        emit_all(rows)
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
    err(_n(listed, "asset") + matching(glob, where))


@app.command()
def show(path: str, as_json: JsonOpt = False) -> None:
    """One asset, its evidence, flags and full history."""
    from reelprov.review.assets import show_asset

    p = open_project()
    a = show_asset(p, p.cfg.relpath(path))
    if as_json:
        emit(a)
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

    p = open_project()
    a = find_asset(p, p.cfg.relpath(path))
    entries = list(p.reader.entries(p.cfg.project_id, asset=a["id"]))
    if as_json:
        emit(entries)
        return
    for e in entries:
        pay = e["payload"]
        summary = ", ".join(
            f"{k}={_field(v)}"
            for k, v in pay.items()
            if k != "evidence" and not isinstance(v, dict) and v != []
        )
        found = (
            f"{_n(len(pay.get('evidence', [])), 'item')}, c2pa {pay.get('c2pa', {}).get('state')}"
        )
        if e["kind"] == "evidence":
            summary = f"{found}, sha256={pay['sha256'][:12]}"
        elif "evidence" in pay:  # a seen or changed entry says what its reading found too
            summary = f"{summary}; {found}"
        print(
            f"#{e['seq']:<6} {e['ts'][:19]} {_t(e['actor'])}@{_t(e['host'])} {e['kind']:<14} {_t(summary)}"
        )


# -- review -------------------------------------------------------------------------------------
# Who and on what written reference, when a tag or stage change resolves an escalate or block flag.
ClearBy = Annotated[
    str | None,
    typer.Option(
        "--by", help="Who decides (needed when the change resolves an escalate or block flag)."
    ),
]
ClearRef = Annotated[
    str | None, typer.Option("--ref", help="Written approval reference (likewise).")
]


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
    by: ClearBy = None,
    ref: ClearRef = None,
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
    p = open_project()
    assets = resolve_paths(p, paths)
    n = do_tag(p, assets, add=tags or [], stage=stage, clear_stage=clear_stage, by=by, ref=ref)
    _report_assets(p, assets, as_json, f"tagged {_n(len(assets), 'asset')} ({n} changed)")


@app.command()
def untag(
    paths: Annotated[list[str], typer.Argument()],
    tags: Annotated[list[str], typer.Option("--tag", "-t", help="Tag to remove (repeatable).")],
    by: ClearBy = None,
    ref: ClearRef = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove tags."""
    from reelprov.review.assets import resolve_paths
    from reelprov.review.tags import tag as do_tag
    from reelprov.review.tags import tags_kept
    from reelprov.stages import check_tags

    check_tags(tags)
    p = open_project()
    assets = resolve_paths(p, paths)
    n = do_tag(p, assets, remove=tags, by=by, ref=ref)
    _report_assets(p, assets, as_json, f"untagged {_n(len(assets), 'asset')} ({n} changed)")
    for (tag, source), count in tags_kept(p, assets, tags).items():
        err(
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

    p = open_project()
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


def _report_assets(p: "Project", assets: "list[AssetState]", as_json: bool, line: str) -> None:
    from reelprov.review.assets import show_asset

    if as_json:
        emit([show_asset(p, a["path"], with_history=False) for a in assets])
    else:
        print(line)
