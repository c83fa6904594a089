"""Writing the pre-delivery report as HTML, JSON, CSV or Markdown, a row at a time as each
section's rows are read (report/build.py): memory does not grow with the project."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from html import escape as _escape
from pathlib import Path
from typing import Any, NotRequired, TextIO, cast

from reelprov.contract import (
    CutUsageJson,
    FlagStepJson,
    InventoryRowJson,
    ReportFlagJson,
    ReportRowJson,
    UseJson,
    UseLinkJson,
)
from reelprov.cuts.frames import frame_parts, runs, runs_text
from reelprov.names import counted, printable
from reelprov.policy import SEVERITIES, UNRESOLVED
from reelprov.policy.engine import severity_rank
from reelprov.report.build import SECTIONS, Report

FORMATS = ("html", "json", "csv", "md")
_HTML_SPECIAL = re.compile(r"[&<>\"']")
THUMB_LIMIT = 400
PAGE = 500  # HTML rows per collapsible page


def state_text(states: dict[str, int]) -> str:
    """A flag-state tally for a person: "escalate open x2, review approved x96", or "no flags"."""
    if not states:
        return "no flags"
    order = sorted(states.items(), key=lambda kv: (-severity_rank(kv[0].split()[0]), kv[0]))
    return ", ".join(k + (f" x{n:,}" if n > 1 else "") for k, n in order)


# -- frames of an image sequence, one row each in the data, one row together on the page ---------
class Shown(ReportRowJson):
    """A row as a person reads it (HTML, Markdown): one file's, or that of consecutive frames of
    an image sequence in the same state, with `path` their pattern and `cut_usage` merged."""

    frames: NotRequired[str]  # "96 files numbered 1001-1096"
    thumb_path: NotRequired[str]  # the first frame's file
    flag_ids: NotRequired[dict[str, str]]  # rule -> the frames' flag ids, as runs ("17-112")


def flag_state(f: ReportFlagJson) -> tuple[Any, ...]:
    """What two frames' flags must share to be shown as one: rule, severity, status and decision."""
    return (
        f["rule"],
        f["severity"],
        f["status"],
        f.get("decided_by"),
        f.get("ref"),
        f.get("decided_severity"),
    )


def _sequence_key(r: ReportRowJson) -> tuple[Any, ...] | None:
    """What frames must share to be shown as one row: their sequence (folder and the name around
    the frame number), what the row says of them and the state of their flags (a frame decided
    otherwise keeps a row of its own); None for a file that is no frame."""
    parts = frame_parts(r["path"])
    if parts is None:
        return None
    folder, prefix, _, suffix = parts
    return (
        folder,
        prefix,
        suffix,
        r["media_type"],
        r["origin"],
        tuple(r["tools"]),
        r["stage"],
        tuple(r["tags"]),
        r["c2pa"]["state"],
        r["deleted"],
        tuple(sorted(flag_state(f) for f in r["flags"])),
        None if r["flags"] else tuple(r["evidence"]),
    )


def grouped(rows: Iterator[ReportRowJson]) -> Iterator[Shown]:
    """ROWS as a person reads them (HTML, Markdown): consecutive frames of an image sequence in the
    same state as one row, `frames` naming them. JSON and CSV keep a row per file. A run of frames
    is gathered as its rows go by (_Run), never held: a 100,000-frame shot held every row."""
    run: _Run | None = None
    for r in rows:
        k = _sequence_key(r)
        if run is not None and k is not None and k == run.key:
            run.add(r)
            continue
        if run is not None:
            yield run.shown()
        run = _Run(r, k)
    if run is not None:
        yield run.shown()


def _merge(ranges: list[CutUsageJson], u: CutUsageJson) -> None:
    """Add U to RANGES (one cut's and track's, in timeline order): it extends the last range where
    it starts inside it, else follows it."""
    last = ranges[-1] if ranges else None
    if last and last["record_in"] <= u["record_in"] <= last["record_out"]:
        last["record_out"] = max(last["record_out"], u["record_out"])
    else:
        ranges.append(u.copy())


