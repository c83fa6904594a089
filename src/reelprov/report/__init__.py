"""The pre-delivery report: what is cleared and what still blocks delivery, as HTML, JSON, CSV, Markdown."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from html import escape as _escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelprov.classify import AI_ORIGINS, ANY_AI
from reelprov.cut import event_assets
from reelprov.errors import ReportError
from reelprov.frames import frame_parts, runs, runs_text
from reelprov.names import counted, printable
from reelprov.policy import SEVERITIES, UNRESOLVED
from reelprov.policy.engine import severity_rank
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.stages import stage_of, tags_of

if TYPE_CHECKING:
    from reelprov.ledger.reader import Reader

FORMATS = ("html", "json", "csv", "md")
_HTML_SPECIAL = re.compile(r"[&<>\"']")
SCHEMA_VERSION = 2
THUMB_LIMIT = 400
SECTIONS = (
    ("blocking", "Blocking delivery",
     "Open flags at escalate or block: they need written approval (with a reference) or the element replaced."),
    ("rejected", "Rejected: must be replaced",
     "Rejected flags: the element may not go to screen as it is. They block delivery until it is replaced or "
     "taken off screen, or the decision is revoked."),
    ("open_reviews", "Open reviews", "Open review flags: someone must look before delivery."),
    ("approved", "Approved and waived",
     "Every approval and waiver in force, whatever the file's origin: who, reference, date, the severity and "
     "the content (SHA-256) decided on."),
    ("audit", "Audit: closed by a change, lowered, or decisions no longer in force",
     "Flags resolved by a change rather than a decision (a tag removed, a stage or declaration changed, the "
     "policy edited, the file deleted or taken out of the cut), flags whose severity was lowered, and decisions "
     "revoked or reopened: who made each change and when."),
    ("ai_in_temp", "AI in temporary media", "Recorded for the studio's GenAI report; not headed to screen."),
    ("integrity", "Integrity problems", "Content Credentials that do not validate, and ledger verification failures."),
    ("unknown_on_screen", "Unknown origin on screen",
     "Media in a cut or final with no evidence either way: confirm their origin."),
    ("other_files", "Documents and other files headed to screen",
     "Not media (PDF, text, timelines, project and checksum files) in final folders or cuts: listed apart; no "
     "origin verdict applies to them."),
)


def blocking_flags(flags: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    """Unresolved (open or rejected) flags at or above LEVEL (the gate's own rule, report.gate.blocks)."""
    from reelprov.report.gate import blocks

    return [f for f in flags if blocks(f["status"], f["severity"], level)]


_ASSET_BY_ID = "SELECT * FROM asset WHERE id IN (SELECT value FROM json_each(:ids))"
_ASSET_BY_ID_BRIEF = ("SELECT id, project, path, origin, cuts, stage_override, c2pa_state, media_type, deleted FROM asset"
                      " WHERE id IN (SELECT value FROM json_each(:ids))")
_DECIDED = ("approved", "waived")


def _by_id(rd: Reader, pid: str, ids: list[str], sql: str) -> dict[str, dict[str, Any]]:
    """This project's asset rows for IDS, 2,000 ids a statement."""
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 2000):
        for r in rd.iter(sql, ids=ids[i : i + 2000]):
            if r["project"] == pid:
                out[r["id"]] = r
    return out


def audited(flag: dict[str, Any]) -> bool:
    """Whether a flag belongs in the audit: resolved by a change, lowered, or a decision on it no
    longer stands (revoked, or reopened by a change of content or severity)."""
    if flag["status"] == "resolved":
        return True
    trail = flag.get("trail") or []
    return any(t["event"] in ("revoked", "severity") or (t["event"] == "reopened" and t.get("was") != "resolved")
               for t in trail)


