"""Shared fixtures: temp projects on real SQLite, a real PostgreSQL schema, the CLI in-process."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_media"
os.environ.setdefault("REELPROV_NO_PLUGINS", "1")
os.environ.setdefault("REELPROV_ACTOR", "tester")
# A developer's own settings must not reach the tests: with REELPROV_DATABASE_URL set in their shell
# every test project would record into that ledger (a facility's shared one), REELPROV_PROJECT would
# point commands at their project. Tests that want them set them.
for _name in ("REELPROV_DATABASE_URL", "REELPROV_PROJECT", "REELPROV_PG_DRIVER"):
    os.environ.pop(_name, None)
# Reports and watchers anchor the ledger's head under the user's data folder by default: the tests'
# anchors go to a folder of their own, not the developer's, removed when the run ends.
os.environ["XDG_DATA_HOME"] = _DATA = __import__("tempfile").mkdtemp(prefix="reelprov-tests-data-")
__import__("atexit").register(__import__("shutil").rmtree, _DATA, True)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run `reelprov ARGS` in this process, as a user would see it: exit code, stdout, stderr."""
    from reelprov.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_cwd = Path.cwd()
    old_env = {k: os.environ.get(k) for k in (env or {})}
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        os.environ.update(env or {})
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(old_cwd)
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())


def payload_misfit(kind: str, payload: Any) -> str | None:
    """How an entry's payload differs from its record in ledger/entries.py (the ledger's format),
    or None: a required key missing, a key the record does not name. A kind with no record carries
    history only (the projection ignores it; tests write `note` entries)."""
    from reelprov.ledger.entries import PAYLOADS

    record = PAYLOADS.get(kind)
    if record is None:
        return None
    keys = set(payload)
    missing = sorted(record.__required_keys__ - keys)
    unknown = sorted(keys - record.__required_keys__ - record.__optional_keys__)
    if missing or unknown:
        return f"a {kind!r} entry: missing {missing}, not in its record {unknown}"
    return None


@pytest.fixture(autouse=True)
def _entries_keep_their_format(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every entry any test appends through a batch has the payload its kind's record says
    (ledger/entries.py); a test whose command wrote another fails at its teardown."""
    from reelprov.ledger.store import Batch

    real = Batch.append
    misfits: list[str] = []

    def append(self: Batch, kind: str, asset: str | None, payload: Any, **kw: Any) -> None:
        if (why := payload_misfit(kind, payload)) is not None and why not in misfits:
            misfits.append(why)
        real(self, kind, asset, payload, **kw)

    monkeypatch.setattr(Batch, "append", append)
    yield
    assert not misfits, misfits


@pytest.fixture
def cli() -> Any:
    return run_cli


@pytest.fixture
def show_root(tmp_path: Path) -> Path:
    """An initialised, empty project folder on the embedded SQLite ledger."""
    root = tmp_path / "show"
    root.mkdir()
    r = run_cli("init", str(root))
    assert r.code == 0, r.err
    return root


@pytest.fixture
def project(show_root: Path) -> Any:
    from reelprov.project import Project

    p = Project.open(show_root)
    yield p
    p.close()


@pytest.fixture
def sample_show(tmp_path: Path) -> Path:
    """A copy of sample_media/ initialised as a project (not yet scanned)."""
    root = tmp_path / "samples"
    shutil.copytree(
        SAMPLES,
        root,
        ignore=shutil.ignore_patterns("reelprov.toml", ".reelprov", "report.*", "hooks"),
    )
    r = run_cli("init", str(root))
    assert r.code == 0, r.err
    return root


def pg_base_url() -> str:
    url = os.environ.get("REELPROV_TEST_DATABASE_URL")
    if not url:
        pytest.skip(
            "REELPROV_TEST_DATABASE_URL is not set: no PostgreSQL to test the shared ledger against "
            "(.ci/run sets it to postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL, dropped afterwards; the URL pins search_path to it."""
    import sqlalchemy as sa

    base = pg_base_url()
    schema = f"rp_{uuid.uuid4().hex[:12]}"
    eng = sa.create_engine(base)
    with eng.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with eng.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        eng.dispose()


def write_png(
    path: Path, text: dict[str, str] | None = None, color: tuple[int, int, int] = (10, 20, 30)
) -> Path:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), color).save(path, "PNG", pnginfo=info)
    return path


SD_PARAMS = "a castle\nNegative prompt: blur\nSteps: 20, Sampler: Euler a, Seed: 1, Model: sdxl"


DROP_READ_ANYTHING = (
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
)


def as_ordinary_user() -> list[str]:
    """A command prefix under which file permissions apply, even when the tests run as root.

    Root reads files whatever their mode because of two capabilities (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH); the command runs as root still, so it can use this checkout and its
    interpreter, but without those two it meets a mode-000 file the way a user would.
    """
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip(
            "running as root and util-linux's setpriv is missing: cannot make a file unreadable"
        )
    return list(DROP_READ_ANYTHING)


# Fault injection for a reader library's native code failing on every file whose name holds a
# word, while reelprov's own unread recording of such a file still works: "hostile" files crash
# the reading process (as a segfault would), "stalling" ones never return (catastrophic
# backtracking in the C regular-expression engine, which never gets back to Python to see a signal).
FAULTS = Path(__file__).parent / "faults"  # its sitecustomize.py installs the test readers


def reader_env(name: str, arg: str = "") -> dict[str, str]:
    """The environment variables under which every file a process, and any process it starts,
    reads goes through the test reader NAME first (tests/faults/sitecustomize.py READERS)."""
    return {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(FAULTS), os.environ.get("PYTHONPATH")])),
        "REELPROV_TEST_READER": f"{name}:{arg}",
    }


def _faulty_reader_command(word: str, args: tuple[str, ...]) -> list[str]:
    """`reelprov ARGS` in a process whose file readers, in it and in every process it starts, crash
    or stall on files whose path holds WORD (tests/faults/sitecustomize.py)."""
    return [
        "env",
        *(f"{k}={v}" for k, v in reader_env(word).items()),
        sys.executable,
        "-m",
        "reelprov",
        *args,
    ]


def crashing_reader_command(*args: str) -> list[str]:
    """The command line of `reelprov ARGS` in a process whose file readers crash on "hostile" files."""
    return _faulty_reader_command("hostile", args)


def stalling_reader_command(*args: str) -> list[str]:
    """The command line of `reelprov ARGS` in a process whose file readers never return on "stalling" files."""
    return _faulty_reader_command("stalling", args)


def report_every_use(root: Path, env: dict[str, str] | None = None) -> None:
    """The production reported its GenAI use up front: one low-risk use of any tool over the whole
    project (`reelprov use propose`), so `reporting.unreported_ai_use` stays quiet for files that
    name their tool. For tests about the other rules; tests/cli/test_uses.py tests the use rule."""
    r = run_cli(
        "use", "propose", "--tool", "*", "--purpose", "ideation", "--scope", "**",
        "--by", "tests", "--answers", "yes,yes,yes,yes,yes", cwd=root, env=env,
    )  # fmt: skip
    assert r.code == 0, r.err
