"""Hashing a large file: reelprov's streaming digest vs `sha256sum`, in one run, with peak memory.

python benchmarks/bench_hash.py [--gb 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    args = ap.parse_args()
    size = int(args.gb * (1 << 30))
    with tempfile.TemporaryDirectory(prefix="rp-hash-") as d:
        big = Path(d) / "plate.mov"
        block = os.urandom(1 << 20)
        with open(big, "wb") as f:
            for _ in range(size >> 20):
                f.write(block)
        subprocess.run(
            ["cat", str(big)], stdout=subprocess.DEVNULL, check=True
        )  # same warm page cache for both
        t = time.perf_counter()
        ref = subprocess.run(
            ["sha256sum", str(big)], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        t_sum = time.perf_counter() - t
        code = (
            f"import sys, resource, time; sys.path.insert(0, {SRC!r})\n"
            "from reelprov.hashing import digest_file\n"
            "t = time.perf_counter(); d = digest_file(sys.argv[1]); el = time.perf_counter() - t\n"
            "print(d.sha256, el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(big)], capture_output=True, text=True, check=True
        ).stdout.split()
        assert out[0] == ref, "digest differs from sha256sum"
        t_rp, rss_mb = float(out[1]), int(out[2]) / 1024
        mb = size / (1 << 20)
        print(
            f"file {args.gb:g} GiB | sha256sum {mb / t_sum:.0f} MiB/s | reelprov {mb / t_rp:.0f} MiB/s "
            f"({t_sum / t_rp * 100:.0f}% of sha256sum) | reelprov peak RSS {rss_mb:.0f} MiB"
        )


if __name__ == "__main__":
    main()
