"""The code checks CI runs with the tests: ruff (lint and format) and mypy (strict on ledger/,
policy/, report/ and the models; pyproject.toml says where). A finding fails the suite, with the
tool's own output, so it is fixed where it was written."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
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


def _imports_of(tree: ast.AST) -> Iterator[str]:
    """Every reelprov module TREE imports, at the top or inside a function; not those only for
    type checking (`if TYPE_CHECKING:`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reelprov"):
            assert node.module is not None
            yield from (f"{node.module}.{a.name}" for a in node.names)
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("reelprov"))
        else:
            yield from _imports_of(node)


def test_no_import_cycles() -> None:
    """Issue 21: no two modules need each other, not even through an import inside a function
    (the lazy imports that keep start-up fast must not hide a tangle)."""
    src = ROOT / "src"
    modules = {
        ".".join(f.relative_to(src).with_suffix("").parts).removesuffix(".__init__"): f
        for f in (src / "reelprov").rglob("*.py")
    }
    graph = {
        m: {i for i in _imports_of(ast.parse(f.read_text())) if i in modules and i != m}
        for m, f in modules.items()
    }
    # a package's __init__ re-exporting its own modules is not a cycle with them
    graph = {m: {i for i in deps if not i.startswith(m + ".")} for m, deps in graph.items()}
    cycles = []
    for start in sorted(graph):
        stack, seen = [(start, [start])], {start}
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph[node]):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert cycles == []
