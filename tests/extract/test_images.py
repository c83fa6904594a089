"""Image readers on files made on the spot with Pillow: TIFF XMP and tags, EXIF UserComment in JPEG."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, TiffImagePlugin

from reelprov.extract import examine
from tests.conftest import SD_PARAMS, write_png

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def test_tiff_xmp_and_software(tmp_path: Path) -> None:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[700] = XMP
    info[305] = "Adobe Photoshop (Generative Fill)"
    f = tmp_path / "plate.tif"
    Image.new("RGB", (8, 8)).save(f, "TIFF", tiffinfo=info)
    res = examine(str(f), "plate.tif")
    origins = {(e["kind"], e["origin"]) for e in res.evidence}
    assert ("xmp", "ai_composite") in origins


def test_jpeg_exif_usercomment_parameters(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[37510] = (
        b"ASCII\x00\x00\x00a dragon\nNegative prompt: x\nSteps: 20, Sampler: Euler, Seed: 3, Model: sdxl"
    )
    f = tmp_path / "gen.jpg"
    Image.new("RGB", (8, 8)).save(f, "JPEG", exif=exif.tobytes())
    res = examine(str(f), "gen.jpg")
    assert any(
        e["tool"] == "Stable Diffusion" and e["kind"] == "generator_text" for e in res.evidence
    )


def test_evidence_describes_the_bytes_that_were_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file rewritten between hashing and reading (a render still being saved) must not get
    the new content's evidence under the old content's hash."""
    import hashlib

    import reelprov.extract as extract

    f = write_png(tmp_path / "shot.png", {"parameters": SD_PARAMS})
    hashed = hashlib.sha256(f.read_bytes()).hexdigest()
    real_digest = extract.digest_file

    def digest_then_overwrite(path: str) -> object:
        d = real_digest(path)
        write_png(Path(path), color=(1, 2, 3))  # the file changes right after it was hashed
        return d

    monkeypatch.setattr(extract, "digest_file", digest_then_overwrite)
    res = extract.examine(str(f), "shot.png", sidecars=False)
    assert res.sha256 == hashed
    assert [(e["kind"], e["tool"]) for e in res.evidence] == [
        ("generator_text", "Stable Diffusion")
    ]


@pytest.mark.parametrize("keep", [8, 33, -12, -13])
def test_a_png_cut_short_says_so(tmp_path: Path, keep: int) -> None:
    """A PNG that stops before its end (a render or copy cut short) is recorded as truncated,
    as a JPEG is, and what was read before the cut still counts."""
    whole = write_png(tmp_path / "whole.png", {"parameters": SD_PARAMS}).read_bytes()
    f = tmp_path / "cut.png"
    f.write_bytes(whole[:keep])
    found = [(e["kind"], e["source"], e["detail"]) for e in examine(str(f), "cut.png").evidence]
    assert (
        "error",
        "PNG",
        "could not be read: file ends before its IEND chunk (truncated)",
    ) in found or ("error", "PNG", "could not be read: truncated chunk header") in found, found
    assert [e["kind"] for e in examine(str(tmp_path / "whole.png"), "whole.png").evidence] == [
        "generator_text"
    ]
    if keep < 0:  # only IEND is missing: the generator's text was read
        assert any(k == "generator_text" for k, _, _ in found)
