"""Scale: time and peak RSS of every project-sized command at 10k / 100k / 1M, the growth exponent
of each, on SQLite (and PostgreSQL with --postgres URL). Two parts:

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--postgres URL]   # ledgers
    python benchmarks/bench_scale.py --tree [--sizes ...] [--postgres URL]             # files
    (--postgres-only with --postgres: the PostgreSQL run alone)

--tree generates a VFX-shaped tree of small frame files (common.make_vfx_tree: EXR plates, PNG
comps, JPEG renders, 10% PNG frames with a generator's parameters; ~4 KB each, ~4 GB at 1M,
removed after) and measures the cold `scan`, an unchanged rescan, `ls --json`, `verify`, `report
--format json --no-verify`, and `reelprov watch` from start to reconciled (the peak RSS of the
watcher and, apart, of its reading processes); ExifTool `-q -json -r` over the same tree at 100k
files and below, as the peer.

Each size is a synthetic ledger written through the real Ledger API (synth.populate: every asset
one `seen` entry with what its reading found, as a scan records a new file; one flag in five; 1.2
entries per asset; before 2026-12-07 a seen and an evidence entry, 2.2 per asset); after the read commands, `cut
import` of a 30-clip EDL naming assets by media path and clip name (write_cut) and `db rebuild`
replaying the whole ledger. Per command: wall seconds and
the child's peak RSS (MB), then the ratio of the largest size's RSS to the smallest's (issue 23's
target: within 1.5x from 10k to 1M) and the growth exponent of the time, log(t2/t1)/log(n2/n1)
(1.0 is linear). verify also prints entries per second (target: at least 50,000 at 1M).

bench_scan.py times the cold scan against ExifTool at smaller sizes, several runs each.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env, make_vfx_tree, pg_schema  # noqa: E402
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
    # these two write: after the read commands
    "cut import (30 clips)": ["cut", "import", "{edl}", "--json"],
    "db rebuild": ["db", "rebuild"],
}

CUT_CLIPS = 30


def write_cut(root: Path, n: int) -> Path:
    """An EDL of CUT_CLIPS one-second events cutting in assets spread over the first 3,000 (all
    there at every size): two in three named by their media path on the editor's share, the rest
    by clip name alone; the project maps the share onto itself."""
    step = min(n, 3000) // CUT_CLIPS
    lines = ["TITLE: BENCH R1", "FCM: NON-DROP FRAME", ""]
    for k in range(CUT_CLIPS):
        i = k * step
        path = f"{'final' if i % 3 == 0 else 'temp'}/reel{i // 1000:03d}/shot{i:07d}.png"
        lines += [
            f"{k + 1:03d}  AX       V     C        00:00:00:00 00:00:01:00 "
            f"01:00:{k:02d}:00 01:00:{k + 1:02d}:00",
            f"* FROM CLIP NAME: {path.rsplit('/', 1)[1]}",
            *([f"* SOURCE FILE: /Volumes/SHOW/{path}"] if k % 3 else []),
            "",
        ]
    edl = root / "bench_r1.edl"
    edl.write_text("\n".join(lines))
    cfg = root / "reelprov.toml"
    cfg.write_text(cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }'))
    return edl


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
    edl = write_cut(root, n)
    for label, args in COMMANDS.items():
        cmd = [
            REELPROV,
            "-P",
            str(root),
            *(a.format(out=root / "report.json", edl=edl) for a in args),
        ]
        out[label] = run_one(cmd, e)
        wall, rss = out[label]
        extra = f"  ({entries / wall:,.0f} entries/s)" if label == "verify" else ""
        print(f"    {label:34s} {wall:8.2f} s  {rss:7.0f} MB{extra}", flush=True)
    return out


TREE_COMMANDS = {
    "scan (cold)": ["scan"],
    "scan (unchanged)": ["scan"],
    "ls --json": ["ls", "--json"],
    "verify": ["verify"],
    "report --format json --no-verify": COMMANDS["report --format json --no-verify"],
}
EXIFTOOL_UP_TO = 100_000


def _vm_hwm_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a live process, MB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        out += [int(x) for x in task.read_text().split()]
    return out


def watch_reconcile(root: Path, e: dict[str, str]) -> tuple[float, float, float]:
    """`reelprov watch` from start until its status says reconciled: wall seconds, the watcher's
    peak RSS and its reading processes' largest (MB). The tree is unchanged since the last scan."""
    import json
    import signal

    t = time.perf_counter()
    w = subprocess.Popen(
        [REELPROV, "-P", str(root), "watch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=e,
    )
    try:
        while True:
            st = subprocess.run(
                [REELPROV, "-P", str(root), "status", "--json"],
                capture_output=True,
                text=True,
                env=e,
                check=False,
            )
            if st.stdout.strip() and json.loads(st.stdout).get("reconciled_at"):
                break
            if w.poll() is not None:
                raise SystemExit(f"reelprov watch exited {w.returncode}")
            time.sleep(0.2)
        wall = time.perf_counter() - t
        main_mb = _vm_hwm_mb(w.pid)
        readers = max((_vm_hwm_mb(c) for c in _children(w.pid)), default=0.0)
    finally:
        w.send_signal(signal.SIGTERM)
        w.wait(60)
    return wall, main_mb, readers


def measure_tree(root: Path, e: dict[str, str], n: int) -> dict[str, tuple[float, float]]:
    t = time.perf_counter()
    make_vfx_tree(root, n)
    print(f"  {n:>9,} files: tree written in {time.perf_counter() - t:.0f} s", flush=True)
    out: dict[str, tuple[float, float]] = {}
    if n <= EXIFTOOL_UP_TO:
        # exit 1 is possible: ExifTool reports files it finds odd; it has read them all
        out["exiftool -q -json -r"] = run_one(["exiftool", "-q", "-json", "-r", str(root)], e)
        wall, rss = out["exiftool -q -json -r"]
        print(f"    {'exiftool -q -json -r':34s} {wall:8.2f} s  {rss:7.0f} MB", flush=True)
    subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=e)
    for label, args in TREE_COMMANDS.items():
        cmd = [REELPROV, "-P", str(root), *(a.format(out=root / "report.json") for a in args)]
        out[label] = run_one(cmd, e)
        wall, rss = out[label]
        extra = f"  ({n / wall:,.0f} files/s)" if label.startswith("scan") else ""
        if label == "scan (cold)" and "exiftool -q -json -r" in out:
            extra += f"  {out['exiftool -q -json -r'][0] / wall:.1f}x ExifTool"
        print(f"    {label:34s} {wall:8.2f} s  {rss:7.0f} MB{extra}", flush=True)
    wall, main_mb, readers = watch_reconcile(root, e)
    out["watch: start to reconciled"] = (wall, main_mb)
    out["watch: a reading process"] = (wall, readers)
    print(f"    {'watch: start to reconciled':34s} {wall:8.2f} s  {main_mb:7.0f} MB", flush=True)
    print(f"    {'watch: a reading process':34s} {'':10s}  {readers:7.0f} MB", flush=True)
    shutil.rmtree(root)
    return out


