"""Canonical encoding of ledger entries and the SHA-256 chain over them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64


def canonical(obj: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    *,
    project: str,
    seq: int,
    asset: str | None,
    kind: str,
    payload: str,
    actor: str,
    host: str,
    ts: str,
    prev_hash: str,
) -> str:
    """SHA-256 over every field of the entry and prev_hash: the canonical header, a newline,
    then the payload exactly as stored (already canonical, so it is not encoded twice).

    seq is inside the hash, so reordering or renumbering rows breaks the chain too.
    """
    header = canonical(
        {
            "project": project,
            "seq": seq,
            "asset": asset,
            "kind": kind,
            "actor": actor,
            "host": host,
            "ts": ts,
            "prev_hash": prev_hash,
        }
    )
    h = hashlib.sha256(header.encode("utf-8"))
    h.update(b"\n")
    h.update(payload.encode("utf-8"))
    return h.hexdigest()
