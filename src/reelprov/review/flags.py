"""Which flags: ids and ranges (17, 10-19), a path pattern, statuses; listed and grouped by sequence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reelprov.contract import FlagJson
from reelprov.errors import (
    ReelprovError,
    UnknownFlag,
)
from reelprov.ledger import queries
from reelprov.ledger.records import ListedFlag
from reelprov.policy import DECIDED, STATUSES, UNRESOLVED
from reelprov.project import Project

# `flags --status unresolved`: what blocks delivery
STATUS_GROUPS = {"unresolved": UNRESOLVED, "decided": DECIDED}


# The largest range of flag ids one command takes (10-19); a typo such as 10-1900000 is refused.
MAX_RANGE = 100_000


def parse_flag_ids(tokens: Sequence[str]) -> list[int]:
    """Flag ids as typed: `17`, `10-19` (a range, both ends included), in any mix; in order, once each."""
    out: dict[int, None] = {}
    for tok in tokens:
        t = tok.strip()
        lo, dash, hi = t.partition("-")
        if t.isdigit():
            first = last = int(t)
        elif dash and lo.isdigit() and hi.isdigit():
            first, last = int(lo), int(hi)
            if first > last:
                raise UnknownFlag(
                    f"flag range {tok!r} is empty (it runs backwards); write the lower id first, e.g. {hi}-{lo}"
                )
            if last - first >= MAX_RANGE:
                raise UnknownFlag(
                    f"flag range {tok!r} spans {last - first + 1:,} ids; ranges take at most {MAX_RANGE:,}: "
                    "select a shot with {path} instead",
                    inputs=("path",),
                )
        else:
            raise UnknownFlag(
                f"{tok!r} is not a flag id; give ids (17), ranges (10-19) or {{path}}",
                inputs=("path",),
            )
        out.update(dict.fromkeys(range(first, last + 1)))
    return list(out)


def select_flags(
    project: Project,
    *,
    ids: Sequence[str] = (),
    path: str | None = None,
    rule: str | None = None,
    status: Sequence[str] = (),
    want: Sequence[str] = ("open",),
    action: str = "decide",
) -> list[ListedFlag]:
    """The flags a decision or revoke names: by ids and ranges, and/or by PATH (a root-relative file,
    folder, glob or frame pattern), narrowed by RULE and STATUS (default WANT: the statuses the
    action applies to). Every id given must exist; a selection that finds nothing is an error."""
    from reelprov.review.assets import path_matches

    for s_ in status:
        if s_ not in STATUSES and s_ not in STATUS_GROUPS:
            raise ReelprovError(
                f"unknown status {s_!r}; use {', '.join((*STATUSES, *STATUS_GROUPS))}"
            )
    statuses = {x for s_ in status for x in STATUS_GROUPS.get(s_, (s_,))}
    wanted = parse_flag_ids(ids) if ids else []
    if not wanted and path is None:
        raise UnknownFlag(
            f"no flags named: give flag ids (17, 10-19) or {{path}} to {action}", inputs=("path",)
        )
    pid = project.cfg.project_id
    rows = (
        queries.flags_by_id(project.reader, pid, wanted)
        if wanted
        else list(queries.flags_listed(project.reader, pid, []))
    )
    if wanted:
        found = {r["id"] for r in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            shown = ", ".join(map(str, missing[:5])) + (
                f" and {len(missing) - 5:,} more" if len(missing) > 5 else ""
            )
            raise UnknownFlag(f"no flag {shown}; list them with `reelprov flags`")
    out = []
    for r in rows:
        if path not in (None, ".") and not path_matches(r["path"], path):
            continue
        if rule is not None and r["rule"] != rule:
            continue
        if statuses and r["status"] not in statuses:
            continue
        if not wanted and not statuses and r["status"] not in want:
            continue  # a pattern picks the flags the action applies to; named ids are checked one by one
        out.append(r)
    if not out:
        what = " and ".join(
            x
            for x in (
                f"ids {' '.join(ids)}" if ids else "",
                f"path {path}" if path else "",
                f"rule {rule}" if rule else "",
                f"status {', '.join(status)}" if status else f"status {'/'.join(want)}",
            )
            if x
        )
        raise UnknownFlag(
            f"no flags to {action} match {what}; `reelprov flags` lists them with their status"
        )
    return out


def list_flags(
    project: Project,
    *,
    status: list[str] | None = None,
    severity: str | None = None,
    where: str | None = None,
    rule: str | None = None,
) -> list[FlagJson]:
    """Flags by id; WHERE (a root-relative folder, file, glob or frame pattern) keeps those on
    assets it names. STATUS may name groups: unresolved (open, rejected), decided."""
    return list(iter_flags(project, status=status, severity=severity, where=where, rule=rule))


def iter_flags(
    project: Project,
    *,
    status: list[str] | None = None,
    severity: str | None = None,
    where: str | None = None,
    rule: str | None = None,
) -> Iterator[FlagJson]:
    """list_flags() one flag at a time, read in one snapshot (memory does not grow with the
    number of flags)."""
    from reelprov.policy.engine import severity_rank
    from reelprov.review.assets import flag_json, path_matches

    statuses = sorted({x for s_ in status or [] for x in STATUS_GROUPS.get(s_, (s_,))})
    rd = project.reader
    with rd.snapshot():
        for r in queries.flags_listed(rd, project.cfg.project_id, statuses):
            if severity and severity_rank(r["severity"]) < severity_rank(severity):
                continue
            if rule and r["rule"] != rule:
                continue
            if where and not path_matches(r["path"], where):
                continue
            j = flag_json(r)
            j["path"] = r["path"]
            yield j


def group_flags(flags: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """FLAGS (as list_flags gives them) as a person reads them: the flags of one rule on the frames
    of one image sequence, in the same state and decided the same way, as one item naming the
    sequence (`sh010_comp.####.exr`), how many frames and which, and the flag ids as runs. A frame
    whose flag differs keeps its own item; so does every flag on a file that is no frame."""
    from reelprov.cuts.frames import frame_parts, runs, runs_text

    out: list[Mapping[str, Any] | list[Mapping[str, Any]]] = []
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for f in flags:
        parts = frame_parts(f["path"])
        if parts is None:
            out.append(f)
            continue
        folder, prefix, digits, suffix = parts
        dec = f.get("decision") or {}
        key = (
            folder,
            prefix,
            suffix,
            len(digits),
            f["rule"],
            f["severity"],
            f["status"],
            dec.get("by"),
            dec.get("ref"),
            dec.get("severity"),
        )
        if key in groups:
            groups[key].append(f)
        else:
            groups[key] = [f]
            out.append(groups[key])
    items: list[Mapping[str, Any]] = []
    for g in out:
        if not isinstance(g, list) or len(g) == 1:
            items.append(g if not isinstance(g, list) else g[0])
            continue
        folder, prefix, digits, suffix = frame_parts(g[0]["path"])  # type: ignore[misc]  # grouped frames only
        numbers = runs(int(frame_parts(f["path"])[2]) for f in g)  # type: ignore[index]
        label = f"{prefix}{'#' * len(digits)}{suffix}"
        items.append(
            {
                **g[0],
                "path": f"{folder}/{label}" if folder else label,
                "sha256": None,
                "ids": ",".join(runs(f["id"] for f in g)),
                "frames": f"{len(g):,} frames {runs_text(numbers, 4)}",
                "count": len(g),
            }
        )
    return items
