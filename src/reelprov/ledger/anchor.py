"""Anchors: ledger heads (seq, hash) kept outside the database, so that a ledger wiped, rewritten
or cut short (a lost WAL after kill -9, a restored old copy) fails `verify` and the delivery gate.

Whoever can write the database can recompute every hash of the chain; only a head recorded
elsewhere shows that history up to it is still as it was. reelprov appends the head to an
append-only file (`[ledger] anchor_file`, by default one per project under the user's data
folder, outside the project) and, where set, posts it to a URL (`[ledger] anchor_url`): `reelprov
anchor` does, the watcher does after its reconcile and every few minutes while the ledger grows,
and every report does for the head it was built from. `verify` and the gate check every anchor
in the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelprov.errors import ReelprovError

if TYPE_CHECKING:
    from reelprov.config import ProjectConfig
    from reelprov.contract import AnchoredJson

# The anchor file read back is bounded: one line per report or watcher interval is a few MB a year.
MAX_ANCHOR_FILE = 64 << 20


@dataclass
class Recorded:
    """Where a head went, and what failed (a URL down is said, never fatal)."""

    seq: int
    hash: str
    places: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> AnchoredJson:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "recorded_in": self.places,
            "failed": self.failures,
        }


def record(
    cfg: ProjectConfig,
    seq: int,
    head_hash: str,
    *,
    file: Path | None = None,
    url: str | None = None,
) -> Recorded:
    """Append the head (SEQ, HEAD_HASH) to the anchor file and post it to the anchor URL (the
    project's, or FILE / URL). The same head already last in the file is not written again."""
    import socket
    from datetime import UTC, datetime

    out = Recorded(seq, head_hash)
    line = {
        "project": cfg.project_id,
        "seq": seq,
        "hash": head_hash,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
    }
    target = file or cfg.anchor_file
    if target is not None:
        try:
            if _last(target, cfg.project_id) != (seq, head_hash):
                _append(target, (json.dumps(line, sort_keys=True) + "\n").encode())
            out.places.append(str(target))
        except OSError as exc:
            out.failures.append(f"{target}: {exc.strerror or exc}")
        except ReelprovError as exc:
            out.failures.append(str(exc))
    where = url or cfg.anchor_url
    if where:
        try:
            _post(where, line)
            out.places.append(where)
        except (OSError, ValueError) as exc:
            out.failures.append(f"{where}: {exc}")
    return out


def _append(path: Path, data: bytes) -> None:
    """One append, never through a symbolic link planted at the anchor file's name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _post(url: str, line: dict[str, Any]) -> None:
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise ValueError("anchor_url must be an http:// or https:// URL")
    req = urllib.request.Request(
        url,
        data=json.dumps(line).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - the scheme is checked above
        if resp.status >= 300:
            raise ValueError(f"the server answered {resp.status}")


def _lines(path: Path, project_id: str) -> tuple[list[tuple[int, str]], int]:
    """This project's anchors in PATH, in order, and how many lines could not be read."""
    from reelprov.files import open_regular

    try:
        f = open_regular(path, follow=False)
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise ReelprovError(
            f"{path}: cannot read the anchor file ({exc.strerror or exc}); fix its permissions, "
            "or point [ledger] anchor_file at the right one"
        ) from None
    with f:
        data = f.read(MAX_ANCHOR_FILE + 1)
    if len(data) > MAX_ANCHOR_FILE:
        raise ReelprovError(
            f"{path}: the anchor file is over {MAX_ANCHOR_FILE:,} bytes; keep its last lines only"
        )
    out, bad = [], 0
    for raw in data.splitlines():
        try:
            item = json.loads(raw)
            if item["project"] == project_id:
                out.append((int(item["seq"]), str(item["hash"])))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return out, bad


def _last(path: Path, project_id: str) -> tuple[int, str] | None:
    found, _ = _lines(path, project_id)
    return found[-1] if found else None


def load(cfg: ProjectConfig) -> tuple[dict[int, str], list[str]]:
    """Every anchor of this project in its anchor file ({seq: hash}), and the problems the file
    itself shows: two different hashes kept for one entry mean history was rewritten between
    them (both cannot hold)."""
    if cfg.anchor_file is None:
        return {}, []
    found, _ = _lines(cfg.anchor_file, cfg.project_id)
    out: dict[int, str] = {}
    problems: list[str] = []
    for seq, h in found:
        if out.get(seq, h) != h:
            problems.append(
                f"entry {seq}: the anchor file {cfg.anchor_file} holds two different hashes for it "
                f"({out[seq][:16]}..., {h[:16]}...): history was rewritten between them"
            )
        out.setdefault(seq, h)
    return out, problems
