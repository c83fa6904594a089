"""The project: finding its root like git does, and reading / writing reelprov.toml."""

from __future__ import annotations

import os
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelprov.errors import ConfigError, PathOutsideProject, ProjectNotFound, UnrecordableName
from reelprov.names import NOT_UTF8, bad_name, shown

CONFIG_NAME = "reelprov.toml"
STATE_DIR = ".reelprov"
MAX_PATH = 4096

DEFAULT_FINAL_FOLDERS = ["final", "deliverables", "delivery", "conform", "online"]
DEFAULT_TEMP_FOLDERS = ["temp", "wip", "previs", "ideation", "boards", "refs"]
DEFAULT_IGNORE = [
    "*.tmp",
    "*.part",
    "*.crdownload",
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    "report.html",
    "report.json",
    "report.csv",
    "report.md",
]

# Every key reelprov.toml may hold, by section; anything else is a typo the user must hear about.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "project": {"name": str, "id": str},
    "ledger": {"database_url": str, "auto_upgrade": bool, "anchor_file": str, "anchor_url": str},
    "scan": {
        "ignore": list,
        "settle_seconds": (int, float),
        "workers": int,
        "follow_symlinks": bool,
        "read_timeout_seconds": (int, float),
        "symlink_targets": list,
    },
    "stages": {"final": list, "temp": list},
    "tag_rules": {"glob": str, "tags": list},
    "stage_rules": {"glob": str, "stage": str},
    "policy": {"approved_tools": list, "file": str},
    "c2pa": {"trust_anchors": str},
    "hooks": {"dir": str, "timeout_seconds": (int, float)},
    "cuts": {"path_map": dict},
    "watch": {"poll_seconds": (int, float), "force_polling": bool},
    "review": {"require_ref_to_clear": bool, "use_approval_covers": list},
    "uses": {"matrix": str},
}
_ARRAY_SECTIONS = {"tag_rules", "stage_rules"}
# What each [[rule]] block must say.
_REQUIRED = {"tag_rules": ("glob", "tags"), "stage_rules": ("glob", "stage")}
# Numbers that must also be sensible: (section, key) -> (lowest, highest, what it means).
_RANGES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("scan", "settle_seconds"): (
        0.0,
        3600.0,
        "seconds a file must stay unchanged before it is read",
    ),
    ("scan", "workers"): (0, 256, "examining processes; 0 means one per core"),
    ("scan", "read_timeout_seconds"): (
        0.0,
        86400.0,
        "seconds one file may take to read; 0 means no limit",
    ),
    ("hooks", "timeout_seconds"): (0.1, 3600.0, "seconds a hook may run"),
    ("watch", "poll_seconds"): (0.1, 3600.0, "seconds between polls of the tree"),
}


@dataclass(frozen=True)
class PathRule:
    """A glob over root-relative POSIX paths and what it implies (tags or a stage)."""

    glob: str
    tags: tuple[str, ...] = ()
    stage: str | None = None


