"""The code checks CI runs with the tests: ruff (lint and format) and mypy (strict on ledger/,
policy/, report/ and the models; pyproject.toml says where). A finding fails the suite, with the
tool's own output, so it is fixed where it was written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE = ["src", "tests", "benchmarks", "migrations", "hooks"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize("args", [["ruff", "check", *CODE], ["ruff", "format", "--check", *CODE]])
def test_ruff(args: list[str]) -> None:
    r = _run(*args)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy() -> None:
    r = _run("mypy", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert r.returncode == 0, r.stdout + r.stderr
