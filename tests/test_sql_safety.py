"""No SQL built from strings: every statement is a constant with bound values (the security pass of
issue 8), checked on every run rather than only when someone runs the linter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "reelprov"

# The statements assembled from constant fragments (filters; a table's column list), each reviewed:
# file -> how many. A new one must be added here, after checking no value can reach its text.
ASSEMBLED = {"ledger/queries.py": 1, "ledger/store.py": 2}


def test_no_statement_is_formatted_from_values() -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--select",
            "S608",
            "--output-format",
            "concise",
            str(SRC),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_exception_to_that_is_known() -> None:
    found: dict[str, int] = {}
    for f in SRC.rglob("*.py"):
        n = len(re.findall(r"noqa:[^\n]*\bS608\b", f.read_text()))
        if n:
            found[f.relative_to(SRC).as_posix()] = n
    assert found == ASSEMBLED


# SQL keywords that open a statement, as they appear at the start of a string literal.
_STATEMENT = re.compile(r"""["'](?:SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|DROP|ALTER|PRAGMA) """)


def test_sql_lives_only_in_the_ledger_package() -> None:
    """Issue 21: every statement is in ledger/ (ledger/queries.py names the reads); the rest of the
    library calls it. models.py declares the tables (no statements)."""
    outside = {
        f.relative_to(SRC).as_posix(): n
        for f in SRC.rglob("*.py")
        if not f.relative_to(SRC).as_posix().startswith("ledger/")
        and (n := len(_STATEMENT.findall(f.read_text())))
    }
    assert outside == {}
