"""Long hardening run: the watcher's PostgreSQL ledger goes away under it, for as long as you like,
and comes back; every file made meanwhile must be recorded once, and `verify` must pass.

    python benchmarks/hardening_ledger_outage.py [--mode cut|blackhole] [--outage 100] [--files 40]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

The watcher reaches the server through a relay. `cut` resets its connections and refuses new ones
(a server restart, a network that says so); `blackhole` drops every packet (iptables, needs root): a
server powered off or a firewall dropping the connection, which only TCP keepalives and a user
timeout notice. Prints when the watcher noticed and how long after the end every file was recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, SAMPLES, env  # noqa: E402
from tests.pg_link import Link  # noqa: E402


def _cli(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [REELPROV, "-P", str(root), *args],
        env={**env(), "REELPROV_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _until(cond, timeout: float, step: float = 0.2):  # noqa: ANN001, ANN202 - a tiny poll helper
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if got := cond():
            return got
        time.sleep(step)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["cut", "blackhole"], default="cut")
    ap.add_argument("--outage", type=float, default=100.0, help="seconds the ledger is away")
    ap.add_argument(
        "--files", type=int, default=40, help="files made before, and again during, the outage"
    )
    ap.add_argument(
        "--postgres",
        default=os.environ.get(
            "REELPROV_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = ap.parse_args()
    from urllib.parse import urlsplit

    import psycopg

    plain = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    schema = f"rp_outage_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in args.postgres else "?"
    direct = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
    where = urlsplit(args.postgres)
    link = Link(where.hostname or "127.0.0.1", where.port or 5432)
    through = direct.replace(f"{where.hostname}:{where.port or 5432}", f"127.0.0.1:{link.port}", 1)
    data = (SAMPLES / "generators/comfyui.png").read_bytes()
    ok = False
    try:
        with tempfile.TemporaryDirectory(prefix="rp-outage-") as d:
            root = Path(d) / "show"
            root.mkdir()
            assert _cli(root.parent, direct, "init", str(root)).returncode == 0
            log = Path(d) / "watch.log"
            proc = subprocess.Popen(
                [REELPROV, "-P", str(root), "watch", "--settle", "0.3"],
                env={**env(), "REELPROV_DATABASE_URL": through},
                stdout=subprocess.DEVNULL,
                stderr=log.open("w"),
            )

            def status() -> dict:
                r = _cli(root, direct, "status", "--json")
                return json.loads(r.stdout) if r.returncode == 0 else {}

            def recorded() -> set[str]:
                return {
                    a["path"] for a in json.loads(_cli(root, direct, "ls", "--json").stdout or "[]")
                }

            def make(stage: str) -> set[str]:
                names = set()
                for i in range(args.files):
                    f = root / "final" / stage / f"f{i:03d}.png"
                    f.parent.mkdir(parents=True, exist_ok=True)
                    f.write_bytes(data + f"{stage}{i}".encode())
                    names.add(f"final/{stage}/f{i:03d}.png")
                return names

            try:
                _until(lambda: status().get("reconciled_at"), 60)
                before = make("before")
                _until(lambda: before <= recorded(), 60)
                t0 = time.monotonic()
                link.blackhole() if args.mode == "blackhole" else link.cut()
                during = make("during")
                noticed = _until(
                    lambda: status().get("ledger_unreachable_since") and time.monotonic(),
                    args.outage + 120,
                )
                time.sleep(max(0.0, t0 + args.outage - time.monotonic()))
                t1 = time.monotonic()
                link.blackhole(False) if args.mode == "blackhole" else link.restore()
                back = _until(lambda: (before | during) <= recorded() and time.monotonic(), 300)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(60)
            v = _cli(root, direct, "verify", "--json")
            seen = [
                e
                for p in recorded()
                for e in json.loads(_cli(root, direct, "history", p, "--json").stdout)
                if e["kind"] == "seen"
            ]
            ok = bool(noticed and back) and v.returncode == 0 and len(seen) == 2 * args.files
            errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
            print(
                f"{args.mode}, {args.outage:g} s outage: noticed after "
                f"{f'{noticed - t0:.1f} s' if noticed else 'never'}; all {2 * args.files} files recorded "
                f"{f'{back - t1:.1f} s after it ended' if back else 'NOT'}; {len(seen)} seen entries; "
                f"{len(errors)} error line(s) logged; verify exit {v.returncode} -> {'PASS' if ok else 'FAIL'}"
            )
    finally:
        if args.mode == "blackhole":
            link.blackhole(False)
        link.cut()
        with psycopg.connect(plain, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
