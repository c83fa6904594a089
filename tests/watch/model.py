"""The watcher against a model: random bursts of file operations under a running watcher (files
created, edited, replaced through a temp name, moved, copied, deleted, folders renamed and
removed); after each burst the ledger must come to hold exactly the tree, path for path and
content for content, and verify. Used by tests/watch/test_model.py (short) and
benchmarks/hardening_watch_model.py (long)."""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_media/plain/no_metadata.png"
FOLDERS = ["a", "b", "a/c", "b/d"]
NAMES = ["x.png", "y.png", "z.png", "w.png"]
PATHS = [f"{d}/{n}" for d in FOLDERS for n in NAMES]
OPS = ["create", "create", "edit", "move", "copy", "delete", "mvdir", "rmdir", "replace", "sidecar"]
SIDECAR = ".reelprov.json"  # a vendor's declaration next to a file: NAME.png.reelprov.json
DECLARED = '{"reelprov_declaration": 1, "origin": "ai_composite", "tool": "Runway Gen-4"}\n'


@dataclass
class Outcome:
    seed: int
    rounds: int = 0
    ops: list[str] = field(default_factory=list)
    problem: str | None = None  # what differed, with the last operations, if anything did


def _tree(root: Path) -> dict[str, str]:
    """The media files (not their sidecars) and their content."""
    out = {}
    for f in root.rglob("*"):
        rel = f.relative_to(root).as_posix()
        if f.is_file() and rel.split("/", 1)[0] in ("a", "b") and not rel.endswith(SIDECAR):
            out[rel] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _origins(root: Path, tree: dict[str, str]) -> dict[str, str]:
    """What each file's origin must be: declared by its sidecar, else unknown (the PNG says nothing)."""
    return {p: "ai_composite" if (root / (p + SIDECAR)).is_file() else "unknown" for p in tree}


def _one_op(root: Path, rng: random.Random, base: bytes, files: list[str]) -> str | None:
    op = rng.choice(OPS)
    free = [x for x in PATHS if x not in files]

    def content() -> bytes:
        return (
            base + f"\n{rng.randint(0, 8)}".encode()
        )  # one of 9 contents: copies and repeats happen

    if op == "create" and free:
        dst = rng.choice(free)
        (root / dst).parent.mkdir(parents=True, exist_ok=True)
        (root / dst).write_bytes(content())
        return f"create {dst}"
    if op == "edit" and files:
        dst = rng.choice(files)
        (root / dst).write_bytes(content())
        return f"edit {dst}"
    if op in ("move", "copy") and files and free:
        src, dst = rng.choice(files), rng.choice(free)
        (root / dst).parent.mkdir(parents=True, exist_ok=True)
        if op == "copy":
            shutil.copy2(
                root / src, root / dst
            )  # keeps the modification time, as Finder and rsync -a do
        else:
            (root / src).rename(root / dst)
        return f"{op} {src} {dst}"
    if op == "delete" and files:
        dst = rng.choice(files)
        (root / dst).unlink()
        return f"delete {dst}"
    if op == "mvdir":
        src, dst = rng.sample(FOLDERS, 2)
        if (root / src).is_dir() and not (root / dst).exists() and not dst.startswith(src + "/"):
            (root / dst).parent.mkdir(parents=True, exist_ok=True)
            (root / src).rename(root / dst)
            return f"mvdir {src} {dst}"
    if op == "rmdir":
        d = rng.choice(FOLDERS)
        if (root / d).is_dir():
            shutil.rmtree(root / d)
            return f"rmdir {d}"
    if op == "sidecar" and files:
        dst = rng.choice(files)  # a vendor's declaration arrives, or is taken back
        side = root / (dst + SIDECAR)
        if side.exists():
            side.unlink()
            return f"sidecar removed {dst}"
        side.write_text(DECLARED)
        return f"sidecar added {dst}"
    if op == "replace" and files:
        dst = rng.choice(files)  # save through a temp name, as Photoshop and most renderers do
        tmp = root / (dst + ".tmp")
        tmp.write_bytes(content())
        tmp.rename(root / dst)
        return f"replace {dst}"
    return None


def run_model(
    seed: int, rounds: int, *, polling: bool = False, converge_s: float = 15.0
) -> Outcome:
    from reelprov.ledger.verify import verify
    from reelprov.project import init_project
    from reelprov.review.assets import list_assets
    from reelprov.watch.daemon import Watcher

    rng = random.Random(seed)
    base = SAMPLE.read_bytes()
    out = Outcome(seed)
    tmp = Path(tempfile.mkdtemp(prefix="rp-watch-model-"))
    root = tmp / "show"
    root.mkdir()
    project = init_project(root)
    w = Watcher(project, settle=0.3, poll=0.2 if polling else None)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        deadline = time.monotonic() + 20
        while (
            not (w.observer is not None and w.state.reconciled_at) and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        for out.rounds in range(1, rounds + 1):
            for _ in range(rng.randint(1, 12)):
                did = _one_op(root, rng, base, sorted(_tree(root)))
                if did:
                    out.ops.append(did)
                if rng.random() < 0.3:
                    time.sleep(rng.random() * 0.5)
            want = _tree(root)
            origins = _origins(root, want)
            deadline = time.monotonic() + converge_s
            got: dict[str, str] = {}
            seen: dict[str, str] = {}
            while time.monotonic() < deadline:
                rows = list_assets(project)
                got = {a["path"]: a["sha256"] for a in rows}
                seen = {a["path"]: a["origin"] for a in rows}
                if got == want and seen == origins:
                    break
                time.sleep(0.1)
            if got != want or seen != origins:
                out.problem = (
                    f"after {converge_s:.0f} s the ledger still differs from the tree: only on disk "
                    f"{sorted(set(want) - set(got))}, only in the ledger {sorted(set(got) - set(want))}, "
                    f"other content {sorted(p for p in want if p in got and want[p] != got[p])}, other "
                    f"origin {sorted(p for p in origins if p in seen and origins[p] != seen[p])}; "
                    f"last operations {out.ops[-15:]}"
                )
                break
            res = verify(project.ledger)
            if not res.ok:
                out.problem = f"verify failed: {res.problems[:3]}"
                break
    finally:
        w.stop()
        t.join(15)
        project.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return out
