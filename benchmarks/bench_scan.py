"""reelprov scan vs ExifTool (`exiftool -q -json -r`) over the same generated trees, in one run.

    python benchmarks/bench_scan.py [--sizes 2000 20000] [--shape samples vfx] [--repeat N]

Two shapes of tree: `samples`, copies of every sample in sample_media/ (each marker family, C2PA,
audio, video, deliberately broken files; common.make_tree), and `vfx`, a feature's VFX folders of
small frame files, 10% with a generator's parameters (common.make_vfx_tree, what issue 23 asks
about at 50,000 files).

reelprov also hashes every file, classifies it and writes the ledger; ExifTool only reads
metadata. Both start cold (fresh process); the OS page cache is warmed once for both first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env, make_tree, make_vfx_tree, media_only, timed  # noqa: E402

SHAPES = {"samples": make_tree, "vfx": make_vfx_tree}


def run(n: int, work: Path, repeat: int, shape: str = "samples") -> dict[str, float]:
    tree = SHAPES[shape](work / f"{shape}{n}", n)
    subprocess.run(
        f"find {tree} -type f -exec cat {{}} + > /dev/null", shell=True, check=True
    )  # warm the page cache for both
    # and let the disk write the new tree back first: otherwise the first runs share it with the
    # writeback, which slows reelprov's commits (they wait for the disk) and not ExifTool's reads
    os.sync()
    exif, rp, rescan = [], [], []
    for _ in range(
        repeat
    ):  # alternate the two, so a noisy moment on this shared VM hits both alike
        media_only(tree)  # the same tree for both, every run
        # exit 1 is expected: the tree holds deliberately broken files, which ExifTool reports
        os.sync()
        exif.append(timed(["exiftool", "-q", "-json", "-r", str(tree)], check=False))
        subprocess.run(
            [REELPROV, "init", str(tree)], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        # each run starts with the disk idle: the last run's ledger, just deleted, is not still being
        # written back while this one's commits wait for the disk (ExifTool writes nothing)
        os.sync()
        rp.append(timed([REELPROV, "--project", str(tree), "scan"], env=env()))
        rescan.append(timed([REELPROV, "--project", str(tree), "scan"], env=env()))
    med = statistics.median
    shutil.rmtree(tree)
    return {"files": n, "exiftool_s": med(exif), "reelprov_s": med(rp), "rescan_s": med(rescan)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--shape", nargs="+", choices=sorted(SHAPES), default=["samples", "vfx"])
    ap.add_argument("--repeat", type=int, default=1, help="runs per size (medians are printed)")
    args = ap.parse_args()
    if not shutil.which("exiftool"):
        sys.exit("exiftool not found: apt-get install libimage-exiftool-perl")
    with tempfile.TemporaryDirectory(prefix="rp-bench-") as d:
        print(
            f"{'shape':>7} {'files':>7} {'exiftool s':>11} {'files/s':>9} {'reelprov s':>11} {'files/s':>9} {'ratio':>7} {'rescan s':>9}"
        )
        for shape in args.shape:
            for n in args.sizes:
                r = run(n, Path(d), args.repeat, shape)
                print(
                    f"{shape:>7} {n:>7} {r['exiftool_s']:>11.2f} {n / r['exiftool_s']:>9.0f} {r['reelprov_s']:>11.2f} "
                    f"{n / r['reelprov_s']:>9.0f} {r['exiftool_s'] / r['reelprov_s']:>6.1f}x {r['rescan_s']:>9.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