@dataclass
class ProjectConfig:
    """reelprov.toml, parsed and validated; defaults for everything not written."""

    root: Path
    name: str
    project_id: str
    database_url: str | None = None
    auto_upgrade: bool = True
    ignore: list[str] = field(default_factory=lambda: list(DEFAULT_IGNORE))
    settle_seconds: float = 2.0
    workers: int = 0
    follow_symlinks: bool = False
    read_timeout: float = (
        60.0  # [scan] read_timeout_seconds: a file taking longer is recorded unread
    )
    # with follow_symlinks: folders outside the project that links may lead into (media mounts)
    symlink_targets: list[str] = field(default_factory=list)
    final_folders: list[str] = field(default_factory=lambda: list(DEFAULT_FINAL_FOLDERS))
    temp_folders: list[str] = field(default_factory=lambda: list(DEFAULT_TEMP_FOLDERS))
    tag_rules: list[PathRule] = field(default_factory=list)
    stage_rules: list[PathRule] = field(default_factory=list)
    approved_tools: list[str] = field(default_factory=list)
    policy_file: Path | None = None
    trust_anchors: Path | None = None
    hooks_dir: Path | None = None
    hook_timeout: float = 10.0
    path_map: dict[str, str] = field(default_factory=dict)
    poll_seconds: float | None = None
    force_polling: bool = False
    # a tag, stage or declaration change that resolves an escalate/block flag needs --by and --ref
    require_ref_to_clear: bool = True
    # [review] use_approval_covers: the file rules (areas or rule ids) an intended use's approval
    # clears on the files it covers; none by default (each file keeps its own flags)
    use_approval_covers: list[str] = field(default_factory=list)
    use_matrix: Path | None = None  # [uses] matrix: the project's own use case matrix
    anchor_file: Path | None = (
        None  # [ledger] anchor_file: heads kept outside the database (None: off)
    )
    anchor_url: str | None = None

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def effective_database_url(self) -> str:
        """REELPROV_DATABASE_URL beats reelprov.toml beats the embedded SQLite file."""
        env = os.environ.get("REELPROV_DATABASE_URL")
        if env:
            return env
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'ledger.db').as_posix()}"

    def relpath(self, path: str | os.PathLike[str], *, cwd: Path | None = None) -> str:
        """A user-given path (absolute, or relative to cwd) as a root-relative POSIX path."""
        if len(os.fspath(path)) > MAX_PATH:
            raise PathOutsideProject(
                f"{os.fspath(path)[:60]}...: a path of {len(os.fspath(path))} characters; no file system "
                f"holds paths over {MAX_PATH}; check the argument"
            )
        if bad_name(os.fspath(path)):
            raise UnrecordableName(
                f"{shown(os.fspath(path))}: {NOT_UTF8} (reelprov records no such name)"
            )
        p = Path(path)
        if not p.is_absolute():
            # Relative to where the user stands when that is inside the project (like git);
            # relative to the project root when they point at it from elsewhere with --project.
            here = (cwd or Path.cwd()).resolve()
            inside = here == self.root.resolve() or self.root.resolve() in here.parents
            p = (here if inside else self.root) / p
        p = Path(os.path.normpath(p))
        root = Path(os.path.normpath(self.root.resolve()))
        try:
            rel = p.relative_to(root)
        except ValueError:
            try:
                rel = p.resolve().relative_to(root)
            except ValueError:
                raise PathOutsideProject(
                    f"{path}: not inside the project at {self.root}; give a path under it"
                ) from None
        return rel.as_posix() if rel.parts else "."


def find_root(explicit: str | os.PathLike[str] | None = None, *, cwd: Path | None = None) -> Path:
    """--project, then REELPROV_PROJECT, then the nearest reelprov.toml at or above cwd."""
    given = explicit or os.environ.get("REELPROV_PROJECT")
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise ProjectNotFound(
                f"{root}: no {CONFIG_NAME} there; run `reelprov init {given}` first"
            )
        return root
    here = (cwd or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    raise ProjectNotFound(
        f"{here}: not inside a reelprov project (no {CONFIG_NAME} here or above); "
        "run `reelprov init .` or pass {project} DIR",
        inputs=("project",),
    )


def default_anchor_file(project_id: str) -> Path:
    """Where ledger heads are kept by default (ledger/anchor.py): under the user's data folder,
    outside the project, one append-only file per project."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "reelprov" / "anchors" / f"{project_id}.jsonl"


def check_range(section: str, key: str, value: Any, where: str) -> None:
    """ConfigError naming WHERE when VALUE is outside what [SECTION] KEY can sensibly be."""
    span = _RANGES.get((section, key))
    if (
        span is not None
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and not span[0] <= value <= span[1]
    ):  # also NaN
        raise ConfigError(
            f"{where} = {value} is out of range; give {span[0]:g} to {span[1]:g} ({span[2]})"
        )


def _check_keys(section: str, table: dict[str, Any], path: Path) -> None:
    allowed = _SCHEMA[section]
    for key, value in table.items():
        check_range(section, key, value, f"{path}: [{section}] {key}")
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown key `{key}` in [{section}]; allowed: {', '.join(sorted(allowed))}"
            )
        if not isinstance(value, allowed[key]) or (
            isinstance(value, bool) and allowed[key] in ((int, float), int)
        ):
            raise ConfigError(
                f"{path}: [{section}] {key} has the wrong type ({type(value).__name__})"
            )


def _check_rule_tags(path: Path, rules: list[PathRule]) -> None:
    """A tag no policy rule knows would match nothing, silently: a typo must not leave hero props unreviewed."""
    from reelprov.policy import TAGS

    for r in rules:
        for t in r.tags:
            if t not in TAGS:
                raise ConfigError(
                    f"{path}: [[tag_rules]] glob {r.glob!r}: unknown tag {t!r}; known tags: {', '.join(TAGS)}"
                )


def read_setting(path: Path, what: str) -> str:
    """The text of a settings file reelprov.toml names (a policy, a use case matrix), or a
    ConfigError naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what} ({exc})") from None


