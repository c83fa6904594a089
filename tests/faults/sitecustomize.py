"""Test readers (conftest.reader_env, conftest._faulty_reader_command).

Python imports this module at the start of every process with this folder on PYTHONPATH. With
REELPROV_TEST_READER set to one of READERS' names (and, after a colon, what it needs), every file
that process or a process it starts reads goes through that reader first: crash or stall on some
files, as a reader library's native code does on a damaged or hostile file; note each file read; or
delete a file just before it is read. Set in the environment rather than patched into one
process: examining processes are forked, or started by a server process of their own while other
threads run, and only the environment reaches both.
"""

import os
from collections.abc import Callable
from typing import Any


def _hostile(arg: str, path: str, rel: str, kw: dict[str, Any]) -> None:
    """Crash the process reading a file whose path holds "hostile" (a segfault)."""
    import signal

    if "hostile" in rel and kw.get("unread") is None:
        os.kill(os.getpid(), signal.SIGSEGV)


def _stalling(arg: str, path: str, rel: str, kw: dict[str, Any]) -> None:
    """Never return on a file whose path holds "stalling" (a regular expression that backtracks
    for ever, inside native code)."""
    import re

    if "stalling" in rel and kw.get("unread") is None:
        re.match(r"(a*)*b", "a" * 64)


def _logged(arg: str, path: str, rel: str, kw: dict[str, Any]) -> None:
    """Note each file read, a line in the file ARG."""
    with open(arg, "a", encoding="utf-8") as f:
        f.write(rel + "\n")


def _vanishing(arg: str, path: str, rel: str, kw: dict[str, Any]) -> None:
    """Delete the file ARG just before it is read (gone between the walk and the reading)."""
    if rel == arg:
        os.remove(path)


READERS: dict[str, Callable[[str, str, str, dict[str, Any]], None]] = {
    "hostile": _hostile,
    "stalling": _stalling,
    "logged": _logged,
    "vanishing": _vanishing,
}


def _install(name: str, arg: str) -> None:
    import reelprov.recording.pool as pool

    real = pool.examine
    before = READERS[name]

    def examine(path: str, rel: str, **kw: Any) -> Any:
        before(arg, path, rel, kw)
        return real(path, rel, **kw)

    pool.examine = examine  # type: ignore[assignment]


_name, _, _arg = os.environ.get("REELPROV_TEST_READER", "").partition(":")
if _name in READERS:
    _install(_name, _arg)
