"""A cold `reelprov scan` of one tree under other versions of the code, alternated run by run, with
the scan process's own CPU (what limits a scan of a few thousand files: its single writer).

    git worktree add /tmp/base <commit>
    python benchmarks/bench_scan_versions.py --source /tmp/base/src [--files 2000] [--runs 21]

Each run: `reelprov init` on the media-only tree, `sync` (the disk idle), then the scan, timed; the
versions take turns (this checkout first, then each --source on PYTHONPATH), so a noisy moment of
this shared VM hits all alike. Prints the first quartile, median and minimum of the wall time and
of the scan process's CPU (getrusage at its exit: its examining processes are not counted).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BIN, REELPROV, env, make_vfx_tree  # noqa: E402

# `reelprov` run as the program, as the console script runs it, telling its own CPU at exit
_SCAN = (
    "import atexit, os, resource, sys\n"
    "def said():\n"
    "    ru = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    with open(os.environ['BENCH_CPU_FILE'], 'w') as f:\n"
    "        f.write(repr(ru.ru_utime + ru.ru_stime))\n"
    "atexit.register(said)\n"
    "sys.argv = ['reelprov', *sys.argv[1:]]\n"
    "from reelprov.cli import main\n"
    "main()\n"
)


def scan_once(tree: Path, e: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (ms) of one cold scan of TREE."""
    for own in (".reelprov", "hooks"):
        shutil.rmtree(tree / own, ignore_errors=True)
    (tree / "reelprov.toml").unlink(missing_ok=True)
    subprocess.run([REELPROV, "init", str(tree)], check=True, stdout=subprocess.DEVNULL, env=e)
    os.sync()
    told = tree.parent / "cpu"
    t = time.perf_counter()
    subprocess.run(
        [str(BIN / "python"), "-c", _SCAN, "--project", str(tree), "scan"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**e, "BENCH_CPU_FILE": str(told)},
    )
    wall = time.perf_counter() - t
    cpu = float(told.read_text())
    return wall * 1000, cpu * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", action="append", default=[], help="another version's src folder")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=21)
    args = ap.parse_args()
    versions = {"this checkout": env()}
    for src in args.source:
        versions[src] = env(PYTHONPATH=str(Path(src).resolve()))
    walls: dict[str, list[float]] = {v: [] for v in versions}
    cpus: dict[str, list[float]] = {v: [] for v in versions}
    with tempfile.TemporaryDirectory(prefix="rp-bench-") as d:
        tree = make_vfx_tree(Path(d) / "vfx", args.files)
        for e in versions.values():  # each version's bytecode written once, not timed
            scan_once(tree, e)
        for _ in range(args.runs):
            for name, e in versions.items():
                wall, cpu = scan_once(tree, e)
                walls[name].append(wall)
                cpus[name].append(cpu)
    print(f"{args.files:,} VFX frames, cold scan, {args.runs} runs each alternated (ms)")
    print(
        f"{'version':40s} {'wall q1':>8s} {'median':>7s} {'min':>6s}   {'CPU q1':>7s} {'median':>7s} {'min':>6s}"
    )
    for name in versions:
        w, c = sorted(walls[name]), sorted(cpus[name])
        print(
            f"{name[-40:]:40s} {w[len(w) // 4]:8.0f} {statistics.median(w):7.0f} {w[0]:6.0f}   "
            f"{c[len(c) // 4]:7.0f} {statistics.median(c):7.0f} {c[0]:6.0f}"
        )


if __name__ == "__main__":
    main()