def load(root: Path) -> ProjectConfig:
    """Read and validate ROOT/reelprov.toml."""
    path = root / CONFIG_NAME
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}; fix the file and retry") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    for section, table in raw.items():
        if section not in _SCHEMA:
            raise ConfigError(
                f"{path}: unknown section [{section}]; allowed: {', '.join(sorted(_SCHEMA))}"
            )
        if section in _ARRAY_SECTIONS:
            if not isinstance(table, list):
                raise ConfigError(f"{path}: {section} must be written [[{section}]]")
            for i, item in enumerate(table, 1):
                if not isinstance(item, dict):
                    raise ConfigError(
                        f"{path}: {section} entry {i} is not a table; write each as a [[{section}]] block"
                    )
                _check_keys(section, item, path)
                missing = [k for k in _REQUIRED[section] if k not in item]
                if missing:
                    raise ConfigError(
                        f"{path}: [[{section}]] block {i} has no {' or '.join(missing)}; "
                        f"each needs {' and '.join(_REQUIRED[section])}"
                    )
        else:
            if not isinstance(table, dict):
                raise ConfigError(f"{path}: {section} must be a [{section}] table")
            _check_keys(section, table, path)

    proj = raw.get("project", {})
    if "id" not in proj:
        raise ConfigError(f"{path}: [project] id is missing; run `reelprov init` again to add one")
    cfg = ProjectConfig(root=root, name=proj.get("name", root.name), project_id=proj["id"])
    ledger = raw.get("ledger", {})
    cfg.database_url = ledger.get("database_url") or None
    cfg.auto_upgrade = ledger.get("auto_upgrade", True)
    anchor_file = ledger.get("anchor_file")
    cfg.anchor_file = (
        default_anchor_file(cfg.project_id)
        if anchor_file is None
        else Path(os.path.abspath(root / Path(anchor_file).expanduser()))
        if anchor_file
        else None
    )
    cfg.anchor_url = ledger.get("anchor_url") or None
    scan = raw.get("scan", {})
    cfg.ignore = [str(x) for x in scan.get("ignore", DEFAULT_IGNORE)]
    cfg.settle_seconds = float(scan.get("settle_seconds", 2.0))
    cfg.workers = int(scan.get("workers", 0))
    cfg.follow_symlinks = bool(scan.get("follow_symlinks", False))
    cfg.read_timeout = float(scan.get("read_timeout_seconds", 60.0))
    cfg.symlink_targets = [
        os.path.abspath(root / Path(str(x)).expanduser()) for x in scan.get("symlink_targets", [])
    ]
    stages = raw.get("stages", {})
    cfg.final_folders = [str(x) for x in stages.get("final", DEFAULT_FINAL_FOLDERS)]
    cfg.temp_folders = [str(x) for x in stages.get("temp", DEFAULT_TEMP_FOLDERS)]
    cfg.tag_rules = [
        PathRule(glob=r["glob"], tags=tuple(r.get("tags", []))) for r in raw.get("tag_rules", [])
    ]
    _check_rule_tags(path, cfg.tag_rules)
    for r in raw.get("stage_rules", []):
        if r.get("stage") not in ("temp", "final", "unassigned"):
            raise ConfigError(f"{path}: stage_rules stage must be temp, final or unassigned")
        cfg.stage_rules.append(PathRule(glob=r["glob"], stage=r["stage"]))
    pol = raw.get("policy", {})
    cfg.approved_tools = [str(x) for x in pol.get("approved_tools", [])]
    if pol.get("file"):
        cfg.policy_file = (root / pol["file"]).resolve()
    c2 = raw.get("c2pa", {})
    if c2.get("trust_anchors"):
        cfg.trust_anchors = (root / c2["trust_anchors"]).resolve()
    hooks = raw.get("hooks", {})
    cfg.hooks_dir = (root / hooks.get("dir", ".reelprov/hooks")).resolve()
    cfg.hook_timeout = float(hooks.get("timeout_seconds", 10))
    cfg.path_map = {str(k): str(v) for k, v in raw.get("cuts", {}).get("path_map", {}).items()}
    watch = raw.get("watch", {})
    cfg.poll_seconds = float(watch["poll_seconds"]) if "poll_seconds" in watch else None
    cfg.force_polling = bool(watch.get("force_polling", False))
    cfg.require_ref_to_clear = bool(raw.get("review", {}).get("require_ref_to_clear", True))
    cfg.use_approval_covers = [str(x) for x in raw.get("review", {}).get("use_approval_covers", [])]
    if raw.get("uses", {}).get("matrix"):
        cfg.use_matrix = (root / raw["uses"]["matrix"]).resolve()
    return cfg


