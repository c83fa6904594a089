"""Hostile input: mutated real samples, bombs, deep XMP. Every extractor answers, none raises."""

from __future__ import annotations

import dataclasses
import json
import shutil
import struct
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelprov.extract import examine
from tests.conftest import SAMPLES, SD_PARAMS

SEEDS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.is_file() and p.suffix in (".png", ".jpg", ".webp", ".mp3", ".flac", ".mp4", ".wav")
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(0, 1 << 16), st.binary(min_size=0, max_size=16)), max_size=6
    ),
    truncate=st.one_of(st.none(), st.integers(0, 1 << 16)),
)
def test_mutated_samples_never_crash(
    tmp_path: Path, seed: Path, cuts: list[tuple[int, bytes]], truncate: int | None
) -> None:
    data = bytearray(seed.read_bytes())
    for pos, blob in cuts:
        p = pos % (len(data) + 1)
        data[p : p + len(blob)] = blob
    if truncate is not None:
        data = data[: truncate % (len(data) + 1)]
    target = tmp_path / seed.name
    target.write_bytes(bytes(data))
    res = examine(str(target), seed.name)
    assert res.size == len(data)
    assert res.c2pa["state"] in ("none", "valid", "trusted", "invalid")
    for e in res.evidence:
        assert set(e) >= {"source", "kind", "origin", "tool", "detail"}


SIDECARS = [
    (SAMPLES / "vfx/sh030/sh030_sky.xmp", "sh030_sky.png"),
    (SAMPLES / "vfx/sh020/sh020_crowd_v003.png.reelprov.json", "sh020_crowd_v003.png"),
    (SAMPLES / "c2pa/sidecar_ai.c2pa", "sidecar_ai.jpg"),
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(SIDECARS),
    cuts=st.lists(
        st.tuples(st.integers(0, 1 << 14), st.binary(min_size=0, max_size=12)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_sidecars_never_crash(
    tmp_path: Path, which: tuple[Path, str], cuts: list[tuple[int, bytes]]
) -> None:
    """Sidecars (.xmp, declaration JSON, detached .c2pa) damaged anywhere: the media file is still
    examined, and what was wrong is an evidence row."""
    sidecar, media = which
    data = bytearray(sidecar.read_bytes())
    for pos, blob in cuts:
        p = pos % (len(data) + 1)
        data[p : p + len(blob)] = blob
    folder = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example: hypothesis reuses tmp_path
    shutil.copy(sidecar.parent / media, folder / media)
    (folder / sidecar.name).write_bytes(bytes(data))
    res = examine(str(folder / media), media)
    assert res.sha256 and res.c2pa["state"] in ("none", "valid", "trusted", "invalid")
    for e in res.evidence:
        assert set(e) >= {"source", "kind", "origin", "tool", "detail"} and len(e["detail"]) <= 500


def _chunk(t: bytes, d: bytes) -> bytes:
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))


def test_ztxt_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = zlib.compress(b"A" * (64 << 20), 9)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + _chunk(b"zTXt", b"parameters\x00\x00" + bomb)
        + _chunk(b"IEND", b"")
    )
    f = tmp_path / "bomb.png"
    f.write_bytes(png)
    res = examine(str(f), "bomb.png")
    assert any("zip bomb" in e["detail"] for e in res.evidence)


def test_deep_and_huge_xmp(tmp_path: Path) -> None:
    deep = (
        b"<x:xmpmeta>"
        + b"<a>" * 10000
        + b'<rdf:Description Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
        + b"</a>" * 10000
        + b"</x:xmpmeta>"
    )
    src = SAMPLES / "plain/no_metadata.png"
    f = tmp_path / "deep.png"
    shutil.copy(src, f)
    (tmp_path / "deep.xmp").write_bytes(deep)
    res = examine(str(f), "deep.png")
    assert any(e["origin"] == "ai_generated" for e in res.evidence)
    (tmp_path / "deep.xmp").write_bytes(b"<x:xmpmeta>" + b" " * (5 << 20) + b"</x:xmpmeta>")
    res = examine(str(f), "deep.png")
    assert any("over" in e["detail"] for e in res.evidence)


def test_non_utf8_tags_recorded(tmp_path: Path) -> None:
    res = examine(str(SAMPLES / "broken/bad_utf8_tags.mp3"), "x.mp3")
    assert res.media_type == "audio/mpeg"


