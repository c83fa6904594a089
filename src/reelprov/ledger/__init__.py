"""The append-only, hash-chained ledger and the projections it drives.

Names load on first use: `reelprov.ledger.reader` (read commands) must not pull in SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelprov.ledger.chain import GENESIS_HASH, canonical, entry_hash
    from reelprov.ledger.store import Batch, Ledger

__all__ = ["GENESIS_HASH", "Batch", "Ledger", "canonical", "entry_hash"]
_WHERE = {
    "GENESIS_HASH": "chain",
    "canonical": "chain",
    "entry_hash": "chain",
    "Batch": "store",
    "Ledger": "store",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"reelprov.ledger.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'reelprov.ledger' has no attribute {name!r}")
