"""The cold scan's writer against an earlier revision's, on the same VFX-shaped tree, in one run.

    python benchmarks/bench_writer.py [--files 20000 50000] [--repeat 3] [--baseline REV]

`reelprov scan` has one writer: the scan's own process walks the tree, feeds the examining
processes, takes what they read and appends it to the ledger, one transaction per batch. Issue 23
asks for that writer's work per file to be halved. This measures the scan process's own CPU time
(user + system of all its threads, not of the examining processes it forks) per file, and the
wall time, for the code in this checkout and for BASELINE checked out beside it (`git worktree`),
runs alternated so that a noisy moment hits both. The default baseline is ef97012, main when
issue 23 was filed (its writer: ~160 us a file, issue 23's profile).

Both start cold: a fresh `init` per run, the tree's pages in the OS cache and written back first,
the disk idle before each scan.
Needs a git checkout (the baseline is checked out from it) and the venv reelprov is installed in
(both revisions run on its packages).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, env, make_vfx_tree, media_only  # noqa: E402

BASELINE = "ef970125ea26cd66867668fbf09904070d36f9f2"  # main when issue 23 was filed

# Run in the scan's own process: reelprov's CLI as `python -m reelprov` runs it, then that
# process's own CPU (its threads) and its children's (the examining processes) apart.
_DRIVER = """
import json, resource, runpy, sys, time
sys.argv = ["reelprov", *sys.argv[1:]]
t = time.perf_counter()
try:
    runpy.run_module("reelprov", run_name="__main__")
except SystemExit as exc:
    if exc.code:
        raise
wall = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write("RESULT " + json.dumps({
    "wall": wall,
    "own": own.ru_utime + own.ru_stime,
    "children": kids.ru_utime + kids.ru_stime,
}) + "\\n")
"""


def _scan(src: Path, tree: Path) -> dict[str, float]:
    """One cold scan of TREE by the reelprov whose sources are SRC."""
    e = env(PYTHONPATH=str(src))
    subprocess.run(
        [sys.executable, "-m", "reelprov", "init", str(media_only(tree))],
        check=True,
        stdout=subprocess.DEVNULL,
        env=e,
    )
    os.sync()  # the disk idle: the last run's deleted ledger is not still being written back
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, "--project", str(tree), "scan"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=e,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, nargs="+", default=[20000])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each revision (medians)")
    ap.add_argument("--baseline", default=BASELINE, help="the git revision to compare against")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-bench-writer-") as d:
        old = Path(d) / "baseline"
        added = subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.baseline],
            check=False,
            capture_output=True,
            text=True,
        )
        if added.returncode:
            sys.exit(
                f"cannot check out the baseline {args.baseline} beside {REPO} "
                f"({added.stderr.strip()}): run this from a git clone that has it "
                "(`git fetch --unshallow` in a shallow one), or give another with --baseline"
            )
        try:
            revs = {"baseline": old / "src", "this": REPO / "src"}
            for src in revs.values():  # bytecode first, as an installed reelprov has it
                subprocess.run(
                    [sys.executable, "-m", "compileall", "-q", str(src)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            print(f"baseline {args.baseline[:12]}, this checkout {_head()}")
            print(
                f"{'files':>7} {'code':>9} {'wall s':>7} {'writer CPU s':>13} {'us/file':>8}"
                f" {'readers CPU s':>14}"
            )
            for n in args.files:
                tree = make_vfx_tree(Path(d) / f"vfx{n}", n)
                subprocess.run(
                    f"find {tree} -type f -exec cat {{}} + > /dev/null", shell=True, check=True
                )
                os.sync()
                runs: dict[str, list[dict[str, float]]] = {k: [] for k in revs}
                for _ in range(args.repeat):
                    for name, src in revs.items():
                        runs[name].append(_scan(src, tree))
                med = {
                    name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
                    for name, rs in runs.items()
                }
                for name, m in med.items():
                    print(
                        f"{n:>7} {name:>9} {m['wall']:>7.2f} {m['own']:>13.2f}"
                        f" {1e6 * m['own'] / n:>8.0f} {m['children']:>14.2f}"
                    )
                b, t = med["baseline"], med["this"]
                print(
                    f"{n:>7} {'ratio':>9} {t['wall'] / b['wall']:>6.2f}x"
                    f" {t['own'] / b['own']:>12.2f}x  (this / baseline; the goal: writer <= 0.50x)"
                )
                shutil.rmtree(tree)
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                check=False,
                capture_output=True,
            )


def _head() -> str:
    out = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return out + (" (+ uncommitted changes in src)" if dirty else "")


if __name__ == "__main__":
    main()
