"""The pre-delivery report: what is cleared and what still blocks delivery, as HTML, JSON, CSV, Markdown.

build.py decides what the report says (one pass over the project), gate.py whether delivery is
cleared, render.py writes it a row at a time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, cast

from reelprov.contract import AnchoredJson, ReportHeadJson, ReportJson
from reelprov.errors import ReportError
from reelprov.progress import Progress
from reelprov.project import Project
from reelprov.report.build import SECTIONS, Report, blocking_flags, plan
from reelprov.report.render import FORMATS, thumbnail, trail_text

__all__ = [
    "FORMATS",
    "SECTIONS",
    "Report",
    "blocking_flags",
    "build",
    "plan",
    "thumbnail",
    "trail_text",
    "write_report",
]


class Written(ReportHeadJson):
    """A report written: its head, and where that ledger head was anchored."""

    anchored: AnchoredJson


def build(
    project: Project,
    *,
    verify: bool = True,
    level: str | None = None,
    progress: Progress | None = None,
) -> ReportJson:
    """The whole report as the documented JSON (schema_version 2), rows included."""
    return plan(project, verify=verify, level=level, progress=progress).to_json()


def write_report(
    project: Project,
    *,
    fmt: str = "html",
    output: str | None = None,
    verify: bool = True,
    thumbnails: bool = True,
    level: str | None = None,
    progress: Progress | None = None,
) -> tuple[Written, str | None]:
    """Build and write the report; returns (what it says before its rows, and where its head was
    anchored; the path written or None for stdout)."""
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    target: Path | None = None
    if output != "-":
        target = Path(output) if output else project.root / f"report.{fmt}"
        target = target if target.is_absolute() else Path.cwd() / target
        if not target.parent.is_dir():
            raise ReportError(
                f"{target}: folder {target.parent} does not exist; create it or choose another {{output}}",
                inputs=("output",),
            )
    report = plan(project, verify=verify, level=level, progress=progress)
    from reelprov.report import render

    def write(out: Any) -> None:
        if fmt == "html":
            render.render_html(report, out, thumbnails=thumbnails)
        else:
            {"json": render.render_json, "csv": render.render_csv, "md": render.render_md}[fmt](
                report, out
            )

    if target is None:
        write(sys.stdout)
        sys.stdout.flush()
    else:
        from reelprov.files import replacing

        try:
            with replacing(target) as out:
                write(out)
        except OSError as exc:
            raise ReportError(
                f"{target}: cannot write the report ({exc.strerror or exc}); check permissions or choose "
                "another {output}",
                inputs=("output",),
            ) from None
    from reelprov.ledger.anchor import record

    # the head the report was built from, kept outside the database (every report anchors it)
    head = report.head["ledger_head"]
    data = cast("Written", report.head.copy())
    data["anchored"] = record(project.cfg, head["seq"], head["hash"]).to_json()
    return data, None if target is None else str(target)
