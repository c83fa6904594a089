"""CLI start-up: `reelprov --help` and `reelprov ls --json` wall time (median of 10), vs a bare interpreter.

    python benchmarks/bench_startup.py [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

With --postgres, also `ls --json` and `show` on the same project with its ledger on PostgreSQL,
(through psycopg, the one PostgreSQL driver).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env, median_times, pg_schema  # noqa: E402


def med(cmd: list[str], n: int = 10, **extra: str) -> float:
    return meds(cmd, [extra], n)[0]


def meds(cmd: list[str], extras: list[dict[str, str]], n: int = 10) -> list[float]:
    """Median ms of CMD under each set of extra environment variables, alternated run by run."""
    return [t * 1000 for t in median_times(cmd, [env(**extra) for extra in extras], n)]


def on_postgres(root: Path, base_url: str) -> None:
    with pg_schema(base_url) as url:
        subprocess.run(
            [REELPROV, "-P", str(root), "scan"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env(REELPROV_DATABASE_URL=url),
        )
        both = [{}, {"REELPROV_DATABASE_URL": url}]
        ls = meds([REELPROV, "-P", str(root), "ls", "--json"], both)
        show = meds([REELPROV, "-P", str(root), "show", "temp/boards/castle.png", "--json"], both)
        print(
            f"SQLite vs PostgreSQL ledger (psycopg): ls --json {ls[0]:.0f} vs {ls[1]:.0f} ms | "
            f"show {show[0]:.0f} vs {show[1]:.0f} ms"
        )


def main() -> None:
    import argparse
    import shutil

    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="rp-start-") as d:
        root = Path(d) / "show"
        shutil.copytree(SAMPLES, root)
        subprocess.run(
            [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        subprocess.run(
            [REELPROV, "-P", str(root), "scan"], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        bare = med([sys.executable, "-c", "pass"])
        sa = med([sys.executable, "-c", "import sqlalchemy"])
        helpt = med([REELPROV, "--help"])
        ls = med([REELPROV, "-P", str(root), "ls", "--json"])
        print(f"python -c pass: {bare:.0f} ms | python -c 'import sqlalchemy': {sa:.0f} ms")
        print(
            f"reelprov --help: {helpt:.0f} ms | reelprov ls --json (sample_media, {len(list(root.rglob('*.*')))} files): {ls:.0f} ms"
        )
        if args.postgres:
            on_postgres(root, args.postgres)


if __name__ == "__main__":
    main()
