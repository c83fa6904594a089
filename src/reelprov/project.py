"""An open project: its settings, its ledger, and the batch that ties appends to policy and hooks."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reelprov import config as config_mod
from reelprov.config import ProjectConfig
from reelprov.ledger.reader import SCHEMA_HEAD, Reader

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from reelprov.hooks import HookRunner
    from reelprov.ledger import Batch, Ledger
    from reelprov.policy.engine import Policy


def default_actor() -> str:
    env = os.environ.get("REELPROV_ACTOR")
    if env:
        return env
    import getpass  # here, not at import: only commands that write need to know who acts

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


# The ledger's actor and host columns hold this many characters (models.LEDGER_ENTRY), on both databases.
MAX_ACTOR = 200

# The first migration after which verdicts may differ (0008: declarations never say less than the
# file): upgrading past it evaluates the policy again (Project.reevaluate_after_upgrade).
REEVALUATE_FROM = "0008"


class Project:
    """Everything a command needs; built by a factory, never at import time.

    Reads (`reader`) and writes (`ledger`) go through the bare DB-API driver; the SQLAlchemy
    engine is built only to run migrations and `db` commands.
    """

    def __init__(self, cfg: ProjectConfig, *, actor: str | None = None) -> None:
        self.cfg = cfg
        self._actor = actor
        # read once: the reader, the writer and migrations all use the ledger the project opened with
        self.database_url = cfg.effective_database_url()
        self.reader = Reader(self.database_url)
        # Called with each committed batch's events (name, payload), before the hooks run.
        self.listeners: list[Callable[[list[tuple[str, dict[str, Any]]]], None]] = []
        # Opened or loaded on first use (a read command needs none of them); reload_settings
        # replaces the settings-derived ones whole.
        self._engine: Engine | None = None
        self._ledger: Ledger | None = None
        self._policy: Policy | None = None
        self._hooks: HookRunner | None = None
        self._anchors: tuple[str | None] | None = None  # the PEM text, once checked

    @cached_property
    def actor(self) -> str:
        """Who acts: --actor, else REELPROV_ACTOR, else the login (looked up when first needed)."""
        who = self._actor or default_actor()
        if len(who) > MAX_ACTOR:
            from reelprov.errors import ReelprovError

            raise ReelprovError(
                f"the actor name is {len(who):,} characters long; the ledger keeps at most {MAX_ACTOR}: "
                "give a shorter {actor} or REELPROV_ACTOR",
                inputs=("actor",),
            )
        return who

    @cached_property
    def host(self) -> str:
        import socket

        return socket.gethostname()[:MAX_ACTOR]

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from reelprov import db

            self._engine = db.make_engine(self.database_url)
        return self._engine

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from reelprov.ledger.store import Ledger

            self._ledger = Ledger(
                self.database_url, self.cfg.project_id, actor=self.actor, host=self.host
            )
        return self._ledger

    @property
    def root(self) -> Path:
        return self.cfg.root

    @classmethod
    def open(
        cls,
        root: str | os.PathLike[str] | None = None,
        *,
        actor: str | None = None,
        upgrade: bool = True,
        create: bool = False,
    ) -> Project:
        """Find the project (like git), read its settings, open its ledger and bring it up to date.

        An embedded (SQLite) ledger file is created only by `init` (CREATE): anywhere else a missing
        file is a mistyped database_url or a deleted ledger, and an empty new one would hide that."""
        cfg = config_mod.load(config_mod.find_root(root))
        project = cls(cfg, actor=actor)
        if not create and not project.reader.exists():
            from reelprov.errors import LedgerMissing

            raise LedgerMissing(
                f"{project.reader.where}: no ledger database there. If the project's ledger was moved or deleted, "
                f"restore it; if database_url or REELPROV_DATABASE_URL is mistyped, correct it; `reelprov init "
                f"{cfg.root}` starts a new, empty one"
            )
        revision = project.reader.revision()
        if not create and revision is None and project.reader.dialect == "sqlite":
            # An empty or schema-less file where the ledger was (truncated, overwritten, a failed
            # copy): migrating it would start a new, empty history in its place and lose every
            # approval. A shared PostgreSQL database is set up on first use; a SQLite file only by init.
            from reelprov.errors import LedgerMissing

            raise LedgerMissing(
                f"{project.reader.where}: the ledger file is empty or holds no reelprov ledger, so its history "
                f"(entries, approvals) is not there; restore it from a backup. `reelprov init {cfg.root}` starts a "
                "new, empty one only after you move this file away"
            )
        if upgrade and revision != SCHEMA_HEAD:
            from reelprov import db

            db.ensure_current(project.engine, auto_upgrade=cfg.auto_upgrade)
            project.reevaluate_after_upgrade(revision)
        return project

    def reevaluate_after_upgrade(self, before: str | None) -> None:
        """After migrations that change verdicts (REEVALUATE_FROM), evaluate the policy on every
        asset at once: flags must follow before a report or the gate reads them."""
        if before is not None and before < REEVALUATE_FROM <= SCHEMA_HEAD:
            from reelprov.policy.check import policy_check

            policy_check(self)

    @classmethod
    def settings_only(
        cls, root: str | os.PathLike[str] | None = None, *, actor: str | None = None
    ) -> Project:
        """The project found like `open` finds it, its ledger untouched: for what needs only the
        settings and the state folder (`status` must answer while the shared ledger is down)."""
        return cls(config_mod.load(config_mod.find_root(root)), actor=actor)

    def settings_files(self) -> list[Path]:
        """The files this project's settings come from: reelprov.toml, the policy and the trust anchors."""
        return [
            self.cfg.config_path,
            *(f for f in (self.cfg.policy_file, self.cfg.trust_anchors) if f is not None),
        ]

    def reload_settings(self) -> None:
        """Read reelprov.toml (and the policy and trust anchors it names) again, checked in full
        before anything changes: on any error the settings in force stay as they were. The ledger
        stays the one opened; a different database_url needs a restart."""
        from reelprov.errors import ConfigError

        cfg = config_mod.load(self.cfg.root)
        if cfg.effective_database_url() != self.database_url:
            raise ConfigError(
                f"{cfg.config_path}: the ledger's database_url changed; restart to use the new ledger"
            )
        trial = Project(cfg, actor=self._actor)
        trial.reader.close()
        policy, anchors = trial.policy, trial.trust_anchors  # each raises ConfigError if unusable
        if self._hooks is not None:
            self._hooks.drain()  # hooks already queued run with the settings they were queued under
        self.cfg, self._policy, self._anchors, self._hooks = cfg, policy, (anchors,), None

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            from reelprov.policy.engine import load_policy

            self._policy = load_policy(self.cfg)
        return self._policy

    @property
    def hooks(self) -> HookRunner:
        if self._hooks is None:
            from reelprov.hooks import HookRunner

            self._hooks = HookRunner(
                self.cfg.hooks_dir, timeout=self.cfg.hook_timeout, project=self.cfg
            )
        return self._hooks

    @property
    def trust_anchors(self) -> str | None:
        """The C2PA trust anchors' PEM text, checked once before any file is read with it: a bad
        bundle would otherwise make every signed file's manifest look invalid."""
        if self._anchors is None:
            self._anchors = (self._load_anchors(),)
        return self._anchors[0]

    def _load_anchors(self) -> str | None:
        if self.cfg.trust_anchors is None:
            return None
        from reelprov.errors import ConfigError

        try:
            pem = self.cfg.trust_anchors.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{self.cfg.trust_anchors}: cannot read the C2PA trust anchors ({exc})"
            ) from None
        from reelprov.extract.c2pa_reader import trust_anchor_problem

        why = trust_anchor_problem(pem)
        if why:
            raise ConfigError(
                f"{self.cfg.trust_anchors}: not usable as C2PA trust anchors ({why}); give the CA "
                f"certificates as PEM (-----BEGIN CERTIFICATE-----), or remove [c2pa] trust_anchors"
            )
        return pem

    @contextmanager
    def batch(self, *, evaluate: bool = True) -> Iterator[Batch]:
        """One transaction; policy runs on what it touched before commit, hooks after."""
        from reelprov.policy.engine import evaluate_batch
        from reelprov.stages import carry_rule_tags

        before = (
            [
                lambda b: carry_rule_tags(b, self.cfg),
                lambda b: evaluate_batch(self.policy, self.cfg, b),
            ]
            if evaluate
            else []
        )
        with self.ledger.batch(
            before_commit=before, after_commit=self._after_commit, heard=self.hears_events()
        ) as b:
            yield b

    def hears_events(self) -> bool:
        """Would an event be heard now: a listener, or a hook that may run (looked for each batch:
        one added to a watched project's hooks folder hears the next)."""
        from reelprov.hooks import any_hook

        return bool(self.listeners) or any_hook(self.cfg.hooks_dir)

    def _after_commit(self, batch: Batch) -> None:
        if batch.events and self.listeners:
            named = [(e.NAME, e.payload()) for e in batch.events]
            for listen in self.listeners:
                listen(named)
        if batch.events:
            self.hooks.submit_events(batch.events)

    def ledger_sharing_warning(self) -> str | None:
        """Why this project's SQLite ledger is unsafe to share, if it lies on a network share."""
        from reelprov.ledger.reader import dialect_of, sqlite_path
        from reelprov.mounts import network_ledger_warning

        url = self.database_url
        if dialect_of(url) != "sqlite" or sqlite_path(url) in ("", ":memory:"):
            return None
        return network_ledger_warning(Path(sqlite_path(url)))

    def disconnect(self) -> None:
        """Close every connection to the ledger (the next use opens new ones)."""
        self.reader.close()
        if self._ledger is not None:
            self._ledger.close()

    def close(self) -> None:
        if self._hooks is not None:
            self._hooks.drain()  # what was recorded is committed; its hooks run before the command ends
        self.disconnect()
        if self._engine is not None:
            self._engine.dispose()


