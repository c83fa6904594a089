"""The projection's rows as typed records: an asset, a flag, a cut and its events, an intended use,
as the ledger's replay keeps them in memory and the tables (models.py, the single source of the
schema) store them. A test checks their keys against the tables' columns, so the two cannot drift
apart."""

from typing import NotRequired, TypedDict

from reelprov.contract import DeclarationJson, Origin, ReportFlagJson, UseStepJson
from reelprov.extract.plugin import Evidence


class AssetState(TypedDict):
    """One media file's identity and current state (models.Asset)."""

    id: str
    project: str
    path: str
    path_key: str
    sha256: str
    size: int
    media_type: str
    deleted: bool
    origin: Origin
    tools: list[str]
    evidence: list[Evidence]
    evidence_sha256: str | None
    c2pa_present: bool
    c2pa_state: str
    tags: list[str]
    stage_override: str | None
    declarations: list[DeclarationJson]
    cuts: list[str]
    first_seq: int
    last_seq: int


class AssetBrief(TypedDict):
    """What the report's first pass reads of every asset (queries.assets_brief_after)."""

    id: str
    path: str
    origin: Origin
    cuts: list[str]
    stage_override: str | None
    c2pa_state: str
    media_type: str
    deleted: bool


class LiveAsset(TypedDict):
    """A live asset as a scan compares it with the walk (queries.live_by_path): its path, id and
    content, and what the scan cache holds for its path (None where nothing)."""

    path: str
    id: str
    sha256: str
    cached_size: int | None
    cached_mtime_ns: int | None
    cached_sha256: str | None
    cached_ctime_ns: int | None
    cached_inode: int | None


class Holder(TypedDict):
    """An asset holding a content (queries.live_with_contents): where a moved file came from."""

    id: str
    path: str
    sha256: str
    project: str
    deleted: bool


class FlagState(ReportFlagJson):
    """One review item raised by the policy, bound to the content it judged (models.Flag): the
    flag as the report lists it, the asset it is on and the entries that raised and last
    changed it."""

    project: str
    asset: str
    raised_seq: int
    last_seq: int


class ListedFlag(FlagState):
    """A flag with the path of the file it is on (`flags`, the gate)."""

    path: str


class FrameShown(TypedDict):
    """One frame file of an image sequence a cut's event shows, and where on the timeline (the
    record timecodes, when the timeline says which frames it shows)."""

    frame: int
    asset: str
    record_in: NotRequired[str]
    record_out: NotRequired[str]


class FrameTiming(TypedDict):
    """Where the frames of an image sequence sit on the timeline: the frames the timeline shows
    run from FIRST by STEP, one timeline frame each from AT seconds, at RATE (DROP: drop-frame
    timecode). A frame's record in and out follow from it (cuts/frames.py frames_of)."""

    at: float
    first: int
    step: int
    rate: float
    drop: bool


class SequenceShown(TypedDict):
    """The frames of an image sequence an event shows, kept compactly: their numbers as runs of
    [first, count], the asset of each in that order, and where they sit on the timeline when it
    says (`timing`). Cuts imported before 2026-12-07 list every frame instead (`frames`: each with
    its asset and record timecodes). Read either through cuts/frames.py frames_of and
    frame_numbers; `cut show --json` and `cut import --json` give the frame-by-frame list."""

    path: str  # as people write it: final/vfx/sh010/sh010_comp.####.exr
    shown: str | None  # "1001-1096", None where the timeline does not say
    numbers: NotRequired[list[list[int]]]  # [[1001, 96]]: runs of frame numbers, [first, count]
    assets: NotRequired[list[str]]  # the asset of each frame file, in frame order
    timing: NotRequired[FrameTiming]  # absent where the timeline does not say which frames
    frames: NotRequired[list[FrameShown]]  # imported before 2026-12-07: frame by frame
    missing: list[str]  # runs of frames the timeline shows that the ledger has no file for


class Place(TypedDict):
    """Where a cut's event shows an asset: track, record in and out (a frame's own, where the
    timeline tells), clip, and the frame of an image sequence."""

    track: str
    record_in: str
    record_out: str
    clip: str | None
    frame: NotRequired[int]


class ClipPlaced(TypedDict):
    """Where a clip sits on the timeline: its name, track and record range."""

    clip: str | None  # "" for an EDL event with no clip name
    track: str
    kind: str  # OpenTimelineIO's track kind: Video, Audio
    record_in: str
    record_out: str


class Matched(TypedDict):
    """The asset a clip shows (an image sequence's first frame found, with every frame under
    `sequence`), and how it was found (cuts/matching.py)."""

    asset: str
    path: str
    matched_by: str  # path, file name, clip name, reel name, sequence path, ...
    also_fits: NotRequired[list[str]]  # other live assets its name fitted: the choice was a guess
    sequence: NotRequired[SequenceShown]


class CutEvent(ClipPlaced, Matched):
    """A clip of a cut and the asset it shows."""


class UnmatchedClip(ClipPlaced):
    """A clip no recorded asset matched, with the media it names."""

    reference: str | None


class CutState(TypedDict):
    """The current import of a named cut (models.Cut)."""

    project: str
    name: str
    source: str
    rate: float
    imported_at: str
    imported_seq: int
    events: list[CutEvent]
    unmatched: list[UnmatchedClip]


class CutSource(TypedDict):
    """Where a cut came from (queries.cut_sources): what following it needs."""

    name: str
    source: str
    rate: float
    imported_seq: int


class UseAsked(TypedDict):
    """An intended GenAI use as proposed (the use_proposed entry says it; the row keeps it): the
    tool, what for, where its files arrive, the answers to the five principles and the risk."""

    tool: str
    purpose: str
    area: str
    risk: str  # after the answers: low, review or escalate
    matrix_risk: str  # what the use case matrix alone says
    scope: list[str]
    answers: dict[str, str]
    escalated: list[str]  # principles answered no or unsure


class UseState(UseAsked):
    """One intended GenAI use, its answers, risk and decisions (models.IntendedUse, uses/)."""

    project: str
    id: str
    number: int
    note: str | None
    proposed_by: str
    proposed_at: str
    proposed_seq: int
    status: str
    decided_by: str | None
    ref: str | None
    decided_at: str | None
    closed_by: str | None
    closed_at: str | None
    closed_seq: int | None
    last_seq: int
    trail: list[UseStepJson]
