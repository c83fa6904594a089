"""Every statement reelprov reads its projections with, named: the rest of the library calls these
functions and never writes SQL (tests/test_sql_safety.py checks that no SQL text lives outside
`ledger/`).

Each takes a `Statements` (a `Reader`, or a writer's `Tx` inside a batch) and the project id, binds
every value (no value ever enters the SQL text) and returns decoded rows (JSON and boolean
columns as Python values, see reader.COLUMNS). Filters that are constant fragments are joined
from the tables below, never from input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from reelprov.ledger.reader import PATH_PREFIX, Statements, path_key
from reelprov.ledger.records import (
    AssetBrief,
    AssetState,
    CutSource,
    CutState,
    FlagState,
    Holder,
    ListedFlag,
    LiveAsset,
    UseState,
)

if TYPE_CHECKING:
    from reelprov.ledger.reader import Reader

Row = dict[str, Any]

# --- assets ----------------------------------------------------------------------------------

# Constant statement parts; a true `:with_...`/`:any_...` switches its filter off. A path prefix
# is matched on SQLite by a range on the (project, path) index between the prefix and its
# successor (binary collation = byte order); PostgreSQL uses LIKE, which is exact whatever the
# database's collation.
_BASE = (
    "project = :p AND (:with_deleted OR deleted = :no)"
    " AND (:any_origin OR origin IN (SELECT value FROM json_each(:origins)))"
)
_PREFIX = {
    "sqlite": " AND path >= :lo AND path < :hi",
    # the index holds the first PATH_PREFIX characters (migration 0007): matched there, then whole
    "postgresql": " AND left(path, 500) LIKE :like_head AND path LIKE :like",
}
_FLAGGED = (
    " AND id IN (SELECT asset FROM flag WHERE project = :p"
    " AND status IN (SELECT value FROM json_each(:statuses)))"
)


def _assets_sql(dialect: str, *, prefix: bool, flagged: bool) -> str:
    """The asset statement for one combination of filters, from the constant parts above."""
    where = _BASE + (_PREFIX[dialect] if prefix else "") + (_FLAGGED if flagged else "")
    return "SELECT * FROM asset WHERE " + where + " ORDER BY path"  # noqa: S608


def _prefix_params(dialect: str, prefix: str) -> dict[str, str] | None:
    """Parameters of _PREFIX for PREFIX, or None when it has no usable bound."""
    if not prefix.isascii():
        return None  # stored names may be in another Unicode form: the caller compares them
    last = ord(prefix[-1]) if prefix else 0
    if not prefix or last == 0x10FFFF or 0xD7FF <= last <= 0xDFFF:
        return None  # no encodable successor to bound it
    if dialect == "sqlite":
        return {"lo": prefix, "hi": prefix[:-1] + chr(last + 1)}

    def like(text: str) -> str:
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    return {"like": like(prefix), "like_head": like(prefix[:PATH_PREFIX])}


def literal_prefix(pattern: str | None) -> str:
    """The part of a path pattern before its first wildcard."""
    return re.split(r"[*?\[]", pattern, maxsplit=1)[0] if pattern else ""


def prefix_usable(db: Statements, prefix: str) -> bool:
    """Can `assets` narrow by PREFIX (a pattern's literal_prefix) in SQL?"""
    return _prefix_params(db.dialect, prefix) is not None


def assets(
    db: Statements,
    project: str,
    *,
    with_deleted: bool = False,
    origins: list[str] | None = None,
    under_prefix: str | None = None,
    flagged: list[str] | None = None,
) -> Iterator[AssetState]:
    """The project's assets in path order: only live ones unless WITH_DELETED; only ORIGINS if
    given; only paths starting with UNDER_PREFIX when it can be bounded (see prefix_usable; else
    not narrowed); only those with a flag in one of the statuses FLAGGED if given."""
    bounds = _prefix_params(db.dialect, under_prefix) if under_prefix else None
    params: dict[str, Any] = {
        "p": project,
        "with_deleted": with_deleted,
        "no": False,
        "any_origin": not origins,
        "origins": list(origins or []),
        **(bounds or {}),
    }
    if flagged:
        params["statuses"] = list(flagged)
    sql = _assets_sql(db.dialect, prefix=bounds is not None, flagged=bool(flagged))
    return cast("Iterator[AssetState]", db.iter(sql, **params))


def assets_at(db: Statements, project: str, path: str) -> list[AssetState]:
    """Every asset recorded at PATH (live or deleted), the latest first."""
    rows = db.rows(
        "SELECT * FROM asset WHERE project = :p AND path_key = :k ORDER BY last_seq DESC",
        p=project,
        k=path_key(path),
    )
    return cast("list[AssetState]", rows)


def asset_paths(db: Statements, project: str) -> Iterator[str]:
    """Every path the project has recorded (live or deleted)."""
    return (r["path"] for r in db.iter("SELECT path FROM asset WHERE project = :p", p=project))


def asset_ids(db: Statements, project: str) -> Iterator[str]:
    return (r["id"] for r in db.iter("SELECT id FROM asset WHERE project = :p", p=project))


def asset_ids_of_origin(db: Statements, project: str, origins: list[str]) -> list[str]:
    """The ids of every asset (live or deleted) whose origin is one of ORIGINS (the origin index)."""
    return [
        r["id"]
        for r in db.rows(
            "SELECT id, project FROM asset WHERE origin IN (SELECT value FROM json_each(:o))",
            o=origins,
        )
        if r["project"] == project
    ]


def assets_by_id(db: Statements, project: str, ids: list[str]) -> Iterator[AssetState]:
    """The whole rows of IDS (those of PROJECT)."""
    rows = db.iter("SELECT * FROM asset WHERE id IN (SELECT value FROM json_each(:ids))", ids=ids)
    return cast("Iterator[AssetState]", (r for r in rows if r["project"] == project))


def assets_brief_after(db: Statements, project: str, after: str, n: int) -> list[AssetBrief]:
    """Up to N assets (live or deleted) with ids after AFTER, in id order: what the report's plan
    needs of each."""
    rows = db.rows(
        "SELECT id, path, origin, cuts, stage_override, c2pa_state, media_type, deleted FROM asset"
        " WHERE project = :p AND id > :after ORDER BY id LIMIT :n",
        p=project,
        after=after,
        n=n,
    )
    return cast("list[AssetBrief]", rows)


def live_assets_after(db: Statements, project: str, after: str, n: int) -> list[Row]:
    """Up to N live assets with ids after AFTER, in id order: their path, content and origin."""
    return db.rows(
        "SELECT id, path, sha256, origin FROM asset WHERE project = :p AND id > :after AND deleted = :no"
        " ORDER BY id LIMIT :n",
        p=project,
        after=after,
        no=False,
        n=n,
    )


# The live assets in the byte order of their paths, each with what the scan cache holds for it
# (NULL where nothing): what a scan compares the walk with, side by side. SQLite joins the cache
# by path, walking its (project, path) index in the order the assets come (by the hashed key each
# row was a probe at random: an unchanged rescan of 1,000,000 files 13.4 s, by path 9.7 s); PostgreSQL joins
# the one sorted cursor by path_key (a hash join; it has no path index, see FileState).
_BY_PATH = (
    "SELECT a.path, a.id, a.sha256, f.size AS cached_size, f.mtime_ns AS cached_mtime_ns,"
    " f.sha256 AS cached_sha256, f.ctime_ns AS cached_ctime_ns, f.inode AS cached_inode"
    " FROM asset a LEFT JOIN file_state f ON f.project = a.project AND {join}"
    " WHERE a.project = :p AND a.deleted = :no"
)
_BY_PATH_SQLITE = _BY_PATH.format(join="f.path = a.path")
_BY_PATH_KEYED = _BY_PATH.format(join="f.path_key = a.path_key")
_BY_PATH_PAGE = {  # SQLite: keyset pages on the (project, path) index
    False: _BY_PATH_SQLITE + " AND a.path > :after ORDER BY a.path LIMIT :n",
    True: _BY_PATH_SQLITE + " AND a.path > :after AND a.path < :hi ORDER BY a.path LIMIT :n",
}
_BY_PATH_PG = {  # PostgreSQL: one sorted cursor, in byte order whatever the database's collation
    False: _BY_PATH_KEYED + ' AND a.path COLLATE "C" > :after ORDER BY a.path COLLATE "C"',
    True: _BY_PATH_KEYED
    + ' AND a.path COLLATE "C" > :after AND a.path COLLATE "C" < :hi ORDER BY a.path COLLATE "C"',
}


def live_by_path(
    rd: Reader, project: str, under: str | None = None, page: int = 2000
) -> Iterator[LiveAsset]:
    """The live assets at UNDER and under it as a folder (all when None), in the byte order of
    their paths (Python's order of str), with their scan cache columns (`cached_size`, ...).

    Memory holds one page, however large the project. On SQLite each page is a read of its own on
    the (project, path) index: a snapshot held for a whole scan would keep the WAL from being
    checkpointed while the scan writes. On PostgreSQL one cursor in a snapshot of a connection of
    its own (a keyset page there would sort the rest of the table each time). Rows the caller
    records meanwhile are never met: they sort before the page being read. (Reading ahead in a
    thread was tried: slower, the two threads taking Python's lock from each other every row.)"""
    yield from live_at_with_cache(rd, project, under) if under else []
    after = under + "/" if under else ""
    bound = {"hi": under + "0"} if under else {}  # "0" follows "/": past everything under it
    if rd.dialect == "sqlite":
        while True:
            rows = cast(
                "list[LiveAsset]",
                rd.rows(
                    _BY_PATH_PAGE[bool(under)], p=project, no=False, after=after, n=page, **bound
                ),
            )
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1]["path"]
    from reelprov.ledger.reader import Reader

    own = Reader(rd.url)
    try:
        with own.snapshot():
            found = own.iter(_BY_PATH_PG[bool(under)], p=project, no=False, after=after, **bound)
            yield from cast("Iterator[LiveAsset]", found)
    finally:
        own.close()


