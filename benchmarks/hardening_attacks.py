"""Long versions of issue 24's attacks, against the installed reelprov, each PASS or FAIL with its time:

    python benchmarks/hardening_attacks.py [--files 500] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

- ReDoS: 20 PNGs whose compressed XMP is 4 MiB of one word, among FILES ordinary files: all recorded.
- Stalled reader: a reader stuck in native code on 5 files (read deadline 3 s): all recorded, those unread.
- FIFOs: 20 recorded and approved images replaced by FIFOs: scan and the gate finish, the gate refuses.
- Same-size swaps: 200 approved files rewritten with the same size and mtime: scan reads them again, the gate refuses.
- Planted links: report, anchor and watcher-status names pointing at a victim file: the victim is untouched.
- Hung hooks: a hook sleeping past its timeout on every event of a 100-file scan: recording does not wait.
- Long paths (PostgreSQL): 100 files under 3 KB paths recorded, listed and moved.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env  # noqa: E402

SD = "a castle\nNegative prompt: blur\nSteps: 20, Sampler: Euler a, Seed: 1, Model: sdxl"
STALL = (
    "import re, sys\nimport reelprov.recording.pool as s\nreal = s.examine\n"
    "def stalling(path, rel, **kw):\n    if 'stalling' in rel and kw.get('unread') is None:\n"
    "        re.match(r'(a*)*b', 'a' * 64)\n    return real(path, rel, **kw)\n"
    "s.examine = stalling\nfrom reelprov.cli import main\nmain(sys.argv[1:])\n"
)


def png(
    path: Path,
    text: dict[str, str] | None = None,
    color: tuple[int, int, int] = (1, 2, 3),
    xmp: bytes | None = None,
) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("latin-1"), zip=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), color).save(path, "PNG", pnginfo=info)


def rp(
    root: Path,
    *args: str,
    extra: dict[str, str] | None = None,
    cmd: list[str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(cmd or [REELPROV]), *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=env(**(extra or {})),
        timeout=timeout,
    )


def project(base: Path, name: str, extra: dict[str, str] | None = None) -> Path:
    root = base / name
    root.mkdir()
    assert rp(root, "init", str(root), extra=extra).returncode == 0
    return root


def attack(name: str, fn: Callable[[], str]) -> bool:
    t = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except AssertionError as exc:
        detail, ok = f"{exc}", False
    except subprocess.TimeoutExpired as exc:
        detail, ok = f"hung: {exc}", False
    print(
        f"{'PASS' if ok else 'FAIL'}  {name:<26} {time.perf_counter() - t:7.1f} s  {detail}",
        flush=True,
    )
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--postgres", default=os.environ.get("REELPROV_TEST_DATABASE_URL"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="rp-attacks-") as d:
        base = Path(d)
        os.environ["XDG_DATA_HOME"] = str(base / "xdg")

        def redos() -> str:
            root = project(base, "redos")
            for i in range(args.files):
                png(
                    root / f"final/f{i:05d}.png",
                    {"parameters": SD + f", {i}"},
                    color=(i % 256, i // 256, 1),
                )
            for i in range(20):
                png(
                    root / f"final/redos{i:02d}.png",
                    xmp=b"<x:xmpmeta>" + b"a" * (4 << 20) + b"</x:xmpmeta>",
                    color=(i, 9, 9),
                )
            r = rp(root, "scan", "--json", timeout=300)
            assert r.returncode == 0 and json.loads(r.stdout)["seen"] == args.files + 20, r.stderr[
                -300:
            ]
            return f"{args.files + 20} files recorded"

        def stalled() -> str:
            root = project(base, "stall")
            cfg = root / "reelprov.toml"
            cfg.write_text(
                cfg.read_text().replace("read_timeout_seconds = 60", "read_timeout_seconds = 3")
            )
            for i in range(args.files):
                png(
                    root / f"final/f{i:05d}.png",
                    {"parameters": SD + f", {i}"},
                    color=(i % 256, i // 256, 2),
                )
            for i in range(5):
                png(root / f"final/g{i * 97:05d}_stalling.png", color=(i, 3, 3))
            r = rp(root, "scan", "--json", cmd=[sys.executable, "-c", STALL], timeout=600)
            assert r.returncode == 0 and json.loads(r.stdout)["seen"] == args.files + 5, r.stderr[
                -300:
            ]
            unread = [
                a
                for a in json.loads(rp(root, "ls", "--json").stdout)
                if any("read_timeout_seconds" in e["detail"] for e in a["evidence"])
            ]
            assert len(unread) == 5, len(unread)
            return f"{args.files + 5} recorded, 5 unread after the deadline"

        def fifos() -> str:
            root = project(base, "fifo")
            for i in range(40):
                png(root / f"final/f{i:03d}.png", {"parameters": SD + f", {i}"}, color=(i, 4, 4))
            assert rp(root, "scan").returncode == 0
            assert (
                rp(root, "approve", "--path", "final", "--by", "bench", "--ref", "B-1").returncode
                == 0
            )
            for i in range(0, 40, 2):
                (root / f"final/f{i:03d}.png").unlink()
                os.mkfifo(root / f"final/f{i:03d}.png")
            r = rp(root, "report", "--fail-on", "review", timeout=120)
            assert r.returncode == 1 and r.stderr.count("no longer a regular file") == 20, r.stderr[
                -300:
            ]
            assert rp(root, "scan", timeout=120).returncode == 0
            return "gate refused 20 FIFOs; scan finished"

        def swaps() -> str:
            root = project(base, "swap")
            for i in range(200):
                png(root / f"final/f{i:03d}.png", {"parameters": SD + f", {i}"}, color=(i, 5, 5))
            assert rp(root, "scan").returncode == 0
            assert (
                rp(root, "approve", "--path", "final", "--by", "bench", "--ref", "B-1").returncode
                == 0
            )
            assert rp(root, "report", "--fail-on", "review").returncode == 0
            for i in range(200):
                p = root / f"final/f{i:03d}.png"
                st = p.stat()
                data = bytearray(p.read_bytes())
                data[-20] ^= 0xFF
                p.write_bytes(bytes(data))
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
            r = rp(root, "report", "--fail-on", "review")
            assert r.returncode == 1 and "200 files changed since recorded" in r.stderr, r.stderr[
                -300:
            ]
            changed = json.loads(rp(root, "scan", "--json").stdout)["changed"]
            assert changed == 200, changed
            return "gate refused 200 swaps; scan re-read 200"

        def links() -> str:
            root = project(base, "links")
            victim = base / "victim"
            victim.write_text("keep\n")
            png(root / "final/a.png")
            assert rp(root, "scan").returncode == 0
            for name in ("report.html", ".report.html.tmp", "report.json"):
                (root / name).unlink(missing_ok=True)
                (root / name).symlink_to(victim)
            cfg = root / "reelprov.toml"
            anchor = root / "anchors.jsonl"
            anchor.symlink_to(victim)
            cfg.write_text(
                cfg.read_text().replace(
                    "auto_upgrade = true", f'auto_upgrade = true\nanchor_file = "{anchor}"'
                )
            )
            rp(root, "report")
            rp(root, "report", "--format", "json")
            rp(root, "anchor")
            assert victim.read_text() == "keep\n"
            return "victim untouched by report, anchor"

        def hooks() -> str:
            root = project(base, "hooks")
            cfg = root / "reelprov.toml"
            cfg.write_text(cfg.read_text().replace("timeout_seconds = 10", "timeout_seconds = 1"))
            hook = root / "hooks/all.hang"
            hook.write_text("#!/bin/sh\nsetsid sleep 30.17 &\nsleep 30.18\n")
            hook.chmod(0o755)
            for i in range(100):
                png(root / f"final/f{i:03d}.png", color=(i, 6, 6))
            code = (
                "import sys, time\nfrom reelprov.project import Project\nfrom reelprov.recording.scan import scan\n"
                "p = Project.open('.')\nt = time.perf_counter(); scan(p); r = time.perf_counter() - t\n"
                "t = time.perf_counter(); p.close(); print(r, time.perf_counter() - t)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code],
                cwd=root,
                capture_output=True,
                text=True,
                env=env(),
                timeout=900,
            )
            recorded, drained = map(float, out.stdout.split())
            left = (
                subprocess.run(["pgrep", "-f", "sleep 30.1[78]"], capture_output=True).returncode
                == 0
            )
            time.sleep(2)
            left = (
                subprocess.run(["pgrep", "-f", "sleep 30.1[78]"], capture_output=True).returncode
                == 0
            )
            assert recorded < 10 and not left, (recorded, left)
            return (
                f"recorded in {recorded:.1f} s; hooks ran {drained:.0f} s after; none left running"
            )

        def long_paths() -> str:
            schema = f"rp_{uuid.uuid4().hex[:12]}"
            import sqlalchemy as sa

            eng = sa.create_engine(args.postgres)
            with eng.begin() as c:
                c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            try:
                sep = "&" if "?" in args.postgres else "?"
                url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
                root = project(base, "long", extra={"REELPROV_DATABASE_URL": url})
                for i in range(100):
                    folder = "final/" + "/".join(secrets.token_hex(110) for _ in range(14))
                    png(
                        root / folder / f"deep{i}.png",
                        {"parameters": SD + f", {i}"},
                        color=(i, 7, 7),
                    )
                r = rp(root, "scan", "--json", extra={"REELPROV_DATABASE_URL": url})
                assert r.returncode == 0 and json.loads(r.stdout)["seen"] == 100, r.stderr[-300:]
                assert (
                    len(
                        json.loads(
                            rp(
                                root,
                                "ls",
                                "final/*",
                                "--json",
                                extra={"REELPROV_DATABASE_URL": url},
                            ).stdout
                        )
                    )
                    == 100
                )
                assert rp(root, "verify", extra={"REELPROV_DATABASE_URL": url}).returncode == 0
                return "100 paths of ~3.1 KB recorded, listed, verified"
            finally:
                with eng.begin() as c:
                    c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                eng.dispose()

        for name, fn in (
            ("ReDoS XMP", redos),
            ("stalled reader", stalled),
            ("FIFOs", fifos),
            ("same-size swaps", swaps),
            ("planted links", links),
            ("hung hooks", hooks),
        ):
            results.append(attack(name, fn))
        if args.postgres:
            results.append(attack("long paths (PostgreSQL)", long_paths))
        else:
            print("SKIP  long paths (PostgreSQL): give --postgres URL")
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
