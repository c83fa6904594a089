"""Pre-delivery report at scale: 100,000 assets / 20,000 flags; time, peak memory, file size per format.

    python benchmarks/bench_report.py [--assets 100000]
    python benchmarks/bench_report.py --memory 10000 500000   # every asset listed: peak RSS at each size

--memory builds projects where the report lists every asset (final, half AI and flagged, half of
unknown origin) and prints the report's peak RSS per format at each size (without the chain
verification, whose memory is the ledger's, not the report's: issue 23), with the ratio of the
largest to the smallest.
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
    ap.add_argument(
        "--memory", type=int, nargs="+", help="sizes for the every-asset-listed memory run"
    )
    args = ap.parse_args()
    if args.memory:
        memory(args.memory)
        return
    with tempfile.TemporaryDirectory(prefix="rp-report-") as d:
        root = Path(d) / "show"
        root.mkdir()
        subprocess.run(
            [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        from reelprov.project import Project

        p = Project.open(root)
        populate(p, assets=args.assets, progress=False)
        p.close()
        for fmt, extra in (
            ("html", ["--no-verify"]),
            ("json", ["--no-verify"]),
            ("csv", ["--no-verify"]),
            ("html", []),
        ):
            out = root / f"r.{fmt}"
            code = (
                "import resource, sys, time; from reelprov.cli import main\n"
                "t = time.perf_counter()\n"
                "try: main(sys.argv[1:])\n"
                "except SystemExit: pass\n"
                "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
            )
            t = time.perf_counter()
            r = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    code,
                    "-P",
                    str(root),
                    "report",
                    "--format",
                    fmt,
                    "--output",
                    str(out),
                    *extra,
                ],
                capture_output=True,
                text=True,
                env=env(),
                check=True,
            )
            wall = time.perf_counter() - t
            inner, rss = r.stderr.split()[-2:]
            label = fmt + (" (with verify)" if not extra else "")
            print(
                f"{label:<20} wall {wall:5.1f} s (in-process {float(inner):4.1f} s) | peak RSS {int(rss) / 1024:5.0f} MiB | "
                f"{out.stat().st_size / 1e6:6.1f} MB"
            )


_RUN = (
    "import resource, sys, time; from reelprov.cli import main\n"
    "t = time.perf_counter()\n"
    "try: main(sys.argv[1:])\n"
    "except SystemExit: pass\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
)


def memory(sizes: list[int]) -> None:
    peaks: dict[str, list[float]] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="rp-report-mem-") as d:
            root = Path(d) / "show"
            root.mkdir()
            subprocess.run(
                [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
            )
            from reelprov.project import Project

            p = Project.open(root)
            t = time.perf_counter()
            populate(p, assets=n, progress=False, all_listed=True)
            p.close()
            print(
                f"{n:,} assets, all listed: populated in {time.perf_counter() - t:.0f} s",
                flush=True,
            )
            for fmt in ("html", "json", "csv", "md"):
                out = root / f"r.{fmt}"
                r = subprocess.run(
                    [
                        sys.executable,
                        "-c",
                        _RUN,
                        "-P",
                        str(root),
                        "report",
                        "--no-verify",
                        "--no-thumbnails",
                        "--format",
                        fmt,
                        "--output",
                        str(out),
                    ],
                    capture_output=True,
                    text=True,
                    env=env(),
                    check=True,
                )
                inner, rss = r.stderr.split()[-2:]
                peaks.setdefault(fmt, []).append(int(rss) / 1024)
                print(
                    f"  {fmt:<5} {float(inner):6.1f} s | peak RSS {int(rss) / 1024:6.0f} MiB | {out.stat().st_size / 1e6:7.1f} MB",
                    flush=True,
                )
    if len(sizes) > 1:
        for fmt, mib in peaks.items():
            print(
                f"{fmt:<5} peak RSS at {sizes[-1]:,} / at {sizes[0]:,}: {mib[-1]:.0f} / {mib[0]:.0f} MiB = {mib[-1] / mib[0]:.2f}x"
            )


if __name__ == "__main__":
    main()