def live_at_with_cache(db: Statements, project: str, path: str) -> list[LiveAsset]:
    """The live asset at exactly PATH with its scan cache columns, as live_by_path gives them."""
    rows = db.rows(
        _BY_PATH_KEYED + " AND a.path_key = :k AND a.path = :path",
        p=project,
        no=False,
        k=path_key(path),
        path=path,
    )
    return cast("list[LiveAsset]", rows)


def live_with_contents(db: Statements, project: str, shas: list[str]) -> list[Holder]:
    """The live assets (id, path, sha256) holding any of the contents SHAS."""
    # By the content index alone: with `project = :p` SQLite's planner walks the project's index
    # (every asset) for each call, which made a scan quadratic.
    rows = db.rows(
        "SELECT id, path, sha256, project, deleted FROM asset"
        " WHERE sha256 IN (SELECT value FROM json_each(:shas))",
        shas=sorted(set(shas)),
    )
    return cast("list[Holder]", [r for r in rows if r["project"] == project and not r["deleted"]])


# Live assets at a path or anything under it as a folder (no LIKE: names may hold % and _):
# :p, :no, :path, :n (its length + 1), :under (it + "/").
_LIVE_AT_OR_UNDER = (
    "SELECT id, path, sha256 FROM asset WHERE project = :p AND deleted = :no"
    " AND (path = :path OR substr(path, 1, :n) = :under)"
)
_ANY_LIVE = {
    False: "SELECT id FROM asset WHERE project = :p AND deleted = :no LIMIT 1",
    True: _LIVE_AT_OR_UNDER + " LIMIT 1",
}