class _Run:
    """Consecutive rows of one sequence that say the same, as they go by: the first row, each
    frame's number and digits, its flags' ids by rule, and each cut's use of them with the ranges
    that follow on merged as they come (each range joins the one before it where they touch)."""

    def __init__(self, first: ReportRowJson, key: tuple[Any, ...] | None) -> None:
        self.first, self.key, self.count = first, key, 0
        self.numbers: list[int] = []
        self.widths: set[int] = set()
        self.ids: dict[str, list[int]] = {}
        self.usage: dict[tuple[str, str], list[CutUsageJson]] = {}
        self.add(first)

    def add(self, r: ReportRowJson) -> None:
        self.count += 1
        if (parts := frame_parts(r["path"])) is not None:
            self.numbers.append(int(parts[2]))
            self.widths.add(len(parts[2]))
        for flag in r["flags"]:
            self.ids.setdefault(flag["rule"], []).append(flag["id"])
        for u in r["cut_usage"]:
            _merge(self.usage.setdefault((u["cut"], u["track"]), []), u)

    def shown(self) -> Shown:
        """The run as one row: its pattern, which frames, and each cut's use of them merged."""
        if self.count == 1:
            return cast("Shown", self.first)  # Shown's extras are optional
        parts = frame_parts(self.first["path"])
        assert parts is not None  # _sequence_key lets frame files only in
        folder, prefix, _, suffix = parts
        label = f"{prefix}{'#' * next(iter(self.widths)) if len(self.widths) == 1 else '#'}{suffix}"
        usage: list[CutUsageJson] = []
        for where in sorted(self.usage):  # each cut and track, its ranges in timeline order
            merged: list[CutUsageJson] = []
            for u in sorted(self.usage[where], key=lambda u: u["record_in"]):
                _merge(merged, u)
            usage += merged
        row = cast("Shown", self.first.copy())
        row["path"] = f"{folder}/{label}" if folder else label
        row["thumb_path"] = self.first["path"]
        row["frames"] = f"{self.count:,} files numbered {runs_text(runs(self.numbers), 10)}"
        row["cut_usage"] = usage
        row["flag_ids"] = {rule: ", ".join(runs(fids)) for rule, fids in self.ids.items()}
        return row


def _row_html(r: Shown, thumb: str | None, section: str = "") -> Any:
    """One table row. Plain Python with html.escape on every value from the data: the report's
    largest sections have tens of thousands of rows; a Jinja loop per cell, then markupsafe's
    per-value Markup objects, were most of its build time."""
    from markupsafe import Markup

    def e(v: Any) -> str:
        s = str(v)
        return _escape(s, quote=True) if _HTML_SPECIAL.search(s) else s  # most values need nothing

    cell = (
        f'<img alt="" src="{e(thumb)}">'
        if thumb
        else f'<span class="small">{e(r["media_type"])}</span>'
    )
    tools = f" &middot; {e(', '.join(r['tools']))}" if r["tools"] else ""
    ev = "".join(f"<li>{e(x)}</li>" for x in r["evidence"])
    tags = f'<div class="small">{e(", ".join(r["tags"]))}</div>' if r["tags"] else ""
    cuts = (
        "".join(
            f"{e(c['cut'])} {e(c['track'])} {e(c['record_in'])}&ndash;{e(c['record_out'])}<br>"
            for c in r["cut_usage"]
        )
        or "&ndash;"
    )
    flags = []
    ids = r.get("flag_ids") or {}
    for f in r["flags"]:
        dec = ""
        if f["decided_by"]:
            dec = (
                f'<div class="small">{e(f["status"])} at {e(f.get("decided_severity") or f["severity"])} by {e(f["decided_by"])}'
                + (f" ({e(f['ref'])})" if f["ref"] else "")
                + f" {e((f['decided_at'] or '')[:10])}"
                + (f": {e(f['note'])}" if f["note"] else "")
                + (f" &middot; sha256 {e(f['sha256'][:12])}" if f.get("sha256") else "")
                + "</div>"
            )
        if section == "audit" and f.get("trail"):
            dec += (
                '<ol class="trail small">'
                + "".join(f"<li>{e(trail_text(t))}</li>" for t in f["trail"])
                + "</ol>"
            )
        flags.append(
            f'<li><span class="sev-{e(f["severity"])}">#{e(ids.get(f["rule"], f["id"]))} {e(f["severity"])}</span> '
            f'<span class="st-{e(f["status"])}">{e(f["status"])}</span> <span class="small">{e(f["area"])}: {e(f["reason"])}</span>{dec}</li>'
        )
    if r.get("use"):
        flags.append(f'<li class="use small">{e(use_text(r["use"]))}</li>')
    return Markup(
        f'<tr class="row"><td class="thumb">{cell}</td>'
        f'<td><div class="path">{e(r["path"])}</div>'
        + (
            '<div class="small bad-text">deleted from the project; still in the cut (media offline)</div>'
            if r["deleted"]
            else ""
        )
        + (
            f'<div class="small">{e(r["frames"])}</div></td>'
            if r.get("frames")
            else f'<div class="small">sha256 {e(r["sha256"][:16])}&hellip;</div></td>'
        )
        + f'<td><b>{e(r["origin"])}</b>{tools}<div class="small">C2PA {e(r["c2pa"]["state"])}</div><ul class="plain small">{ev}</ul></td>'
        f'<td>{e(r["stage"])}{tags}</td><td class="small">{cuts}</td><td><ul class="plain">{"".join(flags)}</ul></td></tr>'
    )


