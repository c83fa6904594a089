"""Canonical encoding of ledger entries and the SHA-256 chain over them."""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring as _quote
from typing import Any

GENESIS_HASH = "0" * 64
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(obj: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept as is."""
    return _CANONICAL.encode(obj)


def _header(
    project: str,
    seq: int,
    asset: str | None,
    kind: str,
    actor: str,
    host: str,
    ts: str,
    prev_hash: str,
) -> str:
    """canonical() of the entry header, written out: the same text (tests/ledger/test_chain.py
    checks it against canonical), without building a dict and an encoder pass per entry."""
    return (
        f'{{"actor":{_quote(actor)},"asset":{"null" if asset is None else _quote(asset)},'
        f'"host":{_quote(host)},"kind":{_quote(kind)},"prev_hash":{_quote(prev_hash)},'
        f'"project":{_quote(project)},"seq":{int(seq)!r},"ts":{_quote(ts)}}}'
    )


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
    header = _header(project, seq, asset, kind, actor, host, ts, prev_hash)
    h = hashlib.sha256(header.encode("utf-8"))
    h.update(b"\n")
    h.update(payload.encode("utf-8"))
    return h.hexdigest()
