"""`reelprov show` on SQLite and on PostgreSQL (through libpq, and through psycopg), counted in
instructions by valgrind's callgrind rather than timed: the counts do not move with this shared VM's
speed, so a run on a slow machine says what the same commands cost on a fast one.

    python benchmarks/bench_read_instructions.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

Each command runs once to warm the caches, then once under callgrind (client process only: the
server's work and the network wait are not counted). Prints instructions beyond `python -c pass`
and, from a time measured for SQLite's `show` on some machine (--sqlite-ms, beyond interpreter
start), what the others would take there at the same speed per instruction.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env, pg_schema  # noqa: E402

ASSET = "temp/boards/castle.png"


def instructions(cmd: list[str], extra: dict[str, str]) -> int:
    e = env(**extra)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=e)
    r = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=e,
    )
    m = re.search(r"Collected : (\d+)", r.stderr)
    if m is None:
        raise SystemExit(f"no instruction count from valgrind for {cmd}: {r.stderr[-500:]}")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgres", required=True)
    ap.add_argument(
        "--sqlite-ms",
        type=float,
        default=67.0,
        help="SQLite `show` beyond interpreter start measured on the machine to project onto "
        "(67 ms: benchmarks/README.md, ledger scale, reference runs)",
    )
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (Debian package valgrind)")
    with pg_schema(args.postgres) as url, tempfile.TemporaryDirectory(prefix="rp-instr-") as d:
        roots = {}
        for name, extra in (("lite", {}), ("pg", {"REELPROV_DATABASE_URL": url})):
            root = roots[name] = Path(d) / name
            shutil.copytree(
                SAMPLES,
                root,
                ignore=shutil.ignore_patterns("reelprov.toml", ".reelprov", "report.*"),
            )
            subprocess.run(
                [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
            )
            subprocess.run(
                [REELPROV, "-P", str(root), "scan"],
                check=True,
                stdout=subprocess.DEVNULL,
                env=env(**extra),
            )
        base = instructions([sys.executable, "-c", "pass"], {})
        rows = []
        for label, root, extra in (
            ("SQLite", roots["lite"], {}),
            (
                "PostgreSQL, libpq (default)",
                roots["pg"],
                {"REELPROV_DATABASE_URL": url, "REELPROV_PG_DRIVER": "libpq"},
            ),
            (
                "PostgreSQL, psycopg",
                roots["pg"],
                {"REELPROV_DATABASE_URL": url, "REELPROV_PG_DRIVER": "psycopg"},
            ),
        ):
            n = instructions(
                [sys.executable, "-m", "reelprov", "-P", str(root), "show", ASSET, "--json"], extra
            )
            rows.append((label, n - base))
    lite = rows[0][1]
    print(f"python -c pass: {base / 1e6:.1f} M instructions")
    print(f"`reelprov show {ASSET} --json`, instructions beyond that (client process only):")
    for label, n in rows:
        print(
            f"  {label:30s} {n / 1e6:7.1f} M  {n / lite:5.2f}x SQLite  "
            f"~{args.sqlite_ms * n / lite:.0f} ms where SQLite's takes {args.sqlite_ms:.0f} ms"
        )


if __name__ == "__main__":
    main()
