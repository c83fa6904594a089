"""The append-only, hash-chained ledger and the projections it drives."""

from __future__ import annotations

from reelprov.ledger.chain import GENESIS_HASH, canonical, entry_hash
from reelprov.ledger.store import Batch, Entry, Ledger

__all__ = ["GENESIS_HASH", "Batch", "Entry", "Ledger", "canonical", "entry_hash"]