DEFAULT_TOML = """\
# reelprov project settings. Every key is optional except [project] id.
[project]
name = {name}
id = "{id}"

[ledger]
# A facility's shared ledger: database_url = "postgresql+psycopg://user@host:5432/db"
# (REELPROV_DATABASE_URL overrides). Empty means the embedded SQLite file .reelprov/ledger.db.
database_url = ""
auto_upgrade = true
# Every report, `reelprov anchor` and the watcher append the ledger's head to this append-only file
# (outside the project: by default under ~/.local/share/reelprov/anchors/); `verify` and the delivery
# gate check every head in it, so a ledger wiped, rewritten or cut short fails them. "" switches it off.
# anchor_file = "/var/lib/reelprov/anchors/SHOW.jsonl"
# anchor_url = "https://anchors.example.com/reelprov"   # also POSTed there (JSON), where set

[scan]
ignore = {ignore}
settle_seconds = 2.0
# A file that takes longer than this to read (a damaged or hostile file stalling a reader) is
# recorded unread, saying so; the scan and the watcher go on. 0 means no limit.
read_timeout_seconds = 60

[stages]
# A file under a folder with one of these names is final / temp; otherwise unassigned.
final = {final}
temp = {temp}

# Path rules that add tags, e.g. hero props always matter to the story.
[[tag_rules]]
glob = "**/props/hero/**"
tags = ["story_relevant"]

[policy]
# Tools cleared by the studio for production data (confidentiality and security).
approved_tools = ["Adobe Firefly"]
# file = "policy.toml"   # a project policy replacing the shipped default

[review]
# A tag, untag, stage change or declaration that would resolve an escalate or block flag needs
# --by NAME and --ref REFERENCE, like an approval; false lets it through (still recorded, with who).
require_ref_to_clear = true
# The file rules (areas or rule ids) an approved intended use clears on the files it covers, e.g.
# ["screen"]: approving `reelprov use approve U-3` then approves those files' screen flags.
use_approval_covers = []

[uses]
# matrix = "use_cases.toml"   # the project's own use case matrix (purposes, risks, areas)

[c2pa]
# trust_anchors = "trust/anchors.pem"   # PEM bundle: signers chaining to these are `trusted`

[hooks]
dir = "hooks"
timeout_seconds = 10

[cuts]
# Map mount prefixes seen in editors' timelines onto this project root (or a folder under it),
# e.g. path_map = {{ "/Volumes/SHOW" = ".", "D:/SHOW" = "." }}
path_map = {{}}
"""


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def write_default(root: Path, *, name: str | None = None) -> Path:
    """Write a commented reelprov.toml with a fresh project id; never overwrite an existing one."""
    path = root / CONFIG_NAME
    if path.exists():
        return path
    text = DEFAULT_TOML.format(
        name='"' + (name or root.resolve().name).replace('"', "'") + '"',
        id=uuid.uuid4().hex,
        ignore=_toml_list(DEFAULT_IGNORE),
        final=_toml_list(DEFAULT_FINAL_FOLDERS),
        temp=_toml_list(DEFAULT_TEMP_FOLDERS),
    )
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644
    )  # never over anything there
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path
