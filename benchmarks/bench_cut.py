"""Cut import at the scale of a VFX reel: SHOTS comps delivered as image sequences of FRAMES files
each, one EDL event per shot. Times `reelprov cut import` (read the EDL, match every frame to the
ledger, record the cut and a used_in_cut entry per frame, re-evaluate the policy), against its
peer OpenTimelineIO reading the same EDL alone (what any tool built on OTIO pays), then
`ls --in-cut --json` and the HTML report (frames grouped into one row per sequence).

    python benchmarks/bench_cut.py --shots 300 --frames 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REELPROV, env, timed  # noqa: E402


def _tc(frame: int) -> str:
    return f"{frame // 86400:02d}:{frame // 1440 % 60:02d}:{frame // 24 % 60:02d}:{frame % 24:02d}"


def make_reel(root: Path, shots: int, frames: int) -> Path:
    """SHOTS sequences of FRAMES small EXR-named files, and an EDL cutting in all but the last 4 frames of each."""
    lines = ["TITLE: VFX REEL", "FCM: NON-DROP FRAME", ""]
    rec = 86400  # 01:00:00:00 at 24 fps
    for s in range(shots):
        d = root / "final" / "vfx" / f"sh{s:04d}"
        d.mkdir(parents=True)
        for n in range(1001, 1001 + frames):
            (d / f"sh{s:04d}_comp_v001.{n}.exr").write_bytes(b"v/1\x01" + f"{s} {n}".encode())
        used = frames - 4
        lines += [
            f"{s + 1:04d}  AX       V     C        {_tc(1001)} {_tc(1001 + used)} {_tc(rec)} {_tc(rec + used)}",
            f"* FROM CLIP: /Volumes/SHOW/final/vfx/sh{s:04d}/sh{s:04d}_comp_v001.[1001-{1000 + frames}].exr",
            "",
        ]
        rec += used
    edl = root / "vfx_reel.edl"
    edl.write_text("\n".join(lines))
    return edl


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shots", type=int, default=300)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rp-cut-") as d:
        root = Path(d) / "show"
        root.mkdir()
        edl = make_reel(root, a.shots, a.frames)
        subprocess.run(
            [REELPROV, "init", str(root)], check=True, stdout=subprocess.DEVNULL, env=env()
        )
        cfg = root / "reelprov.toml"
        cfg.write_text(
            cfg.read_text().replace("path_map = {}", 'path_map = { "/Volumes/SHOW" = "." }')
        )
        t_scan = timed([REELPROV, "-P", str(root), "scan"], env=env())
        files = a.shots * a.frames
        print(
            f"{a.shots} shots x {a.frames} frames = {files:,} files scanned in {t_scan:.1f} s; "
            f"the EDL cuts in {a.shots * (a.frames - 4):,} frames"
        )
        otio_read = [
            sys.executable,
            "-c",
            "import sys, opentimelineio as otio; "
            "tl = otio.adapters.read_from_file(sys.argv[1], rate=24); print(len(list(tl.find_clips())))",
            str(edl),
        ]
        peer, ours = [], []
        for i in range(a.repeat):  # alternated, so both see the same moments of the machine
            peer.append(timed(otio_read, env=env()))
            # a cut of another name each time: a first import, every frame recorded
            ours.append(
                timed(
                    [
                        REELPROV,
                        "-P",
                        str(root),
                        "cut",
                        "import",
                        str(edl),
                        "--name",
                        f"VFX reel {i}",
                    ],
                    env=env(),
                )
            )
        p, o = statistics.median(peer), statistics.median(ours)
        print(
            f"OpenTimelineIO reading the EDL alone: {p:.2f} s | reelprov cut import: {o:.2f} s "
            f"({o / p:.1f}x the read; {(o - p) / (a.shots * (a.frames - 4)) * 1e6:.0f} us per frame matched and recorded)"
        )
        again = statistics.median(
            timed(
                [REELPROV, "-P", str(root), "cut", "import", str(edl), "--name", "VFX reel 0"],
                env=env(),
            )
            for _ in range(a.repeat)
        )
        print(f"the same cut imported again, unchanged: {again:.2f} s (one ledger entry)")
        t = time.perf_counter()
        out = subprocess.run(
            [REELPROV, "-P", str(root), "ls", "--in-cut", "--json"],
            check=True,
            capture_output=True,
            env=env(),
        ).stdout
        listed = len(json.loads(out))
        print(f"ls --in-cut --json: {time.perf_counter() - t:.2f} s, {listed:,} assets")
        t_rep = timed(
            [REELPROV, "-P", str(root), "report", "--no-verify", "--no-thumbnails"], env=env()
        )
        html = (root / "report.html").read_bytes()
        rows = html.count(b'<tr class="row"')
        print(f"report (html, --no-verify): {t_rep:.2f} s, {len(html) / 1e6:.2f} MB, {rows:,} rows")
        ok = subprocess.run(
            [REELPROV, "-P", str(root), "verify"], capture_output=True, text=True, env=env()
        )
        print(f"verify: exit {ok.returncode}: {ok.stdout.strip()}")


if __name__ == "__main__":
    main()
