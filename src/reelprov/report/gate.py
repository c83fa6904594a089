"""The delivery gate: the one function that says whether a project may be delivered at a level.

It reads the flags themselves (never a report's sections): every flag that is open or rejected at
or above the level blocks. The ledger must verify, and every asset a decision or an AI verdict
rests on must still hold the content recorded for it (re-hashed now: a file swapped on disk with
its size and times restored is caught here). `report --fail-on`, `hooks/pre-delivery` and the
report's verdict line all call `check`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reelprov.classify import ANY_AI
from reelprov.errors import ReportError
from reelprov.ledger import queries
from reelprov.policy import CLEARED, SEVERITIES, UNRESOLVED
from reelprov.progress import Progress

if TYPE_CHECKING:
    from reelprov.contract import BlockerJson, ChangedJson, GateJson
    from reelprov.ledger.verify import VerifyResult
    from reelprov.project import Project

# Without --fail-on the report's verdict is taken at review: cleared means nothing is unresolved.
DEFAULT_LEVEL = "review"


def blocks(status: str, severity: str, level: str) -> bool:
    """Whether a flag in STATUS at SEVERITY stands in the way of delivery at LEVEL."""
    return status in UNRESOLVED and SEVERITIES.index(severity) >= SEVERITIES.index(level)


def check_level(level: str) -> str:
    if level not in SEVERITIES:
        raise ReportError(f"unknown gate level {level!r}; use {', '.join(SEVERITIES)}")
    return level


@dataclass(frozen=True)
class Blocker:
    """One flag in the way of delivery."""

    id: int
    path: str
    rule: str
    area: str
    severity: str
    status: str
    reason: str
    sha256: str

    def to_json(self) -> BlockerJson:
        return {
            "id": self.id,
            "path": self.path,
            "rule": self.rule,
            "area": self.area,
            "severity": self.severity,
            "status": self.status,
            "reason": self.reason,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Changed:
    """An asset whose file no longer holds the content the ledger (and its decisions) recorded."""

    path: str
    recorded: str
    now: str | None  # None: missing, unreadable or not a regular file
    why: str

    def to_json(self) -> ChangedJson:
        return {"path": self.path, "recorded": self.recorded, "now": self.now, "why": self.why}


# Blocking flags and changed files a verdict lists (it counts them all): a show with 250,000 open
# flags lists them in the report's sections, not in the verdict.
MAX_LISTED = 1000
CHUNK = 2000


@dataclass
class Verdict:
    level: str
    head_seq: int
    head_hash: str
    blockers: list[Blocker] = field(default_factory=list)  # the first MAX_LISTED
    changed: list[Changed] = field(default_factory=list)  # the first MAX_LISTED
    blocking_count: int = 0
    changed_count: int = 0
    verified: bool = True  # the chain was checked
    problems: list[str] = field(default_factory=list)  # what verification found
    rehashed: int = 0

    @property
    def cleared(self) -> bool:
        return (
            self.verified
            and not self.blocking_count
            and not self.changed_count
            and not self.problems
        )

    def line(self) -> str:
        """The verdict in one line, as the report's top and the gate print it."""
        if self.cleared:
            return f"CLEARED at ledger #{self.head_seq} {self.head_hash[:16]} (checked at {self.level})"
        parts = []
        if self.blocking_count:
            parts.append(f"{self.blocking_count:,} blocking at {self.level}")
        if self.changed_count:
            parts.append(
                f"{self.changed_count:,} file{'s' if self.changed_count != 1 else ''} changed since recorded"
            )
        if self.problems:
            parts.append("the ledger does not verify")
        if not self.verified:
            parts.append("the ledger was not verified")
        return "NOT CLEARED: " + ", ".join(parts)

    def to_json(self) -> GateJson:
        return {
            "level": self.level,
            "cleared": self.cleared,
            "verdict": self.line(),
            "ledger_head": {"seq": self.head_seq, "hash": self.head_hash},
            "verified": self.verified,
            "problems": self.problems,
            "blocking_count": self.blocking_count,
            "blocking": [b.to_json() for b in self.blockers],
            "changed_count": self.changed_count,
            "changed": [c.to_json() for c in self.changed],
            "rehashed": self.rehashed,
        }


def check(
    project: Project,
    level: str = DEFAULT_LEVEL,
    *,
    verify: bool = True,
    verified: VerifyResult | None = None,
    rehash: bool = True,
    progress: Progress | None = None,
) -> Verdict:
    """Decide delivery at LEVEL. VERIFIED: a verification already run (the report's), not run twice.
    VERIFY False leaves the chain unchecked, and then the verdict cannot clear. Flags and assets are
    read a chunk at a time: memory does not grow with the project."""
    check_level(level)
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        head_seq, head_hash = rd.head(pid)
        v = Verdict(level, head_seq, head_hash)
        after = 0
        while rows := queries.flags_after(rd, pid, list(UNRESOLVED), after, CHUNK):
            after = rows[-1]["id"]
            for r in rows:
                if blocks(r["status"], r["severity"], level):
                    v.blocking_count += 1
                    if len(v.blockers) < MAX_LISTED:
                        v.blockers.append(
                            Blocker(
                                r["id"],
                                r["path"],
                                r["rule"],
                                r["area"],
                                r["severity"],
                                r["status"],
                                r["reason"],
                                r["sha256"],
                            )
                        )
    if verify or verified is not None:
        if verified is None:
            from reelprov.ledger.verify import verify_project

            verified = verify_project(project, progress=progress)
        v.problems = list(verified.problems)
    else:
        v.verified = False
    if rehash:
        _rehash(project, v, progress)
    return v


def _rehash(project: Project, v: Verdict, progress: Progress | None) -> None:
    """Re-hash every live asset an approval or an AI verdict rests on, a chunk at a time."""
    rd, pid = project.reader, project.cfg.project_id
    after = ""
    while True:
        with rd.snapshot():
            rows = queries.live_assets_after(rd, pid, after, CHUNK)
            if not rows:
                return
            after = rows[-1]["id"]
            decided = {
                f["asset"]
                for f in queries.flags_of(rd, pid, [r["id"] for r in rows], chunk=CHUNK)
                if f["status"] in CLEARED
            }
        for a in rows:
            if a["origin"] not in ANY_AI and a["id"] not in decided:
                continue
            v.rehashed += 1
            if progress is not None and v.rehashed % 100 == 0:
                progress("re-hashing approved and AI files", v.rehashed, v.rehashed)
            now, why = _content_now(project.root / a["path"])
            if now != a["sha256"]:
                v.changed_count += 1
                if len(v.changed) < MAX_LISTED:
                    v.changed.append(
                        Changed(
                            a["path"],
                            a["sha256"],
                            now,
                            why or "the content differs from what was recorded",
                        )
                    )


def _content_now(path: os.PathLike[str] | str) -> tuple[str | None, str | None]:
    """The SHA-256 of the regular file at PATH now, or None and why not. Never follows a symbolic
    link put in the file's place, never blocks on a FIFO."""
    import errno

    from reelprov.hashing import digest_file

    try:
        return digest_file(path, follow=False).sha256, None
    except FileNotFoundError:
        return None, "the file is missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "a symbolic link stands in the file's place"
        if exc.errno == errno.EINVAL:
            return None, "it is no longer a regular file"
        return None, f"cannot read it ({exc.strerror or exc})"
