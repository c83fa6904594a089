"""The watcher against a model (tests/watch/model.py), short runs; benchmarks/hardening_watch_model.py
runs it long. It found a file deleted while being read left in the ledger, and polling's moves
by reused inode numbers putting an asset at a folder's path or dropping a replaced file's content."""

from __future__ import annotations

import warnings

import pytest

from tests.watch.model import run_model


@pytest.mark.parametrize(("backend", "seed", "rounds"), [("inotify", 4, 14), ("polling", 24, 4)])
def test_the_ledger_follows_random_bursts_of_changes(backend: str, seed: int, rounds: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # watchdog's own notes on re-added watches
        out = run_model(seed, rounds, polling=backend == "polling")
    assert out.problem is None, f"seed {seed}, round {out.rounds}: {out.problem}"
    assert out.rounds == rounds and len(out.ops) > rounds
