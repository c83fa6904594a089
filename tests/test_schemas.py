"""The public JSON contract: docs/schemas/ is what the typed classes generate now, and what reelprov
really prints and tells hooks validates against it; the README's event table lists exactly the
events the library emits."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from reelprov import events, schemas
from tests.conftest import SAMPLES, SD_PARAMS, write_png

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schemas"
README = Path(__file__).resolve().parents[1] / "README.md"


def _schema(name: str) -> dict:
    return json.loads((DOCS / name).read_text())


def test_the_schemas_in_docs_are_current() -> None:
    want = {name: schemas.render(s) for name, s in schemas.generate().items()}
    have = {p.name: p.read_text() for p in DOCS.glob("*.schema.json")}
    assert sorted(have) == sorted(want), "run `python -m reelprov.schemas`"
    for name in want:
        assert have[name] == want[name], f"{name} is stale: run `python -m reelprov.schemas`"
    page = (DOCS.parent / "json.md").read_text()
    assert page == schemas.contract_page(schemas.generate()), "run `python -m reelprov.schemas`"


def _hook_log(root: Path) -> Path:
    log = root / "events.jsonl"
    hook = root / "hooks" / "all.log"
    hook.write_text(f"#!/bin/sh\ncat >> '{log}'\necho >> '{log}'\n")
    hook.chmod(0o755)
    return log


def test_every_event_the_library_emits_is_as_documented(cli, show_root: Path) -> None:
    """One story that makes reelprov emit every event, each checked against its schema (no key
    more, none missing) by a hook, as a project's scripts receive it."""
    log = _hook_log(show_root)
    write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS})
    assert cli("scan", cwd=show_root).code == 0  # asset-recorded (seen), flag-raised
    assert cli("tag", "final/hero.png", "--tag", "talent_likeness", cwd=show_root).code == 0
    assert (
        cli("tag", "final/hero.png", "--tag", "synthetic_voice", cwd=show_root).code == 0
    )  # updated
    flags = cli("flags", "--json", cwd=show_root).json()
    fid = str(flags[0]["id"])
    assert (
        cli("approve", fid, "--by", "J. Park", "--ref", "L-1", cwd=show_root).code == 0
    )  # decided
    r = cli("revoke", fid, "--by", "Legal", "--note", "consent withdrawn", cwd=show_root)
    assert r.code == 0  # revoked
    assert cli("approve", fid, "--by", "J. Park", "--ref", "L-2", cwd=show_root).code == 0
    write_png(show_root / "final/hero.png", {"parameters": SD_PARAMS}, color=(9, 9, 9))
    assert cli("scan", cwd=show_root).code == 0  # changed: flag-reopened
    (show_root / "final/hero.png").rename(show_root / "final/hero_v2.png")
    assert cli("scan", cwd=show_root).code == 0  # asset-recorded (moved)
    edl = show_root / "r1.edl"
    edl.write_text(
        "TITLE: R\nFCM: NON-DROP FRAME\n\n001  AX       V     C        00:00:00:00 00:00:01:00 "
        "01:00:00:00 01:00:01:00\n* FROM CLIP NAME: hero_v2.png\n"
    )
    assert cli("cut", "import", str(edl), "--name", "R1", cwd=show_root).code == 0  # cut-imported
    assert cli("cut", "rm", "R1", cwd=show_root).code == 0  # cut-removed
    (show_root / "final/hero_v2.png").unlink()
    assert cli("scan", cwd=show_root).code == 0  # asset-deleted, flag-resolved
    use = ("use", "propose", "--tool", "Sora", "--purpose", "previs", "--scope", "previs/**")
    assert cli(*use, "--by", "P", "--answers", "yes,no,yes,yes,yes", cwd=show_root).code == 0
    assert cli("use", "approve", "U-1", "--by", "J", "--ref", "R", cwd=show_root).code == 0
    assert cli("use", "close", "U-1", "--by", "P", cwd=show_root).code == 0  # use-* events
    sent = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {e["event"] for e in sent} == set(events.BY_NAME)
    for e in sent:
        jsonschema.validate(e, _schema(f"event-{e['event']}.schema.json"))
    moved = [e for e in sent if e["event"] == "asset-recorded" and e["change"] == "moved"]
    assert moved and moved[0]["from"] == "final/hero.png"
    assert not [
        e for e in sent if e["event"] == "asset-recorded" and e["change"] == "seen" and "from" in e
    ]