# -- thumbnails --------------------------------------------------------------------------------
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
    r = subprocess.run(
        [
            ffmpeg,
            "-v",
            "error",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-vf",
            "scale=96:-2",
            "-f",
            "image2pipe",
            "-vcodec",
            "mjpeg",
            "-",
        ],
        capture_output=True,
        timeout=10,
        check=False,
    )
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


class _Thumbs:
    """Thumbnails for the first THUMB_LIMIT files shown (each made once)."""

    def __init__(self, root: Path, budget: int) -> None:
        self.root, self.budget = root, budget
        self.made: dict[str, str | None] = {}

    def __call__(self, row: Shown) -> str | None:
        at = row.get("thumb_path", row["path"])
        if at not in self.made and self.budget > 0:
            self.made[at] = thumbnail(self.root / at, row["media_type"])
            self.budget -= 1
        return self.made.get(at)


def render_html(report: Report, out: TextIO, *, thumbnails: bool = True) -> None:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reelprov.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    thumb = _Thumbs(report.project.root, THUMB_LIMIT if thumbnails else 0)

    def pages(section: str) -> Iterator[list[Any]]:
        page: list[Any] = []
        for r in grouped(report.rows(section)):
            page.append(_row_html(r, thumb(r), section))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page

    sections = [
        {"id": k, "title": t, "about": about, "count": len(report.order[k])}
        for k, t, about in SECTIONS
    ]
    stream = env.get_template("report.html.j2").generate(
        d=report.head,
        sections=sections,
        pages=pages,
        page=PAGE,
        severities=SEVERITIES,
        shows=_shows,
        use_files_text=use_files_text,
        origins_text=origins_text,
        state_text=state_text,
    )
    for chunk in stream:
        out.write(chunk)


def render_json(report: Report, out: TextIO) -> None:
    """The report JSON: indented down to each row, each row on one line. Fully indented JSON goes
    through Python's slow encoder (the C one only writes compact) and is no easier to read at
    tens of thousands of rows."""

    def dump(v: Any) -> str:
        return json.dumps(v, ensure_ascii=False)

    out.write(
        "{\n" + "".join(f"  {dump(k)}: {dump(v)},\n" for k, v in report.head.items() if k != "cuts")
    )
    out.write('  "sections": [\n')
    for n, (k, t, about) in enumerate(SECTIONS):
        out.write(
            "    {" + f'"id": {dump(k)}, "title": {dump(t)}, "about": {dump(about)}, "rows": ['
        )
        first = True
        for r in report.rows(k):
            out.write(("\n" if first else ",\n") + "      " + dump(r))
            first = False
        out.write(
            ("" if first else "\n    ") + "]}" + ("," if n < len(SECTIONS) - 1 else "") + "\n"
        )
    out.write(f'  ],\n  "cuts": {dump(report.head["cuts"])}\n}}\n')


# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK, DDE...); file
# names and tool names come from untrusted media, so such cells are written as text ('=...).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v: Any) -> Any:
    return "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v


