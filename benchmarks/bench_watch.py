"""Watch latency (file close -> ledger entry and flag, p50/p95 over 500 files) and daemon RSS on 100,000 files.

python benchmarks/bench_watch.py [--files 500] [--tree 100000] [--settle 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env  # noqa: E402


def wait(cond, timeout: float = 600.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise SystemExit("timed out")


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    vals = {
        line.split(":")[0]: int(line.split()[1])
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return vals["VmRSS"] / 1024, vals["VmHWM"] / 1024


def pss_mb(pid: int) -> float:
    """Proportional set size: pages shared with other processes counted by their share."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return (
        next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")) / 1024
    )


def latency(n: int, settle: float, work: Path) -> None:
    root = work / "lat"
    root.mkdir()
    subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env())
    proc = subprocess.Popen(
        [REELPROV, "-P", str(root), "watch", "--settle", str(settle)],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(
            lambda: (
                (root / ".reelprov").glob("watch-*.json")
                and any((root / ".reelprov").glob("watch-*.json"))
            )
        )
        data = (SAMPLES / "generators/a1111_txt2img.png").read_bytes()
        closed: dict[str, float] = {}
        (root / "final").mkdir()
        for i in range(n):
            rel = f"final/gen{i:04d}.png"
            with open(root / rel, "wb") as f:
                f.write(data + str(i).encode())
            closed[rel] = time.time()
            time.sleep(0.01)  # a steady stream, not one burst
        db = sqlite3.connect(root / ".reelprov/ledger.db")

        def done() -> bool:
            return (
                db.execute(
                    "SELECT count(DISTINCT asset) FROM ledger_entry WHERE kind = 'flagged'"
                ).fetchone()[0]
                >= n
            )

        wait(done)
        rows = db.execute(
            "SELECT a.path, e.kind, min(e.ts) FROM ledger_entry e JOIN asset a ON a.id = e.asset "
            "WHERE e.kind IN ('seen', 'flagged') GROUP BY a.path, e.kind"
        ).fetchall()
        lat: dict[str, list[float]] = {"seen": [], "flagged": []}
        for path, kind, ts in rows:
            lat[kind].append(datetime.fromisoformat(ts).timestamp() - closed[path])
        for kind, xs in lat.items():
            xs.sort()
            label = "recorded" if kind == "seen" else "flagged"
            print(
                f"{label:>8}: p50 {statistics.median(xs):.2f} s  p95 {xs[int(len(xs) * 0.95) - 1]:.2f} s  max {xs[-1]:.2f} s "
                f"(settle window {settle} s; goal p95 <= {settle + 0.25:.2f} s) over {len(xs)} files"
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def rss(tree: int, work: Path) -> None:
    root = work / "big"
    root.mkdir()
    for i in range(tree):
        d = root / f"reel{i // 2000:03d}" / f"shot{(i // 100) % 20:02d}"
        if i % 100 == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.dpx").write_bytes(i.to_bytes(4, "little"))
    subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env())
    t = time.perf_counter()
    subprocess.run(
        [REELPROV, "-P", str(root), "scan"], check=True, stdout=subprocess.DEVNULL, env=env()
    )
    print(f"initial scan of {tree} files: {time.perf_counter() - t:.0f} s")
    proc = subprocess.Popen(
        [REELPROV, "-P", str(root), "watch"],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(lambda: any((root / ".reelprov").glob("watch-*.json")))
        time.sleep(5)
        now, peak = rss_mb(proc.pid)
        print(
            f"watcher on {tree} files (reconciled, observing): RSS {now:.0f} MiB, peak {peak:.0f} MiB (goal < 200 MiB)"
        )
        # One changed file starts the processes the watcher reads files in (forked from it: their
        # pages are shared with it until written, so their own cost is their proportional share).
        (root / "reel000/new.png").write_bytes(
            (SAMPLES / "generators/a1111_txt2img.png").read_bytes()
        )
        db = sqlite3.connect(root / ".reelprov/ledger.db")
        wait(
            lambda: (
                db.execute("SELECT count(*) FROM asset WHERE path = 'reel000/new.png'").fetchone()[
                    0
                ]
                > 0
            )
        )
        db.close()
        readers = [
            int(c)
            for t in Path(f"/proc/{proc.pid}/task").iterdir()  # forked by its reading threads
            for c in (t / "children").read_text().split()
        ]
        pss, own = sum(pss_mb(c) for c in readers), pss_mb(proc.pid)
        print(
            f"  after reading a file: watcher RSS {rss_mb(proc.pid)[0]:.0f} MiB (PSS {own:.0f}); "
            f"{len(readers)} reading processes, PSS {pss:.0f} MiB in all; together {own + pss:.0f} MiB"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--tree", type=int, default=100_000)
    ap.add_argument("--settle", type=float, default=2.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-watch-") as d:
        if args.files:
            latency(args.files, args.settle, Path(d))
        if args.tree:
            rss(args.tree, Path(d))


if __name__ == "__main__":
    os.environ.setdefault("REELPROV_ACTOR", "bench")
    main()