def live_at_or_under(db: Statements, project: str, path: str) -> list[Row]:
    """The live assets at PATH or anywhere under it as a folder (no LIKE: names may hold % and _)."""
    return db.rows(
        _LIVE_AT_OR_UNDER,
        p=project,
        no=False,
        path=path,
        n=len(path) + 1,
        under=path + "/",
    )


def any_live_at_or_under(db: Statements, project: str, path: str | None) -> bool:
    """Is a live asset recorded at PATH or under it as a folder (anywhere when None)?"""
    under = path or ""
    row = db.one(
        _ANY_LIVE[path is not None],
        p=project,
        no=False,
        path=under,
        n=len(under) + 1,
        under=under + "/",
    )
    return row is not None


def live_with_content(db: Statements, project: str, path: str, sha256: str) -> bool:
    """Is a live asset recorded at PATH with content SHA256?"""
    return (
        db.one(
            "SELECT id FROM asset WHERE project = :p AND path_key = :k AND sha256 = :sha AND deleted = :no",
            p=project,
            k=path_key(path),
            sha=sha256,
            no=False,
        )
        is not None
    )


def asset_places(db: Statements, project: str) -> Iterator[Row]:
    """Every asset's id, path, whether deleted and its last entry: what cut matching needs."""
    return db.iter("SELECT id, path, deleted, last_seq FROM asset WHERE project = :p", p=project)


# --- flags -----------------------------------------------------------------------------------


# Flags with the path of the file each is on (ListedFlag): one join, three selections (as _BY_PATH).
_FLAGS_WITH_PATH = (
    "SELECT flag.*, asset.path FROM flag JOIN asset"
    " ON asset.id = flag.asset AND asset.project = flag.project WHERE flag.project = :p{where}"
)
_FLAGS_LISTED = _FLAGS_WITH_PATH.format(
    where=" AND (:any_status OR flag.status IN (SELECT value FROM json_each(:statuses)))"
    " ORDER BY flag.id"
)
_FLAGS_BY_ID = _FLAGS_WITH_PATH.format(where=" AND flag.id IN (SELECT value FROM json_each(:ids))")
_FLAGS_AFTER = _FLAGS_WITH_PATH.format(
    where=" AND flag.id > :after AND flag.status IN (SELECT value FROM json_each(:statuses))"
    " ORDER BY flag.id LIMIT :n"
)