def render_csv(report: Report, out: TextIO) -> None:
    w = csv.writer(out)

    def put(row: list[Any]) -> None:
        w.writerow([_cell(v) for v in row])

    put(
        [
            "section",
            "path",
            "origin",
            "tools",
            "stage",
            "tags",
            "in_cut",
            "cut_usage",
            "c2pa",
            "highest_unresolved",
            "flags",
            "decisions",
            "trail",
            "sha256",
            "deleted",
            "use",
        ]
    )
    for sec, _, _ in SECTIONS:
        for r in report.rows(sec):
            unresolved = [f["severity"] for f in r["flags"] if f["status"] in UNRESOLVED]
            put(
                [
                    sec,
                    r["path"],
                    r["origin"],
                    "; ".join(r["tools"]),
                    r["stage"],
                    "; ".join(r["tags"]),
                    bool(r["cut_usage"]),
                    "; ".join(
                        f"{c['cut']} {c['track']} {c['record_in']}-{c['record_out']}"
                        for c in r["cut_usage"]
                    ),
                    r["c2pa"]["state"],
                    max(unresolved, key=severity_rank) if unresolved else "",
                    "; ".join(
                        f"#{f['id']} {f['severity']}/{f['status']} {f['rule']}" for f in r["flags"]
                    ),
                    "; ".join(
                        f"#{f['id']} {f['status']} at {f.get('decided_severity') or f['severity']} by {f['decided_by']} "
                        f"({f['ref'] or '-'}) {f['decided_at'] or ''} sha256 {f['sha256']}"
                        for f in r["flags"]
                        if f["decided_by"]
                    ),
                    " | ".join(
                        f"#{f['id']}: " + "; ".join(trail_text(t) for t in f.get("trail") or [])
                        for f in r["flags"]
                        if f.get("trail")
                    ),
                    r["sha256"],
                    r["deleted"],
                    use_text(r.get("use")),
                ]
            )
    for u in report.head["uses"]:  # the register of intended uses: one row each
        put(
            [
                f"use:{u['id']}",
                "; ".join(u["scope"]),
                u["purpose"],
                u["tool"],
                "",
                "",
                bool(u["files"]["in_cut"]),
                "",
                "",
                u["risk"],
                f"{u['status']}"
                + (f" (escalated by {', '.join(u['escalated_by'])})" if u["escalated_by"] else ""),
                f"{u['decided_by'] or ''} ({u['ref'] or '-'}) {u['decided_at'] or ''}".strip(),
                "; ".join(f"{t['event']} by {t['by']}" for t in u["trail"]),
                "",
                False,
                use_files_text(u),
            ]
        )
    for c in report.head[
        "cuts"
    ]:  # the on-screen inventory: one row per event (a shot of frames is one)
        for e in c["rows"]:
            unresolved = [k.split()[0] for k in e["flags"] if k.split()[1] in UNRESOLVED]
            put(
                [
                    f"cut:{c['name']}",
                    _shows(e),
                    origins_text(e["origins"]),
                    "",
                    "",
                    "",
                    True,
                    f"{c['name']} {e['track']} {e['record_in']}-{e['record_out']}",
                    "",
                    max(unresolved, key=severity_rank) if unresolved else "",
                    state_text(e["flags"]),
                    "",
                    "",
                    "",
                    False,
                    "",
                ]
            )


_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "`": "\\`",
        "\n": " ",
        "\r": " ",
        "<": "&lt;",
        ">": "&gt;",
    }
)


_AUTOLINK = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]{0,20}:(?=//)|www\.)")


def _md(text: Any) -> str:
    """Text from media as literal Markdown: no table breaks, links, images, code or HTML, and no
    control characters for a terminal to act on when it is printed (--output -)."""
    # GitHub-flavoured renderers turn bare `http://...` and `www....` into links: break the pattern
    return printable(
        _AUTOLINK.sub(
            lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], str(text).translate(_MD_ESCAPES)
        )
    )