def summary(
    label: str,
    sizes: list[int],
    results: list[dict[str, tuple[float, float]]],
    commands: list[str] | None = None,
) -> None:
    lo, hi = 0, len(sizes) - 1
    if sizes[hi] == sizes[lo]:
        return  # one size: nothing grows
    print(f"\n{label}: {sizes[lo]:,} -> {sizes[hi]:,}")
    print(f"  {'command':34s} {'RSS ratio':>9s}  {'time exponent':>13s}")
    for cmd in commands or list(COMMANDS):
        if cmd not in results[lo] or cmd not in results[hi]:
            continue
        (t1, r1), (t2, r2) = results[lo][cmd], results[hi][cmd]
        exp = math.log(max(t2, 1e-3) / max(t1, 1e-3)) / math.log(sizes[hi] / sizes[lo])
        print(f"  {cmd:34s} {r2 / r1:8.2f}x  {exp:13.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--postgres", default=None)
    ap.add_argument("--tree", action="store_true", help="files on disk instead of ledgers")
    ap.add_argument(
        "--postgres-only", action="store_true", help="with --postgres: leave the SQLite run out"
    )
    args = ap.parse_args()
    if args.tree:
        tree_main(args.sizes, args.postgres, sqlite=not args.postgres_only)
        return
    with tempfile.TemporaryDirectory(prefix="rp-scale-") as d:
        if not args.postgres_only:
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


def tree_main(sizes: list[int], postgres: str | None, *, sqlite: bool = True) -> None:
    names = [
        "exiftool -q -json -r",
        *TREE_COMMANDS,
        "watch: start to reconciled",
        "watch: a reading process",
    ]
    with tempfile.TemporaryDirectory(prefix="rp-scale-tree-") as d:
        if sqlite:
            print("Files on disk, SQLite:")
            res = [measure_tree(Path(d) / f"tree{n}", env(), n) for n in sizes]
            summary("Files on disk, SQLite", sizes, res, names)
        if postgres:
            print("\nFiles on disk, PostgreSQL:")
            res = []
            for n in sizes:
                with pg_schema(postgres) as url:
                    res.append(
                        measure_tree(Path(d) / f"pgtree{n}", env(REELPROV_DATABASE_URL=url), n)
                    )
            summary("Files on disk, PostgreSQL", sizes, res, names)


if __name__ == "__main__":
    main()