def test_a_payload_with_a_key_nobody_documented_fails_its_schema() -> None:
    """The schemas are closed: drift between what is emitted and what is documented is caught."""
    ev = events.AssetDeleted(asset="a1", path="final/x.png")
    payload = {"event": ev.NAME, "project": {"name": "s", "root": "/s"}, **ev.payload()}
    jsonschema.validate(payload, _schema("event-asset-deleted.schema.json"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {**payload, "origin": "human"}, _schema("event-asset-deleted.schema.json")
        )


def test_the_readme_documents_exactly_the_events_emitted() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| (.*) \|$", README.read_text(), re.M)
    documented = {name: text for name, text in rows if name in events.BY_NAME or "-" in name}
    assert set(documented) == set(events.BY_NAME)
    for name in events.BY_NAME:
        keys = set(_schema(f"event-{name}.schema.json")["properties"]) - {"event", "project"}
        text = documented[name]
        inherited = re.match(r"as (flag-\w+)", text)
        if inherited:  # "as flag-raised plus ..."
            keys -= set(_schema(f"event-{inherited.group(1)}.schema.json")["properties"])
        missing = [k for k in sorted(keys) if f"`{k}" not in text and f" {k} " not in f" {text} "]
        assert not missing, f"README's row for {name} does not mention {missing}"


def test_listings_and_the_report_of_the_sample_media_match_their_schemas(
    cli, tmp_path: Path
) -> None:
    root = tmp_path / "show"
    shutil.copytree(SAMPLES, root)
    assert cli("init", str(root)).code == 0
    assert cli("-P", str(root), "scan").code == 0
    asset_schema = _schema("asset.schema.json")
    listed = cli("-P", str(root), "ls", "--json").json()
    assert len(listed) > 40
    for a in listed:
        jsonschema.validate(a, asset_schema)
    shown = cli("-P", str(root), "show", "vfx/sh020/sh020_crowd_v003.png", "--json").json()
    jsonschema.validate(shown, asset_schema)
    assert shown["history"]
    out = tmp_path / "r.json"
    r = cli("-P", str(root), "report", "--format", "json", "--output", str(out))
    assert r.code in (0, 1), r.err
    jsonschema.validate(json.loads(out.read_text()), _schema("report.schema.json"))


def test_a_report_with_cuts_uses_sequences_and_trails_matches_its_schema(
    cli, tmp_path: Path
) -> None:
    """Every part of the report the sample media alone leaves empty (a cut's inventory and usage,
    frames of an AI sequence, an intended use with its trail, a revoked approval in the audit)
    is written and checked against the closed schema: a key nobody documented fails here."""
    root = tmp_path / "show"
    shutil.copytree(SAMPLES, root)
    for n in range(1001, 1004):
        write_png(root / f"final/vfx/sh010/sh010_comp.{n}.png", {"parameters": SD_PARAMS})
    assert cli("init", str(root)).code == 0
    assert cli("-P", str(root), "scan").code == 0
    edl = root / "reel1.edl"
    edl.write_text(
        "TITLE: R1\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        00:00:00:00 00:00:00:03 01:00:00:00 01:00:00:03\n"
        "* FROM CLIP: /Volumes/SHOW/final/vfx/sh010/sh010_comp.[1001-1003].png\n\n"
        "002  AX       V     C        00:00:00:00 00:00:01:00 01:00:00:03 01:00:01:03\n"
        "* FROM CLIP NAME: a1111_txt2img.png\n"
    )
    assert cli("-P", str(root), "cut", "import", str(edl)).code == 0
    use = ("use", "propose", "--tool", "Stable Diffusion", "--purpose", "previs", "--scope", "**")
    answers = ("--answers", "yes,yes,unsure,yes,yes", "--by", "VFX Sup")
    assert cli("-P", str(root), *use, *answers).code == 0
    flags = cli("-P", str(root), "flags", "--json").json()
    fid = str(next(f["id"] for f in flags if f["path"] == "generators/a1111_txt2img.png"))
    approve = ("approve", fid, "--by", "Legal", "--ref", "CL-1", "--note", "ok")
    assert cli("-P", str(root), *approve).code == 0, "approve"
    assert cli("-P", str(root), "revoke", fid, "--by", "Legal", "--note", "withdrawn").code == 0
    out = tmp_path / "r.json"
    r = cli("-P", str(root), "report", "--format", "json", "--output", str(out))
    assert r.code in (0, 1), r.err
    report = json.loads(out.read_text())
    jsonschema.validate(report, _schema("report.schema.json"))
    rows = [row for sec in report["sections"] for row in sec["rows"]]
    assert any(row["cut_usage"] for row in rows)
    assert any(
        step["event"] == "revoked" for row in rows for f in row["flags"] for step in f["trail"]
    )
    assert report["uses"] and report["uses"][0]["trail"][0]["event"] == "proposed"
    (inventory,) = report["cuts"]
    assert [row["files"] for row in inventory["rows"]] == [3, 1]
    assert inventory["rows"][0]["frames"] == "1001-1003"


def test_the_sample_declaration_sidecars_match_their_schema() -> None:
    found = sorted(SAMPLES.rglob("*.reelprov.json"))
    assert found
    for path in found:
        jsonschema.validate(
            json.loads(path.read_text()), _schema("declaration-sidecar.schema.json")
        )


def test_the_contract_names_the_origins_reelprov_gives() -> None:
    from typing import get_args

    from reelprov.classify import ORIGINS
    from reelprov.contract import Origin

    assert get_args(Origin) == ORIGINS
