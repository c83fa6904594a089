"""Recompute the hash chain and the projections; report the first entry that does not fit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelprov.ledger.chain import GENESIS_HASH, entry_hash
from reelprov.ledger.projection import Projection
from reelprov.ledger.reader import Reader
from reelprov.ledger.store import Ledger
from reelprov.progress import Progress

if TYPE_CHECKING:
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

    def to_json(self) -> dict[str, Any]:
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
    head kept elsewhere shows that history before it was neither rewritten nor cut short."""
    anchors = dict(anchors or {})
    problems: list[str] = []
    if 0 in anchors and not GENESIS_HASH.startswith(anchors.pop(0)):  # the head of an empty ledger
        problems.append("entry 0: the anchor is not the empty ledger's head")
    first_bad: int | None = None
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    proj = Projection(ledger.project)
    # Read through the bare driver (ledger/reader.py), one snapshot for the chain and the tables.
    rd = Reader(ledger.url, bulk=True)
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
            if first_bad is None:
                try:
                    proj.apply(
                        seq=seq,
                        asset_id=m["asset"],
                        kind=m["kind"],
                        payload=json.loads(m["payload"]),
                        ts=m["ts"],
                        actor=m["actor"],
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    first_bad = seq
                    problems.append(f"entry {seq} ({m['kind']}): cannot be applied ({exc})")
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
        if progress is not None:
            progress("comparing the tables", count, max(total, count))
        if first_bad is None:
            problems.extend(_compare(rd, ledger.project, proj))
    rd.close()
    return VerifyResult(
        ok=not problems,
        entries=count,
        head_seq=head_seq,
        head_hash=head_hash,
        problems=problems,
        first_bad_seq=first_bad,
    )


_TABLES = {  # table -> the statement that reads one project's rows of it
    "asset": "SELECT * FROM asset WHERE project = :p",
    "flag": "SELECT * FROM flag WHERE project = :p",
    "cut": "SELECT * FROM cut WHERE project = :p",
}


def _compare(rd: Reader, project: str, proj: Projection) -> list[str]:
    out: list[str] = []
    for mem, label, key in (
        (proj.assets, "asset", "id"),
        (proj.flags, "flag", "id"),
        (proj.cuts, "cut", "name"),
    ):
        stored: dict[Any, dict[str, Any]] = {r[key]: r for r in rd.iter(_TABLES[label], p=project)}
        known: dict[Any, dict[str, Any]] = dict(mem)
        for k in sorted(set(stored) | set(known), key=str):
            a, b = stored.get(k), known.get(k)
            if a is not None and b is not None and a == b:
                continue  # the common case, compared in one step
            if a is None:
                out.append(
                    f"{label} {k}: in the ledger but missing from the {label} table; run `reelprov db rebuild`"
                )
            elif b is None:
                out.append(
                    f"{label} {k}: in the {label} table but not in the ledger; run `reelprov db rebuild`"
                )
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
