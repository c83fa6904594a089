"""Synthetic ledgers for scale benchmarks, written through the real Ledger API (hash chain and all)."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

if TYPE_CHECKING:
    from reelprov.ledger.entries import EvidenceFound, Seen

TOOLS = ["Midjourney", "Runway", "Stable Diffusion", "ElevenLabs", "Sora"]


def populate(
    project: object,
    *,
    assets: int,
    flag_every: int = 5,
    batch: int = 5000,
    progress: bool = True,
    all_listed: bool = False,
    split_evidence: bool = False,
) -> int:
    """ASSETS assets (each one seen entry saying what its reading found, as a scan records a new
    file), one review flag on every FLAG_EVERY-th. Returns entries written.
    ALL_LISTED: every asset final, every AI one flagged, so the report lists every asset (the AI ones
    under open reviews or blocking, the others as unknown origin on screen).
    SPLIT_EVIDENCE: as ledgers written before 2026-12-07, a seen entry then an evidence entry."""
    from reelprov.project import Project

    assert isinstance(project, Project)
    written = 0
    t0 = time.perf_counter()
    for start in range(0, assets, batch):
        with project.batch(evaluate=False) as b:
            for i in range(start, min(assets, start + batch)):
                aid = b.new_asset_id()
                sha = hashlib.sha256(str(i).encode()).hexdigest()
                stage = "final" if all_listed or i % 3 == 0 else "temp"
                path = f"{stage}/reel{i // 1000:03d}/shot{i:07d}.png"
                ai = i % 2 == 0
                ev = (
                    [
                        {
                            "source": "PNG text 'parameters'",
                            "kind": "generator_text",
                            "origin": "ai_generated",
                            "tool": TOOLS[i % len(TOOLS)],
                            "detail": "A1111/Forge generation parameters",
                        }
                    ]
                    if ai
                    else []
                )
                found: EvidenceFound = {
                    "sha256": sha,
                    "evidence": ev,
                    "c2pa": {"present": False, "state": "none"},
                }
                seen: Seen = {
                    "path": path,
                    "sha256": sha,
                    "size": 1000 + i,
                    "media_type": "image/png",
                    "mtime_ns": 0,
                }
                if split_evidence:
                    b.append("seen", aid, seen)
                    b.append("evidence", aid, found)
                else:
                    b.append("seen", aid, {**seen, "evidence": ev, "c2pa": found["c2pa"]})
                if ai if all_listed else i % flag_every == 0:
                    b.append(
                        "flagged",
                        aid,
                        {
                            "flag_id": b.next_flag_id(),
                            "rule": "screen.ai_headed_to_screen",
                            "area": "screen",
                            "severity": "review" if i % 10 else "escalate",
                            "reason": "ai_generated element headed to screen",
                            "sha256": sha,
                        },
                    )
            written += len(b.entries)
        if progress:
            print(
                f"  {min(assets, start + batch)}/{assets} assets, {written} entries, {time.perf_counter() - t0:.0f}s",
                file=sys.stderr,
            )
    return written
