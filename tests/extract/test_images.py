"""Image readers on files made on the spot with Pillow: TIFF XMP and tags, EXIF UserComment in JPEG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, TiffImagePlugin

from reelprov.extract import examine

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
       b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"/>'
       b"</rdf:RDF></x:xmpmeta>")


def test_tiff_xmp_and_software(tmp_path: Path) -> None:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[700] = XMP
    info[305] = "Adobe Photoshop (Generative Fill)"
    f = tmp_path / "plate.tif"
    Image.new("RGB", (8, 8)).save(f, "TIFF", tiffinfo=info)
    res = examine(str(f), "plate.tif")
    origins = {(e["kind"], e["origin"]) for e in res["evidence"]}
    assert ("xmp", "ai_composite") in origins


def test_jpeg_exif_usercomment_parameters(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[37510] = b"ASCII\x00\x00\x00a dragon\nNegative prompt: x\nSteps: 20, Sampler: Euler, Seed: 3, Model: sdxl"
    f = tmp_path / "gen.jpg"
    Image.new("RGB", (8, 8)).save(f, "JPEG", exif=exif.tobytes())
    res = examine(str(f), "gen.jpg")
    assert any(e["tool"] == "Stable Diffusion" and e["kind"] == "generator_text" for e in res["evidence"])
