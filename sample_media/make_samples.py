#!/usr/bin/env python3
"""Make reelprov's sample media with the real tools: Pillow, mutagen, ffmpeg and c2pa-python.

Run from the repository root:  python sample_media/make_samples.py
Needs: pip install -e '.[dev]' (Pillow, mutagen, c2pa-python, cryptography) and Debian's ffmpeg.
The C2PA test CA is generated offline on each run; only its root certificate is kept
(sample_media/trust/test_root.pem). The signing key is never written to disk.
"""

from __future__ import annotations

import datetime
import io
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import c2pa
import mutagen.flac
import mutagen.id3 as id3
import mutagen.mp4
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, PngImagePlugin

HERE = Path(__file__).resolve().parent
DST = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def out(rel: str) -> Path:
    p = HERE / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def picture(color: tuple[int, int, int], size: tuple[int, int] = (48, 32)) -> Image.Image:
    im = Image.new("RGB", size, color)
    for x in range(size[0]):
        im.putpixel((x, x % size[1]), (255 - color[0], 255 - color[1], 255 - color[2]))
    return im


def xmp_packet(code: str, *, tool: str | None = None, description: str | None = None) -> bytes:
    tool_attr = f' xmp:CreatorTool="{tool}"' if tool else ""
    desc = (f"<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{description}</rdf:li></rdf:Alt></dc:description>"
            if description else "")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'Iptc4xmpExt:DigitalSourceType="{DST}{code}"{tool_attr}>{desc}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


# -- PNG generators ------------------------------------------------------------------------------
def png_with_text(rel: str, chunks: dict[str, str], *, itxt: set[str] = frozenset(), ztxt: set[str] = frozenset()) -> None:
    info = PngImagePlugin.PngInfo()
    for k, v in chunks.items():
        if k in itxt:
            info.add_itxt(k, v)
        elif k in ztxt:
            info.add_text(k, v, zip=True)
        else:
            info.add_text(k, v)
    picture((40, 90, 160)).save(out(rel), "PNG", pnginfo=info)


