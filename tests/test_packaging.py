"""The wheel carries what an installed reelprov needs: migrations, hook examples, policy, tools, templates."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO


def test_wheel_ships_migrations_and_data(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if (
        r.returncode != 0
    ):  # no hatchling in this venv: build with isolation (needs the package index)
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "-w",
                str(tmp_path),
                str(REPO),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(tmp_path.glob("reelprov-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    versions = sorted(p.name for p in (REPO / "migrations/versions").glob("*.py"))
    for v in versions:
        assert f"reelprov/migrations/versions/{v}" in names
    for needed in (
        "reelprov/migrations/env.py",
        "reelprov/hook_examples/pre-delivery",
        "reelprov/policy/default.toml",
        "reelprov/data/tools.json",
        "reelprov/report/templates/report.html.j2",
    ):
        assert needed in names
