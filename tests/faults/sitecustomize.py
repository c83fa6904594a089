"""Fault injection for the tests of damaged and hostile files (conftest._faulty_reader_command).

Python imports this module at the start of every process with this folder on PYTHONPATH. With
REELPROV_TEST_FAULT set (hostile or stalling), that process's file readers crash, or never return,
on files whose path holds that word, as a reader library's native code does on such a file. Set
in the environment rather than patched into one process: the watcher's examining processes are
started by a server process of their own, which the environment reaches and a patch does not.
"""

import os

_FAULTS = {
    "hostile": "os.kill(os.getpid(), signal.SIGSEGV)",
    "stalling": "re.match(r'(a*)*b', 'a' * 64)",
}


def _install(word: str) -> None:
    import re
    import signal

    import reelprov.recording.pool as pool

    real = pool.examine

    def faulty(path: str, rel: str, **kw: object) -> object:
        if word in rel and kw.get("unread") is None:
            exec(_FAULTS[word], {"os": os, "re": re, "signal": signal})  # noqa: S102
        return real(path, rel, **kw)  # type: ignore[arg-type]

    pool.examine = faulty  # type: ignore[assignment]


if os.environ.get("REELPROV_TEST_FAULT") in _FAULTS:
    _install(os.environ["REELPROV_TEST_FAULT"])
