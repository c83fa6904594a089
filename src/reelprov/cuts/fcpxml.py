"""FCPXML (Final Cut Pro) through OTIO's fcpx_xml adapter, with exact times and today's file references.

The adapter rounds every rate down to a whole number (23.976 becomes 23, 29.97 becomes 29) and
truncates frame counts: at the rates most TV is cut at, a clip at 01:00:00:00 came out as
01:02:32:18, every record time about 4% late. And it reads a clip's file only from the asset's
`src`, which FCPXML 1.9 and later moved into `<media-rep>`: no clip of a current export had a file.
This reader keeps the adapter's walk of the document (spines, lanes, compound clips) and does its
arithmetic on exact fractions of a second.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def _seconds(text: str | None) -> Fraction:
    """FCPXML time ("86486400/24000s", "3600s", "0s") as exact seconds."""
    if not text:
        return Fraction(0)
    value = text.strip().removesuffix("s")
    num, _, den = value.partition("/")
    return Fraction(num) / Fraction(den or 1)


def read(text: str) -> tuple[Any, float | None, bool | None]:
    """The document's timeline (or collection), its first sequence's frame rate and whether that
    sequence counts drop-frame timecode (its tcFormat); None where it does not say."""
    import opentimelineio as otio
    from otio_fcpx_xml_adapter import fcpx_xml

    class Exact(fcpx_xml.FcpxXml):  # type: ignore[misc]
        def _rate(self, format_id: str | None) -> Fraction:
            fmt = self._format_by_id(format_id)
            duration = _seconds(fmt.get("frameDuration") if fmt is not None else None)
            return 1 / duration if duration > 0 else Fraction(24)

        def _format_frame_rate(self, format_id: str | None) -> float:
            return float(self._rate(format_id))

        def _number_of_frames(self, time_value: str | None, format_id: str | None) -> int:
            return round(_seconds(time_value) * self._rate(format_id))

        def _time_range(self, element: Any, format_id: str | None) -> Any:
            rate = self._rate(format_id)
            return otio.opentime.TimeRange(
                start_time=otio.opentime.RationalTime(
                    round(_seconds(element.get("start", "0s")) * rate), float(rate)
                ),
                duration=otio.opentime.RationalTime(
                    round(_seconds(element.get("duration")) * rate), float(rate)
                ),
            )

        def _from_library(self) -> Any:
            # every event's projects: the adapter read the first event of a library only
            container = otio.schema.SerializableCollection(
                name=self.fcpx_xml.find("./library").get("location", "")
            )
            for event in self.fcpx_xml.findall("./library/event"):
                for project in event.findall("./project"):
                    container.append(self._from_project(project))
            return container

        def _reference_from_id(self, asset_id: str | None, default_format: str | None) -> Any:
            # FCPXML 1.9 and later (Final Cut Pro 10.4.7 on) keep the file in <media-rep src>, not in
            # the asset's src: the adapter found no file for any clip of a current export
            asset = self._asset_by_id(asset_id)
            if asset is None:
                return otio.schema.MissingReference()
            src = asset.get("src") or next(
                (
                    m.get("src")
                    for kind in ("original-media", None)
                    for m in asset.findall("media-rep")
                    if m.get("src") and kind in (None, m.get("kind"))
                ),
                None,
            )
            if not src:
                return otio.schema.MissingReference()
            return otio.schema.ExternalReference(
                target_url=src,
                available_range=self._time_range(asset, asset.get("format", default_format)),
            )

    doc = Exact(text)
    sequence = doc.fcpx_xml.find(".//sequence")
    if sequence is None:
        return doc.to_otio(), None, None
    tc_format = sequence.get("tcFormat")
    rate = (
        float(doc._rate(sequence.get("format")))
        if doc._format_by_id(sequence.get("format")) is not None
        else None
    )
    return doc.to_otio(), rate, (None if tc_format is None else tc_format == "DF")
