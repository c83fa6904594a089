"""Sorting more keys than memory should hold: kept in memory up to a run, then sorted runs on
temporary files, merged as they are read (an external merge sort). The report orders each
section's rows this way, whatever the project's size."""

from __future__ import annotations

import heapq
import itertools
import pickle
import tempfile
from collections.abc import Iterator
from typing import IO, Any

RUN = 10_000  # keys held in memory before a sorted run goes to disk
CHUNK = 500  # keys written (and read back) per pickle: what a run holds in memory while merged
FAN_IN = 32  # runs on disk before they are merged into one: a merge holds FAN_IN * CHUNK keys


class SortedSpill:
    """Keys added in any order, read back sorted. Memory: RUN keys while adding, CHUNK keys per
    run while merging or reading, and FAN_IN runs of one size are merged into one on disk, so a
    read opens fewer than FAN_IN runs of each size (a million keys: 7 runs, not 100). Read it once
    at a time (each read starts over)."""

    def __init__(self, run: int | None = None, fan_in: int | None = None) -> None:
        self.run = run or RUN
        self.fan_in = max(fan_in or FAN_IN, 2)
        self._held: list[Any] = []
        self._runs: list[IO[bytes]] = []
        self._levels: list[int] = []  # each run's: how many merges its keys went through
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
        self._runs.append(_written(iter(self._held)))
        self._levels.append(0)
        self._held = []
        # FAN_IN runs of one level merge into one of the next (each key rewritten once a level)
        while len(self._levels) >= self.fan_in and len(set(self._levels[-self.fan_in :])) == 1:
            level, runs = self._levels[-1], self._runs[-self.fan_in :]
            merged = _written(heapq.merge(*(_read(f) for f in runs)))
            for f in runs:
                f.close()
            self._runs[-self.fan_in :] = [merged]
            self._levels[-self.fan_in :] = [level + 1]

    def __iter__(self) -> Iterator[Any]:
        self._held.sort()
        if not self._runs:
            return iter(self._held)
        return heapq.merge(*(_read(f) for f in self._runs), iter(self._held))

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._levels = []
        self._held = []


def _written(keys: Iterator[Any]) -> IO[bytes]:
    """A temporary file holding KEYS (sorted), CHUNK to a pickle."""
    f = tempfile.TemporaryFile(prefix="reelprov-sort-")  # noqa: SIM115 - kept open until close()
    while chunk := list(itertools.islice(keys, CHUNK)):
        pickle.dump(chunk, f, protocol=pickle.HIGHEST_PROTOCOL)
    return f


def _read(f: IO[bytes]) -> Iterator[Any]:
    f.seek(0)
    while True:
        try:
            chunk = pickle.load(f)  # noqa: S301 - our own temporary file, written just above
        except EOFError:
            return
        yield from chunk
