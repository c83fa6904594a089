"""Ledger-level scale: time and peak RSS of the read commands at 10k / 100k / 1M assets, the growth
exponent of each, on SQLite (and PostgreSQL with --postgres URL).

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--postgres URL]

Each size is a synthetic ledger written through the real Ledger API (synth.populate: every asset
`seen` plus its evidence; one flag in five; 2.2 entries per asset). Per command: wall seconds and
the child's peak RSS (MB), then the ratio of the largest size's RSS to the smallest's (issue 23's
target: within 1.5x from 10k to 1M) and the growth exponent of the time, log(t2/t1)/log(n2/n1)
(1.0 is linear). verify also prints entries per second (target: at least 50,000 at 1M).

What this does not cover yet (issue 23): a 1M-file tree on disk (cold scan, unchanged rescan,
watcher reconcile, ExifTool at 10k/100k). bench_scan.py times the scan against ExifTool.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env, pg_schema  # noqa: E402
from synth import populate  # noqa: E402

COMMANDS = {
    "verify": ["verify"],
    "ls --json": ["ls", "--json"],
    "ls --flagged --json": ["ls", "--flagged", "--json"],
    "flags --json": ["flags", "--json"],
    "report --format json --no-verify": [
        "report",
        "--format",
        "json",
        "--no-verify",
        "--output",
        "{out}",
    ],
    "show one asset": ["show", "final/reel000/shot0000000.png", "--json"],
}


def run_one(cmd: list[str], e: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command. RSS through GNU time: a child forked from
    this process would count this process's own memory as its floor (Linux keeps the high-water
    mark across fork and exec), and this process holds the synthetic ledger's writer."""
    t = time.perf_counter()
    r = subprocess.run(
        ["/usr/bin/time", "-f", "RSS_KB %M", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=e,
        check=False,
    )
    wall = time.perf_counter() - t
    if r.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-500:]}")
    rss = [line for line in r.stderr.splitlines() if line.startswith("RSS_KB ")][-1]
    return wall, int(rss.split()[1]) / 1024


def measure(root: Path, e: dict[str, str], n: int) -> dict[str, tuple[float, float]]:
    from reelprov.project import Project

    root.mkdir(parents=True)
    subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=e)
    os.environ.update({k: v for k, v in e.items() if k.startswith("REELPROV_")})
    p = Project.open(root)
    t = time.perf_counter()
    entries = populate(p, assets=n, progress=False)
    p.close()
    print(
        f"  {n:>9,} assets: {entries:,} entries written in {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    out: dict[str, tuple[float, float]] = {"entries": (float(entries), 0.0)}
    for label, args in COMMANDS.items():
        cmd = [REELPROV, "-P", str(root), *(a.format(out=root / "report.json") for a in args)]
        out[label] = run_one(cmd, e)
        wall, rss = out[label]
        extra = f"  ({entries / wall:,.0f} entries/s)" if label == "verify" else ""
        print(f"    {label:34s} {wall:8.2f} s  {rss:7.0f} MB{extra}", flush=True)
    return out


def summary(label: str, sizes: list[int], results: list[dict[str, tuple[float, float]]]) -> None:
    lo, hi = 0, len(sizes) - 1
    print(f"\n{label}: {sizes[lo]:,} -> {sizes[hi]:,} assets")
    print(f"  {'command':34s} {'RSS ratio':>9s}  {'time exponent':>13s}")
    for cmd in COMMANDS:
        (t1, r1), (t2, r2) = results[lo][cmd], results[hi][cmd]
        exp = math.log(max(t2, 1e-3) / max(t1, 1e-3)) / math.log(sizes[hi] / sizes[lo])
        print(f"  {cmd:34s} {r2 / r1:8.2f}x  {exp:13.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--postgres", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-scale-") as d:
        print("SQLite:")
        res = [measure(Path(d) / f"sqlite{n}", env(), n) for n in args.sizes]
        summary("SQLite", args.sizes, res)
        if args.postgres:
            print("\nPostgreSQL:")
            res = []
            for n in args.sizes:
                with pg_schema(args.postgres) as url:
                    res.append(measure(Path(d) / f"pg{n}", env(REELPROV_DATABASE_URL=url), n))
            summary("PostgreSQL", args.sizes, res)


if __name__ == "__main__":
    main()
