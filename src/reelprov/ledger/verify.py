"""Recompute the hash chain and the projections; report the first entry that does not fit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelprov.ledger.chain import GENESIS_HASH, entry_hash
from reelprov.ledger.projection import Projection
from reelprov.ledger.reader import Reader
from reelprov.ledger.store import Ledger
from reelprov.progress import Progress

if TYPE_CHECKING:
    from reelprov.contract import VerifyJson
    from reelprov.project import Project


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    anchors: int = 0  # anchors checked (verify_project)

    def to_json(self) -> VerifyJson:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "first_bad_seq": self.first_bad_seq,
            "problems": self.problems,
            "anchors_checked": self.anchors,
        }


def verify_project(
    project: Project, *, progress: Progress | None = None, anchors: dict[int, str] | None = None
) -> VerifyResult:
    """verify() of a project's ledger against every anchor in its anchor file too (and ANCHORS
    given): what `verify`, the report and the delivery gate run."""
    from reelprov.ledger.anchor import load

    kept, problems = load(project.cfg)
    res = verify(project.ledger, progress=progress, anchors={**kept, **(anchors or {})})
    res.anchors = len(kept) + len(set(anchors or {}) - set(kept))
    if problems:
        res.problems.extend(problems)
        res.ok = False
    return res


def verify(
    ledger: Ledger,
    *,
    progress: Progress | None = None,
    every: int = 5000,
    anchors: dict[int, str] | None = None,
) -> VerifyResult:
    """Recompute the chain entry by entry and replay it into the tables; PROGRESS every EVERY entries.

    ANCHORS ({seq: hash or a prefix of it}, e.g. the head a report printed) must still be in the
    chain as they were: anyone able to write the database can recompute every hash, so only a
    head kept elsewhere shows that history before it was neither rewritten nor cut short.

    Memory does not grow with the ledger: the chain is walked in sequence order keeping only the
    previous hash; the tables are then checked one asset at a time, replaying that asset's entries
    (an entry changes only its own asset and that asset's flags; cut entries, which name no
    asset, are replayed in the chain pass) against its stored row and flags, the three read side
    by side in asset order."""
    anchors = dict(anchors or {})
    problems: list[str] = []
    if 0 in anchors and not GENESIS_HASH.startswith(anchors.pop(0)):  # an empty ledger's head
        problems.append("entry 0: the anchor is not the empty ledger's head")
    first_bad: int | None = None
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    cuts = Projection(ledger.project)  # the project-level entries: cuts and intended uses
    # Read through the bare driver (ledger/reader.py), one snapshot for the chain and the tables.
    rd = Reader(ledger.url)
    with rd.snapshot():
        total = rd.head(ledger.project)[0] if progress is not None else 0
        rows = rd.iter(
            "SELECT * FROM ledger_entry WHERE project = :p ORDER BY seq, id", p=ledger.project
        )
        for m in rows:
            count += 1
            seq = m["seq"]
            bad: str | None = None
            if seq != expected_seq:
                bad = f"entry {seq}: expected sequence {expected_seq} (an entry was deleted, inserted or renumbered)"
            elif m["prev_hash"] != prev_hash:
                bad = f"entry {seq}: prev_hash does not match entry {seq - 1}'s hash (chain broken or reordered)"
            else:
                want = entry_hash(
                    project=m["project"],
                    seq=seq,
                    asset=m["asset"],
                    kind=m["kind"],
                    payload=m["payload"],
                    actor=m["actor"],
                    host=m["host"],
                    ts=m["ts"],
                    prev_hash=m["prev_hash"],
                )
                if want != m["entry_hash"]:
                    bad = f"entry {seq} ({m['kind']}): content does not match its entry_hash (edited after it was written)"
            if bad and first_bad is None:
                first_bad = seq
                problems.append(bad)
            if first_bad is None and m["asset"] is None:
                first_bad = _replay(cuts, m, problems)
            if seq in anchors and not m["entry_hash"].startswith(anchors.pop(seq)):
                problems.append(
                    f"entry {seq}: its hash is now {m['entry_hash'][:16]}..., not the anchor given "
                    "(history up to it was rewritten)"
                )
                first_bad = seq if first_bad is None else first_bad
            prev_hash = m["entry_hash"]
            expected_seq = seq + 1
            if progress is not None and count % every == 0:
                progress("checking the hash chain", count, max(total, count))
        head_seq, head_hash = expected_seq - 1, prev_hash
        for seq in sorted(anchors):  # anchors the walk never reached
            problems.append(
                f"entry {seq}: not in the ledger any more (it ends at #{head_seq}): history was cut short"
            )
        if first_bad is None:
            first_bad, found = _compare_assets(rd, ledger.project, progress, every, count)
            problems.extend(found)
            if first_bad is None:
                problems.extend(
                    _compare(rd.iter(_CUTS, p=ledger.project), "cut", "name", cuts.cuts)
                )
                problems.extend(
                    _compare(rd.iter(_USES, p=ledger.project), "intended_use", "id", cuts.uses)
                )
    rd.close()
    return VerifyResult(
        ok=not problems,
        entries=count,
        head_seq=head_seq,
        head_hash=head_hash,
        problems=problems,
        first_bad_seq=first_bad,
    )


def _replay(proj: Projection, m: dict[str, Any], problems: list[str]) -> int | None:
    """Apply one entry; the seq of an entry that cannot be applied (and why, in PROBLEMS)."""
    try:
        proj.apply_row(m)
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"entry {m['seq']} ({m['kind']}): cannot be applied ({exc})")
        return int(m["seq"])
    return None


# Asset ids in the same order in Python and in the database: byte order (SQLite's BINARY
# collation; on PostgreSQL "C" whatever the database's own collation).
_ORDER = {"sqlite": "", "postgresql": ' COLLATE "C"'}
_ENTRIES = (
    "SELECT seq, asset, kind, payload, actor, ts FROM ledger_entry"
    " WHERE project = :p AND asset IS NOT NULL ORDER BY asset{c}, seq"
)
_ASSETS = "SELECT * FROM asset WHERE project = :p ORDER BY id{c}"
_FLAGS = "SELECT * FROM flag WHERE project = :p ORDER BY asset{c}, id"
_CUTS = "SELECT * FROM cut WHERE project = :p"
_USES = "SELECT * FROM intended_use WHERE project = :p"


def _grouped(
    rows: Iterator[dict[str, Any]], key: str
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Consecutive rows with the same KEY, as (key, rows)."""
    group: list[dict[str, Any]] = []
    current = ""
    for r in rows:
        if group and r[key] != current:
            yield current, group
            group = []
        current = r[key]
        group.append(r)
    if group:
        yield current, group