def init_project(root: Path, *, name: str | None = None, examples: Path | None = None) -> Project:
    """Create reelprov.toml (kept if present), the ledger, and the example hooks."""
    root = root.resolve()
    if not root.is_dir():
        from reelprov.errors import ReelprovError

        raise ReelprovError(f"{root}: no such folder; create it first or give an existing one")
    try:
        config_mod.write_default(root, name=name)
        (root / config_mod.STATE_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        from reelprov.errors import ReelprovError

        raise ReelprovError(
            f"{root}: cannot create the project there ({exc.strerror or exc}); run init as a user "
            "who may write that folder, or choose another"
        ) from None
    project = Project.open(root, create=True)
    hooks_dir = project.cfg.hooks_dir
    src = examples or _example_hooks()
    if hooks_dir is not None and src is not None and not hooks_dir.exists():
        try:
            hooks_dir.mkdir(parents=True)
            for f in sorted(src.iterdir()):
                if f.is_file():
                    import shutil

                    shutil.copy2(f, hooks_dir / (f.name + ".example"))
        except OSError:
            pass  # the examples are a convenience: the project works without them
    return project


def _example_hooks() -> Path | None:
    from importlib import resources

    packaged = resources.files("reelprov") / "hook_examples"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "hooks"
    return checkout if checkout.is_dir() else None