def make_generators() -> None:
    png_with_text("generators/a1111_txt2img.png", {"parameters": (
        "a foggy castle on a cliff, matte painting\nNegative prompt: blurry, text\n"
        "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567, Size: 768x512, "
        "Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.10.1")})
    png_with_text("generators/forge_ztxt.png", {"parameters": (
        "street at night, neon\nNegative prompt: people\nSteps: 20, Sampler: Euler a, Seed: 42, "
        "Model: juggernautXL, Version: f2.0.1")}, ztxt={"parameters"})
    prompt = {"3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20}},
              "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "flux1-dev.safetensors"}}}
    workflow = {"last_node_id": 4, "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}]}
    png_with_text("temp/boards/castle.png", {"prompt": json.dumps(prompt), "workflow": json.dumps(workflow)})
    png_with_text("generators/comfyui.png", {"prompt": json.dumps(prompt), "workflow": json.dumps(workflow)})
    png_with_text("generators/invokeai.png", {"invokeai_metadata": json.dumps(
        {"positive_prompt": "a red door", "model": {"name": "sd-1.5"}, "generation_mode": "txt2img"})})
    png_with_text("generators/novelai.png", {
        "Software": "NovelAI", "Source": "NovelAI Diffusion V4 4F4E7D1A",
        "Comment": json.dumps({"prompt": "a knight", "steps": 28, "sampler": "k_euler", "seed": 9})})
    png_with_text("xmp/xmp_ai_itxt.png", {"XML:com.adobe.xmp": xmp_packet("trainedAlgorithmicMedia", tool="Adobe Firefly").decode()},
                  itxt={"XML:com.adobe.xmp"})


# -- JPEG / WebP with XMP, camera EXIF -----------------------------------------------------------
def jpeg_bytes(im: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85, **kw)
    return buf.getvalue()


def make_xmp_and_camera() -> None:
    out("xmp/midjourney_ai.jpg").write_bytes(jpeg_bytes(picture((120, 30, 30)), xmp=xmp_packet(
        "trainedAlgorithmicMedia", description="a ransom note on a desk --ar 3:2 Job ID: 6f1c2a3b-1111-2222-3333-444455556666")))
    out("xmp/genfill_composite.jpg").write_bytes(jpeg_bytes(picture((30, 120, 30)), xmp=xmp_packet(
        "compositeWithTrainedAlgorithmicMedia", tool="Adobe Photoshop 26.0 (Generative Fill)")))
    out("xmp/capture.jpg").write_bytes(jpeg_bytes(picture((30, 30, 120)), xmp=xmp_packet("digitalCapture", tool="Adobe Lightroom")))
    picture((200, 200, 40)).save(out("xmp/xmp_ai.webp"), "WEBP", xmp=xmp_packet("trainedAlgorithmicMedia", tool="Google Imagen"))
    picture((40, 200, 200)).save(out("xmp/capture.webp"), "WEBP", xmp=xmp_packet("digitalCapture"))
    picture((200, 40, 200)).save(out("xmp/genfill_composite.webp"), "WEBP",
                                 xmp=xmp_packet("compositeWithTrainedAlgorithmicMedia", tool="Adobe Photoshop (Generative Fill)"))
    exif = Image.Exif()
    exif[271] = "ARRI"
    exif[272] = "ALEXA 35"
    out("camera/alexa_still.jpg").write_bytes(jpeg_bytes(picture((90, 90, 90)), exif=exif.tobytes()))
    exif2 = Image.Exif()
    exif2[305] = "Topaz Gigapixel AI 7.1"
    out("generators/upscaled_topaz.jpg").write_bytes(jpeg_bytes(picture((10, 60, 90)), exif=exif2.tobytes()))


# -- audio and video -----------------------------------------------------------------------------
def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def make_av() -> None:
    wav = out("plain/tone.wav")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-ac", "1", "-ar", "22050", str(wav))
    mp3 = out("audio/suno_temp_music.mp3")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=0.5", "-ac", "1", "-ar", "22050", "-b:a", "32k", str(mp3))
    tags = id3.ID3()
    tags.add(id3.TIT2(encoding=3, text="Temp score cue 3"))
    tags.add(id3.TSSE(encoding=3, text="Suno v4.5"))
    tags.add(id3.COMM(encoding=3, lang="eng", desc="", text="made with suno.com"))
    tags.save(mp3)
    flac = out("audio/udio_stinger.flac")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=550:duration=0.5", "-ac", "1", "-ar", "22050", str(flac))
    fl = mutagen.flac.FLAC(flac)
    fl["COMMENT"] = "Generated with Udio"
    fl["TITLE"] = "stinger"
    fl.save()
    voice = out("audio/elevenlabs_voice.mp3")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=0.5", "-ac", "1", "-ar", "22050", "-b:a", "32k", str(voice))
    t2 = id3.ID3()
    t2.add(id3.TXXX(encoding=3, desc="generator", text="ElevenLabs Multilingual v2"))
    t2.save(voice)
    mp4 = out("video/runway_shot.mp4")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5", "-pix_fmt", "yuv420p", "-c:v", "libx264", str(mp4))
    m = mutagen.mp4.MP4(mp4)
    m["\xa9too"] = "Runway Gen-4"
    m["\xa9cmt"] = "crowd extension test"
    m.save()
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "0.5", "-pix_fmt", "yuv420p", "-c:v", "libx264",
           str(out("plain/camera_clip.mp4")))


# -- C2PA ----------------------------------------------------------------------------------------
def test_ca() -> tuple[bytes, bytes, bytes]:
    """(chain PEM leaf+root, leaf key PEM, root PEM): an offline EC P-256 test CA."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    later = now + datetime.timedelta(days=3650)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "reelprov samples")])

    rk = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(name("reelprov sample root")).issuer_name(name("reelprov sample root"))
            .public_key(rk.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(rk.public_key()), critical=False)
            .sign(rk, hashes.SHA256()))
    lk = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name("reelprov sample signer")).issuer_name(root.subject)
            .public_key(lk.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(lk.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(rk.public_key()), critical=False)
            .sign(rk, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key = lk.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return leaf.public_bytes(pem) + root.public_bytes(pem), key, root.public_bytes(pem)


def sign(signer: c2pa.Signer, src: bytes, mime: str, dest: Path, actions: list[dict[str, object]], generator: str,
         *, sidecar: bool = False) -> None:
    """Sign SRC into DEST; with SIDECAR, DEST keeps SRC's bytes and the manifest goes to DEST.c2pa."""
    manifest = {"claim_generator_info": [{"name": generator, "version": "1.0"}], "title": dest.name, "format": mime,
                "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}]}
    with c2pa.Builder(manifest) as builder:
        if sidecar:
            builder.set_no_embed()
        dst = io.BytesIO()
        store = builder.sign(signer, mime, io.BytesIO(src), dst)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if sidecar:
        dest.write_bytes(src)
        dest.with_suffix(".c2pa").write_bytes(store)
    else:
        dest.write_bytes(dst.getvalue())


def make_c2pa() -> None:
    chain, key, root = test_ca()
    out("trust/test_root.pem").write_bytes(root)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key, None))
    created_ai = [{"action": "c2pa.created", "digitalSourceType": DST + "trainedAlgorithmicMedia", "softwareAgent": {"name": "DALL-E 3"}}]
    composite = [{"action": "c2pa.created", "digitalSourceType": DST + "digitalCapture"},
                 {"action": "c2pa.edited", "digitalSourceType": DST + "compositeWithTrainedAlgorithmicMedia",
                  "softwareAgent": {"name": "Adobe Firefly"}}]
    capture = [{"action": "c2pa.created", "digitalSourceType": DST + "digitalCapture", "softwareAgent": {"name": "Leica M11-P"}}]
    jpg = jpeg_bytes(picture((150, 20, 20)))
    sign(signer, jpg, "image/jpeg", out("final/props/ransom_note.jpg"), created_ai, "OpenAI Images")
    sign(signer, jpeg_bytes(picture((20, 150, 20))), "image/jpeg", out("c2pa/composite_genfill.jpg"), composite, "Adobe Photoshop")
    sign(signer, jpeg_bytes(picture((20, 20, 150))), "image/jpeg", out("c2pa/capture.jpg"), capture, "Leica FOTOS")
    buf = io.BytesIO()
    picture((200, 100, 50)).save(buf, "PNG")
    sign(signer, buf.getvalue(), "image/png", out("c2pa/firefly_ai.png"),
         [{"action": "c2pa.created", "digitalSourceType": DST + "trainedAlgorithmicMedia", "softwareAgent": {"name": "Adobe Firefly"}}],
         "Adobe Firefly")
    sign(signer, (HERE / "plain/tone.wav").read_bytes(), "audio/wav", out("c2pa/elevenlabs_ai.wav"),
         [{"action": "c2pa.created", "digitalSourceType": DST + "trainedAlgorithmicMedia", "softwareAgent": {"name": "ElevenLabs"}}],
         "ElevenLabs")
    png = io.BytesIO()
    picture((50, 100, 200)).save(png, "PNG")
    sign(signer, png.getvalue(), "image/png", out("c2pa/composite_genfill.png"), composite, "Adobe Photoshop")
    sign(signer, png.getvalue(), "image/png", out("c2pa/capture.png"), capture, "Leica FOTOS")
    wav = (HERE / "plain/tone.wav").read_bytes()
    sign(signer, wav, "audio/wav", out("c2pa/composite_edit.wav"), composite, "Adobe Audition")
    sign(signer, wav, "audio/wav", out("c2pa/capture.wav"), [{"action": "c2pa.created", "digitalSourceType": DST + "digitalCapture",
                                                             "softwareAgent": {"name": "Sound Devices MixPre"}}], "Sound Devices")
    sign(signer, jpeg_bytes(picture((90, 20, 90))), "image/jpeg", out("c2pa/sidecar_ai.jpg"), created_ai, "OpenAI Images", sidecar=True)
    mp3 = out("c2pa/_src.mp3")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=660:duration=0.5", "-ac", "1", "-ar", "22050", "-b:a", "32k", str(mp3))
    sign(signer, mp3.read_bytes(), "audio/mpeg", out("c2pa/suno_ai.mp3"),
         [{"action": "c2pa.created", "digitalSourceType": DST + "trainedAlgorithmicMedia", "softwareAgent": {"name": "Suno"}}], "Suno")
    sign(signer, mp3.read_bytes(), "audio/mpeg", out("c2pa/composite_edit.mp3"), composite, "Adobe Audition")
    sign(signer, mp3.read_bytes(), "audio/mpeg", out("c2pa/capture.mp3"), capture, "Zoom H6")
    mp3.unlink()
    sign(signer, (HERE / "plain/camera_clip.mp4").read_bytes(), "video/mp4", out("c2pa/sora_ai.mp4"),
         [{"action": "c2pa.created", "digitalSourceType": DST + "trainedAlgorithmicMedia", "softwareAgent": {"name": "Sora"}}], "OpenAI Sora")
    sign(signer, (HERE / "plain/camera_clip.mp4").read_bytes(), "video/mp4", out("c2pa/composite_edit.mp4"), composite, "Adobe Premiere Pro")
    sign(signer, (HERE / "plain/camera_clip.mp4").read_bytes(), "video/mp4", out("c2pa/capture.mp4"), capture, "Sony Camera")
    # Tampered after signing: flip bytes in the image data, keep the manifest.
    signed = bytearray((HERE / "c2pa/capture.jpg").read_bytes())
    signed[-20] ^= 0xFF
    signed[-21] ^= 0xFF
    out("c2pa/tampered_after_signing.jpg").write_bytes(bytes(signed))