def _plan(a: dict[str, Any], stage: str, af: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Which sections list asset A (stage STAGE, flags AF), each with the flags it shows there."""
    from reelprov.mediatypes import media_kind

    live = [f for f in af if f["status"] != "resolved"]
    out: list[tuple[str, list[dict[str, Any]]]] = []
    if any(f["status"] == "open" and severity_rank(f["severity"]) >= severity_rank("escalate") for f in live):
        out.append(("blocking", live))
    elif any(f["status"] == "open" for f in live):
        out.append(("open_reviews", live))
    if rejected := [f for f in live if f["status"] == "rejected"]:
        out.append(("rejected", rejected))
    if decided := [f for f in live if f["status"] in _DECIDED]:
        out.append(("approved", decided))
    if audit := [f for f in af if audited(f)]:
        out.append(("audit", audit))
    if a["deleted"] and not a["cuts"]:
        return out  # gone from the project: only what was decided or changed about it
    on_screen = bool(a["cuts"]) or stage == "final"
    if a["origin"] in ANY_AI and stage == "temp" and not a["cuts"]:
        out.append(("ai_in_temp", live))
    if a["c2pa_state"] == "invalid":
        out.append(("integrity", live))
    kind = media_kind(a["media_type"])
    if on_screen and kind in ("document", "other"):
        out.append(("other_files", live))
    elif a["origin"] == "unknown" and on_screen:
        out.append(("unknown_on_screen", live))
    return out


def build(project: Project, *, verify: bool = True, level: str | None = None,
          progress: Progress | None = None) -> dict[str, Any]:
    """The report content, as the documented JSON (schema_version 2), with the gate's verdict at
    LEVEL (default: review, so it clears only when nothing is unresolved)."""
    from reelprov.ledger.verify import verify_project
    from reelprov.report.gate import DEFAULT_LEVEL, check, check_level

    level = check_level(level or DEFAULT_LEVEL)
    pid = project.cfg.project_id
    cfg = project.cfg
    rd = project.reader
    sections: dict[str, list[dict[str, Any]]] = {k: [] for k, _, _ in SECTIONS}
    with rd.snapshot():
        head_seq, head_hash = rd.head(pid)
        # First the few columns that decide sections and counts for every asset; the full rows
        # (evidence and all) only for the assets the report lists.
        assets = {r["id"]: r for r in rd.iter(
            "SELECT id, path, origin, cuts, stage_override, c2pa_state, media_type, deleted FROM asset"
            " WHERE project = :p AND deleted = :no", p=pid, no=False)}
        flags: dict[str, list[dict[str, Any]]] = {}
        for r in rd.iter("SELECT * FROM flag WHERE project = :p ORDER BY id", p=pid):
            flags.setdefault(r["asset"], []).append(r)
        cuts = list(rd.iter("SELECT name, source, imported_at, events FROM cut WHERE project = :p ORDER BY name", p=pid))
        cut_usage: dict[str, list[dict[str, Any]]] = {}
        for c in cuts:
            for e in c["events"]:
                for aid, where in event_assets(e):
                    cut_usage.setdefault(aid, []).append({"cut": c["name"], "track": where["track"],
                                                          "record_in": where["record_in"], "record_out": where["record_out"]})
        live_assets = len(assets)
        # Deleted from the project but still in a cut (on screen all the same: media offline), or
        # with flags decided or changed on record: listed too.
        assets.update(_by_id(rd, pid, sorted((set(cut_usage) | set(flags)) - set(assets)), _ASSET_BY_ID_BRIEF))
        stages = {aid: stage_of(a, cfg) for aid, a in assets.items()}
        plan: list[tuple[str, str, list[dict[str, Any]]]] = []  # (section, asset, the flags it shows)
        for aid, a in assets.items():
            for sec, sel in _plan(a, stages[aid], flags.get(aid, [])):
                plan.append((sec, aid, sel))
        listed = sorted({aid for _, aid, _ in plan})
        full = _by_id(rd, pid, listed, _ASSET_BY_ID)
    ver = verify_project(project, progress=progress) if verify else None
    verdict = check(project, level, verify=False, verified=ver, progress=progress)
    built: dict[tuple[str, int], dict[str, Any]] = {}  # one row object per asset and flag selection
    for sec, aid, sel in plan:
        key = (aid, id(sel))
        if key not in built:
            a = full[aid]
            built[key] = _row(a, stages[aid], tags_of(a, cfg), cut_usage.get(aid, []), sel)
        sections[sec].append(built[key])
    for rows in sections.values():
        rows.sort(key=lambda r: (-max((severity_rank(f["severity"]) for f in r["flags"] if f["status"] in UNRESOLVED), default=-1), r["path"]))
    all_flags = [f for fl in flags.values() for f in fl]
    live = {aid: a for aid, a in assets.items() if not a["deleted"]}
    counts = {
        "assets": live_assets,
        "ai_assets": sum(1 for a in live.values() if a["origin"] in ANY_AI),
        "ai_headed_to_screen": sum(1 for a in assets.values() if a["origin"] in AI_ORIGINS and (a["cuts"] or stages[a["id"]] == "final")
                                   and (not a["deleted"] or a["cuts"])),
        "flags_open": sum(1 for f in all_flags if f["status"] == "open"),
        "flags_rejected": sum(1 for f in all_flags if f["status"] == "rejected"),
        "flags_blocking": len(blocking_flags(all_flags, "escalate")),
        "flags_approved": sum(1 for f in all_flags if f["status"] in _DECIDED),
        "flags_audited": sum(1 for f in all_flags if audited(f)),
        **{f"section_{k}": len(v) for k, v in sections.items()},
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "project": {"name": cfg.name, "id": cfg.project_id, "root": str(cfg.root)},
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ledger_head": {"seq": head_seq, "hash": head_hash},
        "gate": verdict.to_json(),
        "verify": ver.to_json() if ver else None,
        "counts": counts,
        "sections": [{"id": k, "title": t, "about": about, "rows": sections[k]} for k, t, about in SECTIONS],
        "cuts": [_inventory(c, assets, flags) for c in cuts],
    }


_FLAG_FIELDS = ("id", "rule", "area", "severity", "status", "reason", "sha256", "decided_by", "ref", "note", "decided_at",
                "decided_severity", "trail")


def _row(a: dict[str, Any], stage: str, tags: list[str], cuts: list[dict[str, Any]], flags: list[dict[str, Any]]) -> dict[str, Any]:
    from reelprov.mediatypes import media_kind

    return {
        "asset": a["id"], "path": a["path"], "sha256": a["sha256"], "media_type": a["media_type"],
        "media_kind": media_kind(a["media_type"]),
        "origin": a["origin"], "tools": a["tools"], "stage": stage, "tags": tags,
        "c2pa": {"present": a["c2pa_present"], "state": a["c2pa_state"]},
        "evidence": [f"{e['source']}: {e.get('detail', '')}" for e in a["evidence"] if e.get("kind") != "ingredient"][:6]
                    + [f"declared by {d.get('by', '?')}: {d.get('tool') or ''} {d.get('note') or ''}".strip() for d in a["declarations"]],
        "cut_usage": cuts,
        "deleted": bool(a["deleted"]),  # gone from the project (still in a cut: media offline)
        "flags": [{k: f.get(k) for k in _FLAG_FIELDS} for f in flags],
    }


def _inventory(cut: dict[str, Any], assets: dict[str, dict[str, Any]], flags: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """A cut's on-screen inventory: in timeline order, every event that shows an AI-origin or
    unknown-origin asset, an image sequence as one row (the shot), with the state of its flags."""
    rows = []
    for e in sorted(cut["events"], key=lambda e: (e["record_in"], e["track"])):
        ids = [aid for aid, _ in event_assets(e)]
        shown = [assets[aid] for aid in ids if aid in assets]
        origins: dict[str, int] = {}
        for a in shown:
            origins[a["origin"]] = origins.get(a["origin"], 0) + 1
        if not any(o in ANY_AI or o == "unknown" for o in origins):
            continue
        states: dict[str, int] = {}
        for aid in ids:
            for f in flags.get(aid, []):
                if f["status"] != "resolved":
                    key = f"{f['severity']} {f['status']}"
                    states[key] = states.get(key, 0) + 1
        seq = e.get("sequence")
        rows.append({"track": e["track"], "record_in": e["record_in"], "record_out": e["record_out"], "clip": e.get("clip"),
                     "path": seq["path"] if seq else e.get("path"), "files": len(ids),
                     "frames": runs_text(runs(int(f["frame"]) for f in seq["frames"] if str(f.get("frame", "")).isdigit()), 10)
                     if seq else None,
                     "origins": origins, "flags": states,
                     "blocking": any(k.split()[1] in UNRESOLVED and severity_rank(k.split()[0]) >= severity_rank("escalate")
                                     or k.endswith(" rejected") for k in states)})
    return {"name": cut["name"], "source": cut["source"], "imported_at": cut["imported_at"], "events": len(cut["events"]),
            "rows": rows}


def state_text(states: dict[str, int]) -> str:
    """A flag-state tally for a person: "escalate open x2, review approved x96", or "no flags"."""
    if not states:
        return "no flags"
    order = sorted(states.items(), key=lambda kv: (-severity_rank(kv[0].split()[0]), kv[0]))
    return ", ".join(k + (f" x{n:,}" if n > 1 else "") for k, n in order)


# -- frames of an image sequence, one row each in the data, one row together on the page ---------
def flag_state(f: dict[str, Any]) -> tuple[Any, ...]:
    """What two frames' flags must share to be shown as one: rule, severity, status and decision."""
    return (f["rule"], f["severity"], f["status"], f.get("decided_by"), f.get("ref"), f.get("decided_severity"))


def _sequence_key(r: dict[str, Any]) -> tuple[Any, ...] | None:
    """What frames must share to be shown as one row: their sequence (folder and the name around
    the frame number), what the row says of them and the state of their flags (a frame decided
    otherwise keeps a row of its own); None for a file that is no frame."""
    parts = frame_parts(r["path"])
    if parts is None:
        return None
    folder, prefix, _, suffix = parts
    return (folder, prefix, suffix, r["media_type"], r["origin"], tuple(r["tools"]), r["stage"],
            tuple(r["tags"]), r["c2pa"]["state"], r["deleted"], tuple(sorted(flag_state(f) for f in r["flags"])),
            None if r["flags"] else tuple(r["evidence"]))


def _grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ROWS as a person reads them (HTML, Markdown): the frames of an image sequence that say the
    same and carry no flag as one row, `frames` naming them, where the first of them stood.
    JSON and CSV keep a row per file."""
    out: list[dict[str, Any] | list[dict[str, Any]]] = []
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = _sequence_key(r)
        if key is None:
            out.append(r)
        elif key in groups:
            groups[key].append(r)
        else:
            groups[key] = [r]
            out.append(groups[key])
    return [g if isinstance(g, dict) else g[0] if len(g) == 1 else _group_row(g) for g in out]


def _group_row(frames: list[dict[str, Any]]) -> dict[str, Any]:
    """One row for FRAMES (rows of one sequence that say the same): its pattern, which frames,
    and each cut's use of them with the runs that follow on merged."""
    parts = [frame_parts(f["path"]) for f in frames]
    folder, prefix, _, suffix = parts[0]  # type: ignore[misc]  # _sequence_key let frame files only in
    widths = {len(p[2]) for p in parts if p}
    label = f"{prefix}{'#' * widths.pop() if len(widths) == 1 else '#'}{suffix}"
    usage: list[dict[str, Any]] = []
    for u in sorted((u for f in frames for u in f["cut_usage"]), key=lambda u: (u["cut"], u["track"], u["record_in"])):
        last = usage[-1] if usage else None
        if last and (last["cut"], last["track"]) == (u["cut"], u["track"]) and last["record_out"] >= u["record_in"]:
            last["record_out"] = max(last["record_out"], u["record_out"])
        else:
            usage.append(dict(u))
    numbers = runs(int(p[2]) for p in parts if p)
    ids: dict[str, list[int]] = {}
    for f in frames:
        for flag in f["flags"]:
            ids.setdefault(flag["rule"], []).append(flag["id"])
    flags = [{**flag, "id": ", ".join(runs(ids[flag["rule"]]))} for flag in frames[0]["flags"]]
    return {**frames[0], "asset": None, "sha256": None, "path": f"{folder}/{label}" if folder else label,
            "thumb_path": frames[0]["path"], "frames": f"{len(frames):,} files numbered {runs_text(numbers, 10)}",
            "cut_usage": usage, "flags": flags}


# -- writers -------------------------------------------------------------------------------------
def _data_uri(im: Any) -> str:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _waveform(path: Path) -> str | None:
    """A 96x40 peak waveform of a WAV file (stdlib wave, at most ~10 s of samples read)."""
    import array
    import wave

    from PIL import Image, ImageDraw

    from reelprov.files import open_regular

    with open_regular(path, follow=False) as f, wave.open(f, "rb") as w:
        if w.getsampwidth() != 2:
            return None
        frames = w.readframes(min(w.getnframes(), w.getframerate() * 10))
        ch = w.getnchannels()
    samples = array.array("h", frames)[::ch]
    if not samples:
        return None
    im = Image.new("RGB", (96, 40), (245, 245, 245))
    draw = ImageDraw.Draw(im)
    step = max(1, len(samples) // 96)
    for x in range(96):
        chunk = samples[x * step : (x + 1) * step]
        peak = max((abs(v) for v in chunk), default=0) / 32768
        h = max(1, int(peak * 19))
        draw.line([(x, 20 - h), (x, 20 + h)], fill=(40, 90, 160))
    return _data_uri(im)


def _video_frame(path: Path) -> str | None:
    """One frame through ffmpeg when it is installed; a few tens of milliseconds per clip."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    import stat

    if not stat.S_ISREG(path.lstat().st_mode):
        return None  # a FIFO or a link put in the file's place: not opened (ffmpeg would wait on a FIFO)
    r = subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-frames:v", "1", "-vf", "scale=96:-2", "-f", "image2pipe",
                        "-vcodec", "mjpeg", "-"], capture_output=True, timeout=10, check=False)
    if r.returncode != 0 or not r.stdout:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(r.stdout).decode()


def thumbnail(path: Path, media_type: str) -> str | None:
    """A small JPEG data URI: images scaled, WAV as a waveform, video as a frame. None when it
    cannot be made cheaply (the row still shows)."""
    try:
        if media_type == "audio/wav":
            return _waveform(path)
        if media_type.startswith("video/"):
            return _video_frame(path)
    except Exception:  # noqa: BLE001 - a thumbnail is never worth failing a report
        return None
    if not media_type.startswith("image/"):
        return None
    try:
        from PIL import Image

        from reelprov.files import open_regular

        with open_regular(path, follow=False) as f, Image.open(f) as im:
            if im.width * im.height > 80_000_000:
                return None  # a bomb or a huge plate: not worth decoding for a thumbnail
            im.draft("RGB", (128, 128))
            im.thumbnail((96, 96))
            return _data_uri(im)
    except Exception:  # noqa: BLE001 - any unreadable image just gets no thumbnail
        return None


def _row_html(r: dict[str, Any], thumb: str | None, section: str = "") -> Any:
    """One table row. Plain Python with html.escape on every value from the data: the report's
    largest sections have tens of thousands of rows; a Jinja loop per cell, then markupsafe's
    per-value Markup objects, were most of its build time."""
    from markupsafe import Markup

    def e(v: Any) -> str:
        s = str(v)
        return _escape(s, quote=True) if _HTML_SPECIAL.search(s) else s  # most values need nothing

    cell = (f'<img alt="" src="{e(thumb)}">' if thumb else f'<span class="small">{e(r["media_type"])}</span>')
    tools = f" &middot; {e(', '.join(r['tools']))}" if r["tools"] else ""
    ev = "".join(f"<li>{e(x)}</li>" for x in r["evidence"])
    tags = f'<div class="small">{e(", ".join(r["tags"]))}</div>' if r["tags"] else ""
    cuts = "".join(f"{e(c['cut'])} {e(c['track'])} {e(c['record_in'])}&ndash;{e(c['record_out'])}<br>" for c in r["cut_usage"]) or "&ndash;"
    flags = []
    for f in r["flags"]:
        dec = ""
        if f["decided_by"]:
            dec = (f'<div class="small">{e(f["status"])} at {e(f.get("decided_severity") or f["severity"])} by {e(f["decided_by"])}'
                   + (f" ({e(f['ref'])})" if f["ref"] else "")
                   + f" {e((f['decided_at'] or '')[:10])}" + (f": {e(f['note'])}" if f["note"] else "")
                   + (f" &middot; sha256 {e(f['sha256'][:12])}" if f.get("sha256") else "") + "</div>")
        if section == "audit" and f.get("trail"):
            dec += '<ol class="trail small">' + "".join(f"<li>{e(trail_text(t))}</li>" for t in f["trail"]) + "</ol>"
        flags.append(f'<li><span class="sev-{e(f["severity"])}">#{e(f["id"])} {e(f["severity"])}</span> '
                     f'<span class="st-{e(f["status"])}">{e(f["status"])}</span> <span class="small">{e(f["area"])}: {e(f["reason"])}</span>{dec}</li>')
    return Markup(
        f'<tr class="row"><td class="thumb">{cell}</td>'
        f'<td><div class="path">{e(r["path"])}</div>'
        + ('<div class="small bad-text">deleted from the project; still in the cut (media offline)</div>' if r["deleted"] else "")
        + (f'<div class="small">{e(r["frames"])}</div></td>' if r.get("frames") else
           f'<div class="small">sha256 {e(r["sha256"][:16])}&hellip;</div></td>')
        + f'<td><b>{e(r["origin"])}</b>{tools}<div class="small">C2PA {e(r["c2pa"]["state"])}</div><ul class="plain small">{ev}</ul></td>'
        f'<td>{e(r["stage"])}{tags}</td><td class="small">{cuts}</td><td><ul class="plain">{"".join(flags)}</ul></td></tr>')


def render_html(project: Project, data: dict[str, Any], *, thumbnails: bool = True) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("reelprov.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    budget = THUMB_LIMIT if thumbnails else 0
    thumbs: dict[str, str | None] = {}
    shown = {sec["id"]: _grouped(sec["rows"]) for sec in data["sections"]}
    for rows in shown.values():
        for row in rows:
            at = row.get("thumb_path", row["path"])
            if budget > 0 and at not in thumbs:
                thumbs[at] = thumbnail(project.root / at, row["media_type"])
                budget -= 1
    return env.get_template("report.html.j2").render(d=data, shown=shown, page=500, severities=SEVERITIES,
                                                     row_html=lambda r, sec="": _row_html(r, thumbs.get(r.get("thumb_path", r["path"])), sec),
                                                     shows=_shows, origins_text=origins_text, state_text=state_text)


def render_json(data: dict[str, Any]) -> str:
    """The report JSON: indented down to each row, each row on one line. Fully indented JSON goes
    through Python's slow encoder (the C one only writes compact) and is no easier to read at
    tens of thousands of rows."""
    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    top = [f"  {dump(k)}: {dump(v)}" for k, v in data.items() if k != "sections"]
    secs = []
    for sec in data["sections"]:
        meta = "".join(f"{dump(k)}: {dump(v)}, " for k, v in sec.items() if k != "rows")
        rows = ",\n".join("      " + dump(r) for r in sec["rows"])
        secs.append("    {" + meta + '"rows": [' + ("\n" + rows + "\n    " if rows else "") + "]}")
    return "{\n" + ",\n".join([*top, '  "sections": [\n' + ",\n".join(secs) + "\n  ]"]) + "\n}\n"


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK, DDE...); file
# names and tool names come from untrusted media, so such cells are written as text ('=...).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v


def render_csv(data: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)

    def put(row: list[Any]) -> None:
        w.writerow([_cell(v) for v in row])

    put(["section", "path", "origin", "tools", "stage", "tags", "in_cut", "cut_usage", "c2pa", "highest_unresolved",
         "flags", "decisions", "trail", "sha256", "deleted"])
    for sec in data["sections"]:
        for r in sec["rows"]:
            unresolved = [f["severity"] for f in r["flags"] if f["status"] in UNRESOLVED]
            put([sec["id"], r["path"], r["origin"], "; ".join(r["tools"]), r["stage"], "; ".join(r["tags"]), bool(r["cut_usage"]),
                 "; ".join(f"{c['cut']} {c['track']} {c['record_in']}-{c['record_out']}" for c in r["cut_usage"]),
                 r["c2pa"]["state"], max(unresolved, key=severity_rank) if unresolved else "",
                 "; ".join(f"#{f['id']} {f['severity']}/{f['status']} {f['rule']}" for f in r["flags"]),
                 "; ".join(f"#{f['id']} {f['status']} at {f.get('decided_severity') or f['severity']} by {f['decided_by']} "
                           f"({f['ref'] or '-'}) {f['decided_at'] or ''} sha256 {f['sha256']}"
                           for f in r["flags"] if f["decided_by"]),
                 " | ".join(f"#{f['id']}: " + "; ".join(trail_text(t) for t in f.get("trail") or [])
                            for f in r["flags"] if f.get("trail")),
                 r["sha256"], r["deleted"]])
    for c in data["cuts"]:  # the on-screen inventory: one row per event (a shot of frames is one)
        for e in c["rows"]:
            unresolved = [k.split()[0] for k in e["flags"] if k.split()[1] in UNRESOLVED]
            put([f"cut:{c['name']}", _shows(e), origins_text(e["origins"]), "", "", "", True,
                 f"{c['name']} {e['track']} {e['record_in']}-{e['record_out']}", "",
                 max(unresolved, key=severity_rank) if unresolved else "", state_text(e["flags"]), "", "", "", False])
    return buf.getvalue()


_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "`": "\\`", "\n": " ", "\r": " ",
                             "<": "&lt;", ">": "&gt;"})


_AUTOLINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]{0,20}:(?=//)|www\.)")


def _md(text: Any) -> str:
    """Text from media as literal Markdown: no table breaks, links, images, code or HTML, and no
    control characters for a terminal to act on when it is printed (--output -)."""
    # GitHub-flavoured renderers turn bare `http://...` and `www....` into links: break the pattern
    return printable(_AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], str(text).translate(_MD_ESCAPES)))


def render_md(data: dict[str, Any]) -> str:
    c = data["counts"]
    lines = [f"# Pre-delivery report: {_md(data['project']['name'])}", "",
             f"**{_md(data['gate']['verdict'])}**", "",
             f"Generated {data['generated_at']} from ledger head #{data['ledger_head']['seq']} `{data['ledger_head']['hash']}`; "
             f"check later with `reelprov verify --anchor {data['ledger_head']['seq']}:{data['ledger_head']['hash'][:16]}`.", "",
             f"{counted(c['assets'], 'asset')}, {c['ai_assets']} with AI origin, {c['ai_headed_to_screen']} AI headed to screen; "
             f"{counted(c['flags_blocking'], 'blocking flag')}, {c['flags_open']} open, {c['flags_approved']} approved/waived.", ""]
    if data["verify"] is not None and not data["verify"]["ok"]:
        lines += ["**Ledger verification FAILED:** " + _md("; ".join(data["verify"]["problems"][:3])), ""]
    for sec in data["sections"]:
        lines += [f"## {sec['title']} ({len(sec['rows'])})", "", sec["about"], ""]
        if not sec["rows"]:
            lines += ["None.", ""]
            continue
        lines += ["| path | origin | tools | stage | flags |", "| --- | --- | --- | --- | --- |"]
        for r in _grouped(sec["rows"]):
            fl = "; ".join(_flag_text(f, audit=sec["id"] == "audit") for f in r["flags"])
            frames = f" ({_md(r['frames'])})" if r.get("frames") else ""
            lines.append(f"| {_md(r['path'])}{frames}{' (deleted; still in the cut)' if r['deleted'] else ''} | {r['origin']} | "
                         f"{_md(', '.join(r['tools']))} | {r['stage']} | {_md(fl)} |")
        lines.append("")
    for c in data["cuts"]:
        lines += [f"## On screen in {_md(c['name'])} ({len(c['rows'])} of {c['events']} events: AI or unknown origin)", ""]
        if not c["rows"]:
            lines += ["None.", ""]
            continue
        lines += ["| record in | record out | track | shows | origin | flags |", "| --- | --- | --- | --- | --- | --- |"]
        for r in c["rows"]:
            lines.append(f"| {r['record_in']} | {r['record_out']} | {_md(r['track'])} | {_md(_shows(r))} | "
                         f"{_md(origins_text(r['origins']))} | {_md(state_text(r['flags']))} |")
        lines.append("")
    return "\n".join(lines)


def _shows(r: dict[str, Any]) -> str:
    return (r["path"] or r["clip"] or "?") + (f" ({r['files']:,} files: {r['frames']})" if r["frames"] else "")


def origins_text(origins: dict[str, int]) -> str:
    if len(origins) == 1:
        return next(iter(origins))
    return ", ".join(f"{o} x{n:,}" for o, n in sorted(origins.items(), key=lambda kv: -kv[1]))


def _flag_text(f: dict[str, Any], *, audit: bool = False) -> str:
    """A flag on one line: id, severity/status, the decision in force, and in the audit its trail."""
    text = f"#{f['id']} {f['severity']}/{f['status']}"
    if f.get("decided_by"):
        text += f" by {f['decided_by']} ({f['ref'] or 'no ref'}) {(f.get('decided_at') or '')[:10]}"
    if audit:
        text += " [" + "; ".join(trail_text(t) for t in f.get("trail") or []) + "]"
    return text


def trail_text(t: dict[str, Any]) -> str:
    """One step of a flag's trail: what happened, who, when and why."""
    at = (t.get("at") or "")[:16].replace("T", " ")
    what = {"decided": f"{t.get('decision')} at {t.get('severity')}", "revoked": f"{t.get('was')} revoked",
            "reopened": f"reopened ({t.get('why') or 'was ' + str(t.get('was'))})",
            "resolved": f"resolved: {t.get('why') or 'condition no longer holds'}",
            "severity": f"severity {t.get('was')} -> {t.get('severity')}" + (f": {t['why']}" if t.get("why") else "")}
    text = what.get(t["event"], t["event"]) + f" by {t.get('by') or '?'}"
    if t.get("ref"):
        text += f" ({t['ref']})"
    if t.get("note"):
        text += f": {t['note']}"
    return f"{text}, {at}"


def write_report(project: Project, *, fmt: str = "html", output: str | None = None, verify: bool = True,
                 thumbnails: bool = True, level: str | None = None,
                 progress: Progress | None = None) -> tuple[dict[str, Any], str | None]:
    """Build and write the report; returns (data, path written or None for stdout)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    target: Path | None = None
    if output != "-":
        target = Path(output) if output else project.root / f"report.{fmt}"
        target = target if target.is_absolute() else Path.cwd() / target
        if not target.parent.is_dir():
            raise ReportError(f"{target}: folder {target.parent} does not exist; create it or choose another --output")
    data = build(project, verify=verify, level=level, progress=progress)
    if fmt == "json":
        text = render_json(data)
    elif fmt == "csv":
        text = render_csv(data)
    elif fmt == "md":
        text = render_md(data)
    else:
        text = render_html(project, data, thumbnails=thumbnails)
    if target is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        from reelprov.files import write_file_safely

        try:
            write_file_safely(target, text)
        except OSError as exc:
            raise ReportError(f"{target}: cannot write the report ({exc.strerror or exc}); check permissions or choose "
                              "another --output") from None
    from reelprov.ledger.anchor import record

    # the head the report was built from, kept outside the database (every report anchors it)
    data["anchored"] = record(project.cfg, data["ledger_head"]["seq"], data["ledger_head"]["hash"]).to_json()
    return data, None if target is None else str(target)