def flags_of(
    db: Statements, project: str, asset_ids: list[str], *, chunk: int = 500
) -> Iterator[FlagState]:
    """The flags of ASSET_IDS, chunk by chunk, each looked up in the (project, asset) index
    (reader._IN_KEYED): one statement joining other filters let a planner without fresh
    statistics (a just-filled PostgreSQL table) intersect each lookup with the whole
    project's flags, once per asset."""
    for i in range(0, len(asset_ids), chunk):
        rows = db.rows(
            "SELECT * FROM flag WHERE (project, asset) IN (SELECT :p, value FROM json_each(:ids))",
            p=project,
            ids=asset_ids[i : i + chunk],
        )
        yield from cast("list[FlagState]", rows)


def flags_of_asset(db: Statements, project: str, asset: str) -> list[FlagState]:
    rows = db.rows("SELECT * FROM flag WHERE project = :p AND asset = :a", p=project, a=asset)
    return cast("list[FlagState]", rows)


def flags_listed(db: Statements, project: str, statuses: list[str]) -> Iterator[ListedFlag]:
    """The project's flags in id order, each with its asset's path; only STATUSES if any."""
    rows = db.iter(
        _FLAGS_LISTED,
        p=project,
        any_status=not statuses,
        statuses=statuses,
    )
    return cast("Iterator[ListedFlag]", rows)


def flags_by_id(
    db: Statements, project: str, flag_ids: list[int], *, chunk: int = 1000
) -> list[ListedFlag]:
    """The flags FLAG_IDS that exist, with their asset's path, in id order."""
    out: list[ListedFlag] = []
    for i in range(0, len(flag_ids), chunk):
        rows = db.rows(
            _FLAGS_BY_ID,
            p=project,
            ids=flag_ids[i : i + chunk],
        )
        out += cast("list[ListedFlag]", rows)
    return sorted(out, key=lambda r: r["id"])


def flags_after(
    db: Statements, project: str, statuses: list[str], after: int, n: int
) -> list[ListedFlag]:
    """Up to N flags in STATUSES with ids after AFTER, in id order, each with its asset's path."""
    rows = db.rows(
        _FLAGS_AFTER,
        p=project,
        after=after,
        statuses=statuses,
        n=n,
    )
    return cast("list[ListedFlag]", rows)


# --- cuts ------------------------------------------------------------------------------------


def cuts(db: Statements, project: str) -> list[CutState]:
    """Every imported cut, whole, by name."""
    rows = db.rows("SELECT * FROM cut WHERE project = :p ORDER BY name", p=project)
    return cast("list[CutState]", rows)


def cut(db: Statements, project: str, name: str) -> CutState | None:
    row = db.one("SELECT * FROM cut WHERE project = :p AND name = :n", p=project, n=name)
    return cast("CutState | None", row)


def any_cut(db: Statements, project: str) -> bool:
    """Has the project a cut?"""
    return db.one("SELECT 1 AS x FROM cut WHERE project = :p LIMIT 1", p=project) is not None


def cut_sources(db: Statements, project: str) -> list[CutSource]:
    """Every cut's name, timeline file, rate and the entry that imported it."""
    rows = db.rows("SELECT name, source, rate, imported_seq FROM cut WHERE project = :p", p=project)
    return cast("list[CutSource]", rows)


# --- entries and health ----------------------------------------------------------------------


def entry_payload(db: Statements, project: str, seq: int) -> str | None:
    """The canonical JSON payload of entry SEQ, as stored."""
    r = db.one("SELECT payload FROM ledger_entry WHERE project = :p AND seq = :s", p=project, s=seq)
    return None if r is None else str(r["payload"])


def answers(db: Statements) -> bool:
    """Does the database answer a query at all?"""
    return db.one("SELECT 1 AS ok") is not None


# --- intended uses ---------------------------------------------------------------------------


def uses(db: Statements, project: str) -> list[UseState]:
    """Every intended use of the project, in the order they were proposed (a few hundred at most)."""
    rows = db.rows("SELECT * FROM intended_use WHERE project = :p ORDER BY number", p=project)
    return cast("list[UseState]", rows)