# -- plain and broken ----------------------------------------------------------------------------
def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data) & 0xFFFFFFFF)


def make_plain_and_broken() -> None:
    picture((128, 128, 128)).save(out("plain/no_metadata.png"), "PNG")
    out("plain/no_metadata.jpg").write_bytes(jpeg_bytes(picture((60, 60, 60))))
    src = (HERE / "generators/a1111_txt2img.png").read_bytes()
    out("broken/truncated.png").write_bytes(src[: len(src) // 3])
    out("broken/truncated.jpg").write_bytes((HERE / "camera/alexa_still.jpg").read_bytes()[:200])
    out("broken/empty.png").write_bytes(b"")
    shutil.copy(HERE / "generators/comfyui.png", out("broken/png_named.jpg"))
    out("broken/random.mp4").write_bytes(bytes((i * 37 + 11) % 256 for i in range(4096)))
    # Decompression bomb: the header claims 60000x60000, the text chunk must still be read.
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    text = b"parameters\x00a huge matte painting\nSteps: 30, Sampler: Euler, Seed: 1, Model: sdxl"
    out("broken/bomb_60000x60000.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"tEXt", text)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b""))
    bad = bytearray((HERE / "xmp/midjourney_ai.jpg").read_bytes())
    out("broken/bad_utf8_tags.mp3").write_bytes(b"")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=100:duration=0.3", "-ac", "1", "-ar", "22050", "-b:a", "32k",
           str(out("broken/bad_utf8_tags.mp3")))
    t = id3.ID3()
    t.add(id3.TSSE(encoding=0, text="Audacity 3.4"))
    t.add(id3.COMM(encoding=0, lang="eng", desc="", text="caf\xe9 \xff\xfe notes"))
    t.save(out("broken/bad_utf8_tags.mp3"))
    del bad


def make_sidecars() -> None:
    out("vfx/sh020/sh020_crowd_v003.png").write_bytes(b"")
    picture((5, 5, 5)).save(out("vfx/sh020/sh020_crowd_v003.png"), "PNG")
    out("vfx/sh020/sh020_crowd_v003.png.reelprov.json").write_text(json.dumps({
        "reelprov_declaration": 1, "origin": "ai_composite", "tool": "Runway Gen-4", "purpose": "crowd extension",
        "inputs": ["plate sh020_bg_v001"], "consent": [], "tags": ["story_relevant"], "by": "Vendor X pipeline"}, indent=2) + "\n")
    picture((9, 9, 9)).save(out("vfx/sh030/sh030_sky.png"), "PNG")
    out("vfx/sh030/sh030_sky.xmp").write_bytes(xmp_packet("trainedAlgorithmicMedia", tool="Midjourney"))


def main() -> None:
    for d in ("generators", "xmp", "camera", "audio", "video", "c2pa", "plain", "broken", "final", "temp", "vfx", "trust"):
        shutil.rmtree(HERE / d, ignore_errors=True)
    make_generators()
    make_xmp_and_camera()
    make_av()
    make_c2pa()
    make_plain_and_broken()
    make_sidecars()
    print("sample media written under", HERE)


if __name__ == "__main__":
    main()
