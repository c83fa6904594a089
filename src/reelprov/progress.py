"""How long work reports how far it got: a callback the CLI turns into a bar on a terminal."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]  # (phase, done, total)
