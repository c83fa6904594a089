"""Sorting more keys than memory should hold: kept in memory up to a run, then sorted runs on
temporary files, merged as they are read (an external merge sort). The report orders each
section's rows this way, whatever the project's size."""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

RUN = 50_000  # keys held in memory before a sorted run goes to disk
CHUNK = 1_000  # keys written (and read back) per pickle: what a run holds in memory while merged


class SortedSpill:
    """Keys added in any order, read back sorted. Memory: RUN keys while adding, CHUNK keys per
    run while reading. Read it once at a time (each read starts over)."""

    def __init__(self, run: int | None = None) -> None:
        self.run = run or RUN
        self._held: list[Any] = []
        self._runs: list[IO[bytes]] = []
        self._count = 0

    def add(self, key: Any) -> None:
        self._held.append(key)
        self._count += 1
        if len(self._held) >= self.run:
            self._spill()

    def extend(self, keys: list[Any]) -> None:
        """add() each of KEYS."""
        for key in keys:
            self.add(key)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def _spill(self) -> None:
        self._held.sort()
        f = tempfile.TemporaryFile(prefix="reelprov-sort-")  # noqa: SIM115 - kept open until close()
        for i in range(0, len(self._held), CHUNK):
            pickle.dump(self._held[i : i + CHUNK], f, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append(f)
        self._held = []

    def __iter__(self) -> Iterator[Any]:
        self._held.sort()
        if not self._runs:
            return iter(self._held)
        return heapq.merge(*(_read(f) for f in self._runs), iter(self._held))

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._held = []


def _read(f: IO[bytes]) -> Iterator[Any]:
    f.seek(0)
    while True:
        try:
            chunk = pickle.load(f)  # noqa: S301 - our own temporary file, written just above
        except EOFError:
            return
        yield from chunk