def _compare_assets(
    rd: Reader, project: str, progress: Progress | None, every: int, total: int
) -> tuple[int | None, list[str]]:
    """Each asset's entries replayed, against its stored row and flags: the three streams merged
    in asset id order. Returns the first entry that could not be applied, and what disagrees."""
    c = _ORDER[rd.dialect]
    entries = _grouped(rd.iter(_ENTRIES.format(c=c), p=project), "asset")
    stored = rd.iter(_ASSETS.format(c=c), p=project)
    flags = _grouped(rd.iter(_FLAGS.format(c=c), p=project), "asset")
    out: list[str] = []
    first_bad: int | None = None
    proj = Projection(project)
    row = next(stored, None)
    fgroup = next(flags, None)
    done = 0
    for aid, group in entries:
        while row is not None and row["id"] < aid:  # a row no entry made
            out.append(_extra("asset", row["id"]))
            row = next(stored, None)
        while fgroup is not None and fgroup[0] < aid:
            out.extend(_extra("flag", f["id"]) for f in fgroup[1])
            fgroup = next(flags, None)
        proj.reset()
        for m in group:
            bad = _replay(proj, m, out)
            if bad is not None:
                first_bad = bad if first_bad is None else min(first_bad, bad)
                break
        mine: list[dict[str, Any]] = []
        if row is not None and row["id"] == aid:
            mine = [row]
            row = next(stored, None)
        theirs: list[dict[str, Any]] = []
        if fgroup is not None and fgroup[0] == aid:
            theirs = fgroup[1]
            fgroup = next(flags, None)
        out.extend(_compare(mine, "asset", "id", proj.assets))
        out.extend(_compare(theirs, "flag", "id", proj.flags))
        done += len(group)
        if progress is not None and done // every != (done - len(group)) // every:
            progress("comparing the tables", done, total)
    while row is not None:
        out.append(_extra("asset", row["id"]))
        row = next(stored, None)
    while fgroup is not None:
        out.extend(_extra("flag", f["id"]) for f in fgroup[1])
        fgroup = next(flags, None)
    return first_bad, out


def _extra(label: str, key: Any) -> str:
    return f"{label} {key}: in the {label} table but not in the ledger; run `reelprov db rebuild`"


def _compare(
    rows: Iterable[dict[str, Any]], label: str, key: str, mem: Mapping[Any, Mapping[str, Any]]
) -> list[str]:
    """Stored ROWS against the replayed MEM (both small: one asset's, or the cuts)."""
    if isinstance(rows, list) and len(rows) == len(mem) <= 1:  # an asset's row, or its flags
        if not mem:
            return []  # none stored, none replayed (most assets' flags)
        (only, replayed), row = next(iter(mem.items())), rows[0]
        if row[key] == only and row == replayed:
            return []  # one row as replayed, the common case: compared in one step
    out: list[str] = []
    stored: dict[Any, dict[str, Any]] = {r[key]: r for r in rows}
    for k in sorted(set(stored) | set(mem), key=str):
        a, b = stored.get(k), mem.get(k)
        if a is not None and b is not None and a == b:
            continue  # the common case, compared in one step
        if a is None:
            out.append(
                f"{label} {k}: in the ledger but missing from the {label} table; run `reelprov db rebuild`"
            )
        elif b is None:
            out.append(_extra(label, k))
        else:
            diff = [c for c in b if _norm(a.get(c)) != _norm(b[c])]
            if diff:
                out.append(
                    f"{label} {k}: table disagrees with the ledger on {', '.join(diff)}; run `reelprov db rebuild`"
                )
    return out


def _norm(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
