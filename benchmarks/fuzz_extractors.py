"""Long version of the extractor fuzzing in tests/extract/test_fuzz.py: many mutated copies of every
sample through `examine` (hash, sniff, every extractor), on both cores. Prints how many raised and
which were slow; keeps those files for a look.

    python benchmarks/fuzz_extractors.py [--per-sample 300] [--max-edits 40] [--keep DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_media"
NOT_MEDIA = (".py", ".md", ".pem", ".toml")
# Length fields set to extremes are where parsers of chunked formats go wrong.
EXTREMES = (b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00", b"\x80\x00\x00\x00")


def seeds() -> list[Path]:
    return sorted(
        p
        for p in SAMPLES.rglob("*")
        if p.is_file()
        and not p.name.endswith(NOT_MEDIA)
        and not any(
            part.startswith(".") or part == "hooks" for part in p.relative_to(SAMPLES).parts
        )
    )


def mutate(data: bytes, rnd: random.Random, max_edits: int) -> bytes:
    out = bytearray(data)
    for _ in range(rnd.randint(1, max_edits)):
        op, i = rnd.random(), rnd.randrange(len(out) + 1)
        if op < 0.4 and out:
            out[min(i, len(out) - 1)] = rnd.randrange(256)
        elif op < 0.6:
            out[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        elif op < 0.75:
            del out[i : i + rnd.randint(1, 64)]
        elif op < 0.85:
            out[i:i] = rnd.choice(EXTREMES)
        else:
            del out[i:]
    return bytes(out)


def one(job: tuple[str, int, int, str]) -> tuple[str, int, float, str | None]:
    from reelprov.extract import examine

    path, seed, max_edits, keep = job
    rnd = random.Random(seed)
    target = os.path.join(keep, f"{seed}{os.path.splitext(path)[1]}")
    with open(path, "rb") as f:
        data = mutate(f.read(), rnd, max_edits)
    with open(target, "wb") as f:
        f.write(data)
    t = time.perf_counter()
    try:
        examine(target, os.path.basename(target), sidecars=False)
        err = None
    except Exception:  # noqa: BLE001 - what we are looking for
        err = traceback.format_exc(limit=4)
    took = time.perf_counter() - t
    if err is None and took < 1.0:
        os.unlink(target)
    return path, seed, took, err


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-sample", type=int, default=300)
    ap.add_argument("--max-edits", type=int, default=40)
    ap.add_argument(
        "--keep",
        default=None,
        help="folder for the files that raised or were slow (default: a new temp folder)",
    )
    args = ap.parse_args()
    keep = args.keep or tempfile.mkdtemp(prefix="rp-fuzz-")
    jobs = [
        (str(p), i * 100_000 + k, args.max_edits, keep)
        for i, p in enumerate(seeds())
        for k in range(args.per_sample)
    ]
    raised, slow, worst = [], [], 0.0
    t = time.perf_counter()
    with mp.get_context("fork").Pool(os.cpu_count() or 2) as pool:
        for path, seed, took, err in pool.imap_unordered(one, jobs, chunksize=8):
            worst = max(worst, took)
            if err:
                raised.append((path, seed, err))
            if took >= 1.0:
                slow.append((path, seed, took))
    print(
        f"{len(jobs)} mutated files from {len(jobs) // max(1, args.per_sample)} samples in {time.perf_counter() - t:.0f} s: "
        f"{len(raised)} raised, {len(slow)} took 1 s or more (slowest {worst * 1000:.0f} ms)"
    )
    for path, seed, err in raised[:5]:
        print(f"RAISED {path} seed {seed}\n{err}")
    for path, seed, took in sorted(slow, key=lambda s: -s[2])[:5]:
        print(f"SLOW {path} seed {seed}: {took:.1f} s")
    if raised or slow:
        print(f"kept in {keep}")
        sys.exit(1)


if __name__ == "__main__":
    main()
