"""Long hardening run: kill -9 the watcher at random moments during a 1,000-file ingest, 20 times;
after each restart the ledger must hold every file exactly once and `verify` must pass.

    python benchmarks/hardening_kill9.py [--files 1000] [--kills 20]
"""

from __future__ import annotations

import argparse
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(2026)
    data = (SAMPLES / "generators/comfyui.png").read_bytes()
    with tempfile.TemporaryDirectory(prefix="rp-kill-") as d:
        root = Path(d) / "show"
        root.mkdir()
        subprocess.run(
            [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        written = 0
        per_round = args.files // args.kills
        for k in range(args.kills):
            proc = subprocess.Popen(
                [REELPROV, "-P", str(root), "watch", "--settle", "0.3"],
                env=env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(per_round):
                f = root / "final" / f"batch{k:02d}" / f"f{written:05d}.png"
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_bytes(data + str(written).encode())
                written += 1
            time.sleep(rng.uniform(0.05, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        proc = subprocess.Popen(
            [REELPROV, "-P", str(root), "watch"],
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db = sqlite3.connect(root / ".reelprov/ledger.db")
        t = time.monotonic()
        while (
            db.execute("SELECT count(*) FROM asset WHERE deleted = 0").fetchone()[0] < written
            and time.monotonic() - t < 300
        ):
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        seen, distinct = db.execute(
            "SELECT count(*), count(DISTINCT asset) FROM ledger_entry WHERE kind = 'seen'"
        ).fetchone()
        live = db.execute("SELECT count(*) FROM asset WHERE deleted = 0").fetchone()[0]
        v = subprocess.run(
            [REELPROV, "-P", str(root), "verify"], env=env(), capture_output=True, text=True
        )
        ok = seen == distinct == live == written and v.returncode == 0
        print(
            f"{args.kills} kill -9 during a {written}-file ingest: {seen} seen entries, {live} live assets, "
            f"verify exit {v.returncode} -> {'PASS' if ok else 'FAIL'}"
        )
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