def render_md(report: Report, out: TextIO) -> None:
    d = report.head
    c = d["counts"]
    out.write(
        "\n".join(
            [
                f"# Pre-delivery report: {_md(d['project']['name'])}",
                "",
                f"**{_md(d['gate']['verdict'])}**",
                "",
                f"Generated {d['generated_at']} from ledger head #{d['ledger_head']['seq']} `{d['ledger_head']['hash']}`; "
                f"check later with `reelprov verify --anchor {d['ledger_head']['seq']}:{d['ledger_head']['hash'][:16]}`.",
                "",
                f"{counted(c['assets'], 'asset')}, {c['ai_assets']} with AI origin, {c['ai_headed_to_screen']} AI headed to screen; "
                f"{counted(c['flags_blocking'], 'blocking flag')}, {c['flags_open']} open, {c['flags_approved']} approved/waived.",
                "",
            ]
        )
        + "\n"
    )
    if d["verify"] is not None and not d["verify"]["ok"]:
        out.write(
            "**Ledger verification FAILED:** "
            + _md("; ".join(d["verify"]["problems"][:3]))
            + "\n\n"
        )
    for sec, title, about in SECTIONS:
        out.write(f"## {title} ({len(report.order[sec])})\n\n{about}\n\n")
        if not report.order[sec]:
            out.write("None.\n\n")
            continue
        out.write("| path | origin | tools | stage | flags |\n| --- | --- | --- | --- | --- |\n")
        for r in grouped(report.rows(sec)):
            fl = "; ".join(
                [
                    _flag_text(f, (r.get("flag_ids") or {}).get(f["rule"]), audit=sec == "audit")
                    for f in r["flags"]
                ]
                + ([use_text(r["use"])] if r.get("use") else [])
            )
            frames = f" ({_md(r['frames'])})" if r.get("frames") else ""
            out.write(
                f"| {_md(r['path'])}{frames}{' (deleted; still in the cut)' if r['deleted'] else ''} | {r['origin']} | "
                f"{_md(', '.join(r['tools']))} | {r['stage']} | {_md(fl)} |\n"
            )
        out.write("\n")
    out.write(
        f"## Intended uses ({len(d['uses'])})\n\nEvery GenAI use reported to the studio: its risk "
        "(any principle answered no or unsure escalates it), status, approval and files.\n\n"
    )
    if not d["uses"]:
        out.write("None.\n\n")
    else:
        out.write(
            "| use | tool | purpose | risk | escalated by | status | decided | files |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
        for u in d["uses"]:
            decided = f"{u['decided_by']} ({u['ref'] or 'no ref'})" if u["decided_by"] else ""
            out.write(
                f"| {u['id']} | {_md(u['tool'])} | {u['purpose']} | {u['risk']} | "
                f"{', '.join(u['escalated_by'])} | {u['status']} | {_md(decided)} | {use_files_text(u)} |\n"
            )
        out.write("\n")
    for cut in d["cuts"]:
        out.write(
            f"## On screen in {_md(cut['name'])} ({len(cut['rows'])} of {cut['events']} events: AI or unknown origin)\n\n"
        )
        if not cut["rows"]:
            out.write("None.\n\n")
            continue
        out.write(
            "| record in | record out | track | shows | origin | flags |\n| --- | --- | --- | --- | --- | --- |\n"
        )
        for ev in cut["rows"]:
            out.write(
                f"| {ev['record_in']} | {ev['record_out']} | {_md(ev['track'])} | {_md(_shows(ev))} | "
                f"{_md(origins_text(ev['origins']))} | {_md(state_text(ev['flags']))} |\n"
            )
        out.write("\n")


def _shows(r: InventoryRowJson) -> str:
    return (r["path"] or r["clip"] or "?") + (
        f" ({r['files']:,} files: {r['frames']})" if r["frames"] else ""
    )


def origins_text(origins: dict[str, int]) -> str:
    if len(origins) == 1:
        return next(iter(origins))
    return ", ".join(f"{o} x{n:,}" for o, n in sorted(origins.items(), key=lambda kv: -kv[1]))


def use_text(use: UseLinkJson | None) -> str:
    """The intended use a row's file belongs to, on one line: its id, status and approval."""
    if use is None:
        return ""
    if not use["registered"]:
        return f"use {use['id']}: not registered"
    text = f"use {use['id']} ({use['purpose']}) {use['status']}"
    if use.get("decided_by") and use["status"] in ("approved", "rejected", "revoked"):
        text += f" by {use['decided_by']}"
    if use.get("ref"):
        text += f", ref {use['ref']}"
    return text


def use_files_text(u: UseJson) -> str:
    f = u["files"]
    return f"{f['count']:,} ({f['in_cut_count']:,} in cut)" + (
        f"; {f['after_close_count']:,} after it closed" if f["after_close_count"] else ""
    )


def _flag_text(f: ReportFlagJson, ids: str | None = None, *, audit: bool = False) -> str:
    """A flag on one line: id (IDS: a sequence's flags of its rule), severity/status, the decision
    in force, and in the audit its trail."""
    text = f"#{ids or f['id']} {f['severity']}/{f['status']}"
    if f.get("decided_by"):
        text += f" by {f['decided_by']} ({f['ref'] or 'no ref'}) {(f.get('decided_at') or '')[:10]}"
    if audit:
        text += " [" + "; ".join(trail_text(t) for t in f.get("trail") or []) + "]"
    return text


def trail_text(t: FlagStepJson) -> str:
    """One step of a flag's trail: what happened, who, when and why."""
    at = (t.get("at") or "")[:16].replace("T", " ")
    what = {
        "decided": f"{t.get('decision')} at {t.get('severity')}",
        "revoked": f"{t.get('was')} revoked",
        "reopened": f"reopened ({t.get('why') or 'was ' + str(t.get('was'))})",
        "resolved": f"resolved: {t.get('why') or 'condition no longer holds'}",
        "severity": f"severity {t.get('was')} -> {t.get('severity')}"
        + (f": {t['why']}" if t.get("why") else ""),
    }
    text = what.get(t["event"], t["event"]) + f" by {t.get('by') or '?'}"
    if t.get("ref"):
        text += f" ({t['ref']})"
    if t.get("note"):
        text += f": {t['note']}"
    return f"{text}, {at}"
