"""Helpers shared by the benchmarks: a generated tree of mixed real media, timing, RSS."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_media"
BIN = Path(sys.executable).parent
REELPROV = str(BIN / "reelprov")


def make_tree(dest: Path, n: int) -> Path:
    """N files: copies of every sample (each marker family, C2PA, audio, video).

    PNG copies get a unique trailing comment (a different hash). The others stay byte-identical
    to their sample: appending to a signed C2PA file would break its signature. Neither tool
    caches by content, so the duplicates favour neither.
    """
    if dest.exists():
        shutil.rmtree(dest)
    seeds = sorted(
        p
        for p in SAMPLES.rglob("*")
        if p.is_file()
        and p.suffix.lower() in (".png", ".jpg", ".webp", ".mp3", ".flac", ".mp4", ".wav")
    )
    blobs = [(p.relative_to(SAMPLES), p.read_bytes()) for p in seeds]
    for i in range(n):
        rel, data = blobs[i % len(blobs)]
        folder = dest / f"reel{i // 500:02d}" / rel.parent
        folder.mkdir(parents=True, exist_ok=True)
        # a trailing unique comment after IEND: a PNG copy with its own hash that parsers still read
        (folder / f"{rel.stem}_{i:06d}{rel.suffix}").write_bytes(
            data + f"\n{i}".encode() if rel.suffix == ".png" else data
        )
    return dest


def make_vfx_tree(dest: Path, n: int, *, frames: int = 100, ai_share: float = 0.1) -> Path:
    """N small frame files shaped like a feature's VFX folders: vfx/sqNN/shNNNN/{plates,comp,
    render}/ with FRAMES frames a folder (EXR plates, PNG comps, JPEG renders), AI_SHARE of them PNG
    frames carrying a generator's parameters (a Stable Diffusion text chunk). Each file is a real
    sample with a unique trailing comment (a hash of its own; readers still parse it); EXR frames
    are an OpenEXR magic and header padding to 4 KB (no EXR reader is involved: hashed, typed by
    magic, no evidence)."""
    if dest.exists():
        shutil.rmtree(dest)
    png = (SAMPLES / "plain/no_metadata.png").read_bytes()
    ai = (SAMPLES / "generators/a1111_txt2img.png").read_bytes()
    jpg = (SAMPLES / "plain/no_metadata.jpg").read_bytes()
    exr = b"v/1\x01\x02\x00\x00\x00" + b"channels\x00chlist\x00" + bytes(4000)
    kinds = [("plates", "exr", exr), ("comp", "png", png), ("render", "jpg", jpg)]
    ai_every = round(1 / ai_share) if ai_share else 0
    folder: Path | None = None
    for i in range(n):
        shot, frame = divmod(i, frames)
        kind, ext, blob = kinds[shot % 3]
        if frame == 0:
            folder = dest / f"vfx/sq{shot // 300:02d}/sh{shot // 3:04d}" / kind
            folder.mkdir(parents=True, exist_ok=True)
        if ai_every and i % ai_every == 0:
            ext, blob = "png", ai
        assert folder is not None
        name = f"sh{shot // 3:04d}_{kind}_v001.{1001 + frame:04d}.{ext}"
        (folder / name).write_bytes(blob + f"\n{i}".encode())
    return dest


def media_only(tree: Path) -> Path:
    """TREE without what `reelprov init` and a scan add to it (the ledger, hooks, settings): the
    same tree for every cold run."""
    for own in (".reelprov", "hooks"):
        shutil.rmtree(tree / own, ignore_errors=True)
    (tree / "reelprov.toml").unlink(missing_ok=True)
    return tree


def timed(cmd: list[str], *, check: bool = True, **kw: object) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t


def child_max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _scratch_data() -> str:
    import atexit
    import tempfile

    global _DATA
    if _DATA is None:
        _DATA = tempfile.mkdtemp(prefix="rp-bench-data-")
        atexit.register(shutil.rmtree, _DATA, True)
    return _DATA


_DATA: str | None = None


def env(**extra: str) -> dict[str, str]:
    # reports and watchers anchor the ledger head under the user's data folder: not the benchmarks'
    e = {**os.environ, "REELPROV_ACTOR": "bench", "XDG_DATA_HOME": _scratch_data(), **extra}
    e.pop("REELPROV_DATABASE_URL", None)
    # This workplace's shell sets PYTHONDONTWRITEBYTECODE=1, so every command would recompile
    # reelprov's modules from source. An installed reelprov has its bytecode (pip compiles it at
    # install); measure that, not the compiler.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**e, **extra}


@contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one run: BASE_URL with search_path pinned to it; dropped after."""
    import uuid

    import sqlalchemy as sa

    schema = f"rp_bench_{uuid.uuid4().hex[:8]}"
    eng = sa.create_engine(base_url)
    with eng.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}{'&' if '?' in base_url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with eng.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        eng.dispose()


def median_times(cmd: list[str], envs: list[dict[str, str]], n: int = 5) -> list[float]:
    """The median wall time (s) of CMD under each environment, the environments alternated run by run
    (peers measured in one run see the same moments of this shared VM)."""
    ts: list[list[float]] = [[] for _ in envs]
    for _ in range(n):
        for i, e in enumerate(envs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=e)
            ts[i].append(time.perf_counter() - t)
    return [statistics.median(t) for t in ts]
