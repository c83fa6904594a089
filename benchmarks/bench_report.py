"""Pre-delivery report at scale: 100,000 assets / 20,000 flags; time, peak memory, file size per format.

    python benchmarks/bench_report.py [--assets 100000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env  # noqa: E402
from synth import populate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-report-") as d:
        root = Path(d) / "show"
        root.mkdir()
        subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env())
        from reelprov.project import Project

        p = Project.open(root)
        populate(p, assets=args.assets, progress=False)
        p.close()
        for fmt, extra in (("html", ["--no-verify"]), ("json", ["--no-verify"]), ("csv", ["--no-verify"]), ("html", [])):
            out = root / f"r.{fmt}"
            code = ("import resource, sys, time; from reelprov.cli import main\n"
                    "t = time.perf_counter()\n"
                    "try: main(sys.argv[1:])\n"
                    "except SystemExit: pass\n"
                    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", code, "-P", str(root), "report", "--format", fmt, "--output", str(out), *extra],
                               capture_output=True, text=True, env=env(), check=True)
            wall = time.perf_counter() - t
            inner, rss = r.stderr.split()[-2:]
            label = fmt + (" (with verify)" if not extra else "")
            print(f"{label:<20} wall {wall:5.1f} s (in-process {float(inner):4.1f} s) | peak RSS {int(rss) / 1024:5.0f} MiB | "
                  f"{out.stat().st_size / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
