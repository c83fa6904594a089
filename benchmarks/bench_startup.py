"""CLI start-up: `reelprov --help` and `reelprov ls --json` wall time (median of 10), vs a bare interpreter.

    python benchmarks/bench_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env  # noqa: E402


def med(cmd: list[str], n: int = 10) -> float:
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env())
        ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1000


def main() -> None:
    import shutil

    with tempfile.TemporaryDirectory(prefix="rp-start-") as d:
        root = Path(d) / "show"
        shutil.copytree(SAMPLES, root)
        subprocess.run([REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env())
        subprocess.run([REELPROV, "-P", str(root), "scan"], check=True, stdout=subprocess.DEVNULL, env=env())
        bare = med([sys.executable, "-c", "pass"])
        sa = med([sys.executable, "-c", "import sqlalchemy"])
        helpt = med([REELPROV, "--help"])
        ls = med([REELPROV, "-P", str(root), "ls", "--json"])
        print(f"python -c pass: {bare:.0f} ms | python -c 'import sqlalchemy': {sa:.0f} ms")
        print(f"reelprov --help: {helpt:.0f} ms | reelprov ls --json (sample_media, {len(list(root.rglob('*.*')))} files): {ls:.0f} ms")


if __name__ == "__main__":
    main()
