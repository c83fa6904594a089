"""Approve, reject, waive and revoke: a decision bound to the exact content it was made on."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from reelprov.errors import (
    ApprovalRefRequired,
    FlagStateError,
    ReelprovError,
    ReviewedOtherContent,
    UnknownFlag,
    WaiverReasonRequired,
)
from reelprov.events import (
    AssetRef,
    Decision,
    FlagDecided,
    FlagRef,
    FlagRevoked,
    PriorDecision,
    Revocation,
)
from reelprov.ledger.records import FlagState
from reelprov.names import one_line
from reelprov.policy import DECIDED
from reelprov.project import Project

if TYPE_CHECKING:
    from reelprov.ledger import Batch

DECISIONS = {"approve": "approved", "reject": "rejected", "waive": "waived"}


def decide(
    project: Project,
    flag_ids: Sequence[int] | Sequence[FlagState],
    decision: str,
    *,
    by: str,
    ref: str | None,
    note: str | None,
    sha256: str | None = None,
) -> list[FlagState]:
    """approve / reject / waive flags, each bound to the content hash it judged and the severity it
    was judged at: all in one transaction, or none if any of them cannot be decided. SHA256 (or a
    prefix of it) is the content the reviewer looked at: a flag that judges other content by now
    is not decided."""
    status = DECISIONS[decision]
    if not by or not by.strip():
        raise ReelprovError("{by} is required: say who decided", inputs=("by",))
    seen = _sha_prefix(sha256) if sha256 is not None else None
    ids = [f if isinstance(f, int) else f["id"] for f in flag_ids]
    out: list[FlagState] = []
    with project.batch() as b:
        for flag_id in dict.fromkeys(ids):
            flag = (
                b.proj.flag(flag_id) if 0 < flag_id < 2**63 else None
            )  # ids are positive 64-bit integers
            if flag is None:
                raise UnknownFlag(f"no flag {flag_id}; list them with `reelprov flags`")
            if flag["status"] != "open":
                hint = (
                    f"`reelprov revoke {flag_id}` reopens it first"
                    if flag["status"] in DECIDED
                    else "it reopens by itself if its condition comes back or the file changes"
                )
                raise FlagStateError(
                    f"flag {flag_id} is {flag['status']}, not open; only open flags can be decided ({hint})"
                )
            asset = b.proj.asset(flag["asset"])
            assert asset is not None
            if seen is not None and not flag["sha256"].startswith(seen):
                _other_content(project, flag, asset["path"], seen)
            if (
                status in ("approved", "waived")
                and flag["severity"] in ("escalate", "block")
                and not (ref and ref.strip())
            ):
                # an escalate flag needs written approval: waiving it must not be the way around that
                raise ApprovalRefRequired(
                    f"flag {flag_id} is {flag['severity']}: {'approving' if status == 'approved' else 'waiving'} it needs "
                    "{ref} with the written approval reference",
                    inputs=("ref",),
                )
            if status == "waived" and not (note and note.strip()):
                raise WaiverReasonRequired(
                    f"flag {flag_id}: waiving it needs {{note}} saying why no review is needed (e.g. {{note}} 'temp only, never on screen')",
                    inputs=("note",),
                )
            b.append(
                "decided",
                flag["asset"],
                {
                    "flag_id": flag_id,
                    "decision": status,
                    "by": by,
                    "ref": ref,
                    "note": note,
                    "sha256": flag["sha256"],
                    "severity": flag["severity"],
                },
            )
            updated = _as_now(b, flag_id)
            b.emit(
                FlagDecided(
                    flag=FlagRef.of(updated),
                    asset=AssetRef.of(asset),
                    decision=Decision(decision=status, by=by, ref=ref, note=note),
                )
            )
            out.append(updated)
    return out


def revoke(
    project: Project,
    flag_ids: Sequence[int] | Sequence[FlagState],
    *,
    by: str,
    note: str | None,
    ref: str | None = None,
) -> list[FlagState]:
    """Take decisions back: each flag is open again (a `revoked` entry; the decision stays in its
    history and the report's audit). All in one transaction, or none."""
    if not by or not by.strip():
        raise ReelprovError("{by} is required: say who revokes the decision", inputs=("by",))
    if not note or not note.strip():
        raise ReelprovError(
            "{note} is required: say why the decision is taken back (e.g. {note} 'consent withdrawn')",
            inputs=("note",),
        )
    ids = [f if isinstance(f, int) else f["id"] for f in flag_ids]
    out: list[FlagState] = []
    with project.batch() as b:
        for flag_id in dict.fromkeys(ids):
            flag = b.proj.flag(flag_id) if 0 < flag_id < 2**63 else None
            if flag is None:
                raise UnknownFlag(f"no flag {flag_id}; list them with `reelprov flags`")
            if flag["status"] not in DECIDED:
                raise FlagStateError(
                    f"flag {flag_id} is {flag['status']}: there is no decision on it to revoke"
                    + (
                        " (decide it with approve, reject or waive)"
                        if flag["status"] == "open"
                        else ""
                    )
                )
            asset = b.proj.asset(flag["asset"])
            assert asset is not None
            was = {
                "decision": flag["status"],
                "by": flag["decided_by"],
                "ref": flag["ref"],
                "at": flag["decided_at"],
            }
            b.append(
                "revoked",
                flag["asset"],
                {"flag_id": flag_id, "by": by, "note": note, "ref": ref, "was": was},
            )
            updated = _as_now(b, flag_id)
            b.emit(
                FlagRevoked(
                    flag=FlagRef.of(updated),
                    asset=AssetRef.of(asset),
                    revoked=Revocation(by=by, note=note, ref=ref, was=PriorDecision(**was)),
                )
            )
            out.append(updated)
    return out


def _as_now(b: Batch, flag_id: int) -> FlagState:
    """A copy of flag FLAG_ID as this batch leaves it (decided or revoked just now)."""
    flag = b.proj.flag(flag_id)
    assert flag is not None  # it was found before the entry was appended
    return flag.copy()


def _other_content(project: Project, flag: Mapping[str, Any], path: str, seen: str) -> None:
    """Refuse a decision on content other than the one reviewed, saying whether SEEN was an earlier
    version of the file (it changed since) or no version of it at all (a mistyped hash)."""
    earlier = any(
        str(e["payload"].get("sha256", "")).startswith(seen)
        for e in project.reader.entries(project.cfg.project_id, asset=flag["asset"])
    )
    if not earlier:
        raise ReviewedOtherContent(
            f"flag {flag['id']} on {one_line(path)}: no version of this file has content sha256 {seen[:12]}...; check the "
            f"hash you copied (this flag judges {flag['sha256'][:12]}, as `reelprov flags` shows)"
        )
    raise ReviewedOtherContent(
        f"flag {flag['id']} on {one_line(path)} now judges content sha256 {flag['sha256'][:12]}, not the {seen[:12]} "
        f"you reviewed: the file changed since; look at it again (`reelprov show {shlex.quote(path)}`) and "
        f"decide with {{sha256}} {flag['sha256'][:12]}",
        inputs=("sha256",),
    )


# The shortest SHA-256 prefix a decision may name the reviewed content by (reports show 12 or more).
MIN_SHA_PREFIX = 8


def _sha_prefix(text: str) -> str:
    sha = text.strip().lower()
    if not (MIN_SHA_PREFIX <= len(sha) <= 64) or any(c not in "0123456789abcdef" for c in sha):
        raise ReelprovError(
            f"{{sha256}} {text!r}: give the reviewed content's SHA-256 as hex, at least its first "
            f"{MIN_SHA_PREFIX} characters (`reelprov flags` and the report show it)",
            inputs=("sha256",),
        )
    return sha