def test_hostile_declaration_sidecars_become_evidence_of_what_is_wrong(tmp_path: Path) -> None:
    """A declaration sidecar is trusted text from a vendor: a damaged or hostile one (huge file,
    megabyte tool name, non-string fields) is refused with the reason, never stored as given."""

    seed = SAMPLES / "plain/no_metadata.png"
    cases = {
        "huge": b"{" + b" " * (2 << 20) + b"}",
        "tool": json.dumps(
            {"reelprov_declaration": 1, "origin": "ai_generated", "tool": "x" * 1_000_000}
        ).encode(),
        "by": json.dumps(
            {"reelprov_declaration": 1, "origin": "ai_generated", "by": {"name": "x"}}
        ).encode(),
        "tags": json.dumps(
            {"reelprov_declaration": 1, "origin": "ai_generated", "tags": ["y" * 5000]}
        ).encode(),
        "note": json.dumps(
            {"reelprov_declaration": 1, "origin": "ai_generated", "note": "z" * 100_000}
        ).encode(),
    }
    for name, blob in cases.items():
        target = tmp_path / name / "still.png"
        target.parent.mkdir()
        shutil.copy(seed, target)
        (target.parent / "still.png.reelprov.json").write_bytes(blob)
        res = examine(str(target), f"{name}/still.png")
        decl = [e for e in res.evidence if e["source"] == "sidecar still.png.reelprov.json"]
        assert [e["kind"] for e in decl] == ["error"], (name, decl)
        assert (
            "could not be read" in decl[0]["detail"]
            and len(json.dumps(dataclasses.asdict(res))) < 5000
        ), name
        assert res.evidence and all(e["kind"] != "declaration" for e in res.evidence)


def _corrupt_exif_jpeg() -> bytes:
    """A JPEG whose EXIF block is cut short: Pillow warns 'Tag data larger than file'."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[270] = "x" * 100
    exif[305] = "Stable Diffusion"
    blob = exif.tobytes()[:-60]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    jpg = buf.getvalue()
    return jpg[:2] + b"\xff\xe1" + struct.pack(">H", len(blob) + 2) + blob + jpg[2:]


def test_library_warnings_become_the_files_evidence_not_stderr_noise(tmp_path: Path) -> None:
    """What Pillow says about a damaged file belongs to that file: recorded as its evidence (for
    every such file, not once per run), and nothing raw on the user's terminal."""
    import os
    import subprocess
    import sys

    from tests.conftest import run_cli

    root = tmp_path / "show"
    root.mkdir()
    run_cli("init", str(root))
    for name in ("a.jpg", "b.jpg"):
        (root / name).write_bytes(_corrupt_exif_jpeg())
    r = subprocess.run(
        [sys.executable, "-m", "reelprov", "scan", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "REELPROV_ACTOR": "t"},
        timeout=120,
    )
    assert r.returncode == 0 and json.loads(r.stdout)["seen"] == 2, r.stderr
    assert "Warning" not in r.stderr and "warnings.warn" not in r.stderr, r.stderr
    for name in ("a.jpg", "b.jpg"):
        ev = run_cli("show", name, "--json", cwd=root).json()["evidence"]
        assert {
            "source": "reelprov.images",
            "kind": "error",
            "origin": None,
            "tool": None,
            "detail": "while reading: UserWarning: Tag data larger than file. Skipping tag 270",
        } in ev, (name, ev)


def test_a_file_crafted_to_flood_the_ledger_gives_a_bounded_evidence_list(tmp_path: Path) -> None:
    from reelprov.classify import classify
    from reelprov.extract import MAX_EVIDENCE

    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    for i in range(3000):
        png += _chunk(b"tEXt", b"Software\x00Midjourney v6 run %d" % i)
    png += _chunk(
        b"tEXt", b"parameters\x00" + SD_PARAMS.encode()
    )  # the one item of its kind comes last
    png += _chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00")) + _chunk(b"IEND", b"")
    f = tmp_path / "flood.png"
    f.write_bytes(png)
    res = examine(str(f), "flood.png", sidecars=False)
    ev = res.evidence
    assert len(ev) == MAX_EVIDENCE + 1
    assert ev[-1]["kind"] == "error" and ev[-1]["detail"].startswith(
        f"{3001 - MAX_EVIDENCE} more evidence items not kept"
    )
    # what decides the verdict and the tools survives the cut
    assert ev[-2]["kind"] == "generator_text" and ev[-2]["tool"] == "Stable Diffusion"
    assert classify(ev) == ("ai_generated", ["Midjourney", "Stable Diffusion"])
