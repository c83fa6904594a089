"""The watcher against a model, long: random bursts of file operations under a running watcher,
the ledger checked against the tree after each burst (tests/watch/model.py).

    python benchmarks/hardening_watch_model.py --seeds 10 --rounds 40            # inotify
    python benchmarks/hardening_watch_model.py --seeds 10 --rounds 25 --polling  # as on NFS/SMB

Exit 1 naming the seed, the round and the difference if any run's ledger does not follow.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.watch.model import run_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--polling", action="store_true")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the watcher's own lines; what matters is printed below
    warnings.simplefilter("ignore", RuntimeWarning)
    failed, ops, t0 = 0, 0, time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        out = run_model(seed, args.rounds, polling=args.polling)
        ops += len(out.ops)
        print(
            f"seed {seed}: {'OK' if out.problem is None else 'FAIL'} after {out.rounds} rounds, {len(out.ops)} operations"
            + (f"\n  {out.problem}" if out.problem else ""),
            flush=True,
        )
        failed += out.problem is not None
    backend = "polling" if args.polling else "inotify"
    print(
        f"{args.seeds} runs ({backend}), {ops} operations in {time.perf_counter() - t0:.0f} s: "
        f"{'PASS' if not failed else f'{failed} FAILED'}"
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
