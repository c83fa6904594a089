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
from typing import TYPE_CHECKING, Any

from reelprov.classify import ANY_AI
from reelprov.errors import ReportError
from reelprov.policy import SEVERITIES, UNRESOLVED
from reelprov.progress import Progress

if TYPE_CHECKING:
    from reelprov.ledger.verify import VerifyResult
    from reelprov.project import Project

# Without --fail-on the report's verdict is taken at review: cleared means nothing is unresolved.
DEFAULT_LEVEL = "review"
DECIDED = ("approved", "waived")


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

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "rule": self.rule, "area": self.area, "severity": self.severity,
                "status": self.status, "reason": self.reason, "sha256": self.sha256}


@dataclass(frozen=True)
class Changed:
    """An asset whose file no longer holds the content the ledger (and its decisions) recorded."""

    path: str
    recorded: str
    now: str | None  # None: missing, unreadable or not a regular file
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "recorded": self.recorded, "now": self.now, "why": self.why}


@dataclass
class Verdict:
    level: str
    head_seq: int
    head_hash: str
    blockers: list[Blocker] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    verified: bool = True  # the chain was checked
    problems: list[str] = field(default_factory=list)  # what verification found
    rehashed: int = 0

    @property
    def cleared(self) -> bool:
        return self.verified and not self.blockers and not self.changed and not self.problems

    def line(self) -> str:
        """The verdict in one line, as the report's top and the gate print it."""
        if self.cleared:
            return f"CLEARED at ledger #{self.head_seq} {self.head_hash[:16]} (checked at {self.level})"
        parts = []
        if self.blockers:
            parts.append(f"{len(self.blockers):,} blocking at {self.level}")
        if self.changed:
            parts.append(f"{len(self.changed):,} file{'s' if len(self.changed) != 1 else ''} changed since recorded")
        if self.problems:
            parts.append("the ledger does not verify")
        if not self.verified:
            parts.append("the ledger was not verified")
        return "NOT CLEARED: " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "cleared": self.cleared, "verdict": self.line(),
                "ledger_head": {"seq": self.head_seq, "hash": self.head_hash}, "verified": self.verified,
                "problems": self.problems, "blocking": [b.to_json() for b in self.blockers],
                "changed": [c.to_json() for c in self.changed], "rehashed": self.rehashed}


_UNRESOLVED_FLAGS = ("SELECT flag.*, asset.path FROM flag JOIN asset ON asset.id = flag.asset AND asset.project = flag.project"
                     " WHERE flag.project = :p AND flag.status IN (SELECT value FROM json_each(:statuses)) ORDER BY flag.id")
# Assets whose recorded content a decision or an AI verdict rests on.
_RESTING = ("SELECT id, path, sha256, origin FROM asset WHERE project = :p AND deleted = :no AND (origin IN"
            " (SELECT value FROM json_each(:ai)) OR id IN (SELECT asset FROM flag WHERE project = :p AND status IN"
            " (SELECT value FROM json_each(:decided))))")


def check(project: Project, level: str = DEFAULT_LEVEL, *, verify: bool = True, verified: VerifyResult | None = None,
          rehash: bool = True, progress: Progress | None = None) -> Verdict:
    """Decide delivery at LEVEL. VERIFIED: a verification already run (the report's), not run twice.
    VERIFY False leaves the chain unchecked, and then the verdict cannot clear."""
    check_level(level)
    rd, pid = project.reader, project.cfg.project_id
    with rd.snapshot():
        head_seq, head_hash = rd.head(pid)
        blockers = [Blocker(r["id"], r["path"], r["rule"], r["area"], r["severity"], r["status"], r["reason"], r["sha256"])
                    for r in rd.iter(_UNRESOLVED_FLAGS, p=pid, statuses=list(UNRESOLVED))
                    if blocks(r["status"], r["severity"], level)]
        resting = rd.rows(_RESTING, p=pid, no=False, ai=list(ANY_AI), decided=list(DECIDED)) if rehash else []
    v = Verdict(level, head_seq, head_hash, blockers)
    if verify or verified is not None:
        if verified is None:
            from reelprov.ledger.verify import verify_project

            verified = verify_project(project, progress=progress)
        v.problems = list(verified.problems)
    else:
        v.verified = False
    for i, a in enumerate(sorted(resting, key=lambda a: a["path"])):
        if progress is not None and i % 100 == 0:
            progress("re-hashing approved and AI files", i, len(resting))
        now, why = _content_now(project.root / a["path"])
        if now != a["sha256"]:
            v.changed.append(Changed(a["path"], a["sha256"], now, why or "the content differs from what was recorded"))
    v.rehashed = len(resting)
    return v


def _content_now(path: os.PathLike[str] | str) -> tuple[str | None, str | None]:
    """The SHA-256 of the regular file at PATH now, or None and why not. Never follows a symbolic
    link put in the file's place, never blocks on a FIFO."""
    import errno
    import hashlib

    from reelprov.files import open_regular

    try:
        f = open_regular(path, follow=False)
    except FileNotFoundError:
        return None, "the file is missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "a symbolic link stands in the file's place"
        if exc.errno == errno.EINVAL:
            return None, "it is no longer a regular file"
        return None, f"cannot read it ({exc.strerror or exc})"
    h = hashlib.sha256()
    try:
        with f:
            buf = bytearray(1 << 20)
            while n := f.readinto(buf):
                h.update(memoryview(buf)[:n])
    except OSError as exc:
        return None, f"cannot read it ({exc.strerror or exc})"
    return h.hexdigest(), None
