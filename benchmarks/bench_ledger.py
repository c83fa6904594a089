"""Ledger scale: ~1,000,000 entries; `show` and `ls --flagged` latency beyond interpreter start,
`verify` throughput, and a delivery of 2,000 new files scanned into it, on SQLite and (with
--postgres URL) PostgreSQL.

    python benchmarks/bench_ledger.py [--assets 400000] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--no-sqlite]

On PostgreSQL the read commands go through psycopg, the one PostgreSQL driver; wall times include
interpreter start, and the figure beyond a bare interpreter is printed beside them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env, make_tree, median_times, pg_schema  # noqa: E402
from synth import populate  # noqa: E402


def median_time(cmd: list[str], e: dict[str, str], n: int = 5) -> float:
    return median_times(cmd, [e], n)[0]


def run(label: str, root: Path, e: dict[str, str], assets: int) -> None:
    from reelprov.project import Project

    root.mkdir(parents=True)
    subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=e)
    import os

    os.environ.update({k: v for k, v in e.items() if k.startswith("REELPROV_")})
    p = Project.open(root)
    t = time.perf_counter()
    entries = populate(p, assets=assets)
    build = time.perf_counter() - t
    p.close()
    base = median_time([sys.executable, "-c", "pass"], e)
    imports = median_time([sys.executable, "-c", "import reelprov.review.assets, reelprov.cli"], e)
    show = median_time(
        [REELPROV, "-P", str(root), "show", "final/reel000/shot0000000.png", "--json"], e
    )
    scoped = median_time(
        [REELPROV, "-P", str(root), "ls", "--flagged", "final/reel007/*", "--json"], e
    )
    flagged = median_time([REELPROV, "-P", str(root), "ls", "--flagged", "--json"], e, n=1)
    t = time.perf_counter()
    subprocess.run(
        [REELPROV, "-P", str(root), "verify"], check=True, stdout=subprocess.DEVNULL, env=e
    )
    ver = time.perf_counter() - t
    # A vendor's delivery into the big project: every batch looks its paths up among the recorded ones.
    make_tree(root / "final" / "delivery", 2000)
    t = time.perf_counter()
    subprocess.run(
        [REELPROV, "-P", str(root), "scan", "final/delivery"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=e,
    )
    delivery = time.perf_counter() - t
    print(f"{label}: {entries} entries written in {build:.0f}s ({entries / build:.0f}/s)")
    print(
        f"  interpreter start (python -c pass): {base * 1000:.0f} ms; + the read path's imports (typer, reelprov.cli, reelprov.review.assets): {imports * 1000:.0f} ms"
    )
    print(
        f"  show one asset (with its history):          {show * 1000:.0f} ms  ({(show - base) * 1000:.0f} ms beyond interpreter start)"
    )
    print(
        f"  ls --flagged 'final/reel007/*' ({sum(1 for i in range(7000, 8000) if i % 15 == 0)} listed): {scoped * 1000:.0f} ms  ({(scoped - base) * 1000:.0f} ms beyond interpreter start)"
    )
    print(
        f"  ls --flagged (all {assets // 5} flagged assets): {flagged * 1000:.0f} ms  ({(flagged - base) * 1000:.0f} ms beyond interpreter start, "
        f"{(flagged - base) / max(1, assets // 5) * 1e6:.0f} us per listed asset)"
    )
    print(
        f"  verify:           {ver:.1f} s  ({entries / ver:.0f} entries/s, chain + projection replay)"
    )
    print(
        f"  scan of a 2,000-file delivery into it: {delivery:.2f} s ({2000 / delivery:.0f} files/s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=400_000)
    ap.add_argument("--postgres", default=None)
    ap.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL run")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-ledger-") as d:
        if not args.no_sqlite:
            run("SQLite", Path(d) / "sqlite", env(), args.assets)
        if args.postgres:
            with pg_schema(args.postgres) as url:
                run("PostgreSQL", Path(d) / "pg", env(REELPROV_DATABASE_URL=url), args.assets)


if __name__ == "__main__":
    main()
