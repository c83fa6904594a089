"""The examining processes' records (recording/pool.py): what they encode for the writer stays the
canonical text of what the writer records, also when the pool changes the record afterwards."""

from __future__ import annotations

import os
from pathlib import Path

from reelprov.extract import Examined
from reelprov.ledger.chain import canonical
from reelprov.recording.pool import _examine_one
from tests.conftest import SAMPLES


def test_a_newer_sidecars_time_is_in_the_encoded_seen_payload(tmp_path: Path) -> None:
    """A file whose sidecar changed after it is recorded with the sidecar's time (so a rescan sees
    the sidecar's edit); the seen entry's text, encoded in the examining process, says that time."""
    f = tmp_path / "plate.png"
    f.write_bytes((SAMPLES / "plain/no_metadata.png").read_bytes())
    later = os.stat(f).st_mtime_ns + 5_000_000_000
    r = _examine_one((str(f), "plate.png", later, None, True))
    assert isinstance(r, Examined)
    assert r.mtime_ns == later
    assert r.seen_body == canonical(r.seen_payload())
    assert f'"mtime_ns":{later}' in r.seen_body
    assert f'"evidence":{canonical(r.evidence)}' in r.seen_body


def test_a_child_that_ends_without_answering_is_seen_ended_though_its_pipe_stays_open() -> None:
    """A file read alone whose reading crashes its process: the reader sees the process end at
    once, even while another process holds a copy of the pipe's writing end (a fresh pool's
    worker, forked by another thread of the watcher at that moment), where the pipe never ends:
    the watcher waited 90 s on such a pipe, and a test waiting 20 s for the file failed."""
    import multiprocessing
    import time

    from reelprov.recording.pool import _answer

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    holder = ctx.Process(target=time.sleep, args=(30,), daemon=True)  # holds `send` too
    holder.start()
    crashed = ctx.Process(target=os._exit, args=(11,), daemon=True)  # ends without a word
    crashed.start()
    send.close()
    try:
        started = time.monotonic()
        assert _answer(recv, crashed, 20) is None
        assert time.monotonic() - started < 5
        recv2, send2 = ctx.Pipe(duplex=False)
        answering = ctx.Process(target=_send_after, args=(send2, 0.3), daemon=True)
        answering.start()
        send2.close()
        assert _answer(recv2, answering, 20) == "read"  # one that answers is heard
        answering.join()
    finally:
        holder.kill()
        holder.join()
        crashed.join()


def _send_after(conn: object, seconds: float) -> None:
    import time

    time.sleep(seconds)
    conn.send("read")  # type: ignore[attr-defined]


_IN_A_WORKER = """
import mimetypes, os
import reelprov.extract as extract
from reelprov.recording.pool import WORKER_NICENESS, _pool

def seen():  # in the examining worker
    return os.nice(0), extract._PM is not None, mimetypes.inited

import __main__
__main__.seen = seen
pool = _pool(1, 0.0)
nice, plugins, media_types = pool.submit(seen).result(timeout=60)
pool.shutdown()
print(nice - os.nice(0), WORKER_NICENESS, plugins, media_types, extract._PM is not None)
"""


def test_examining_workers_run_below_the_writer_with_what_reading_needs_already_loaded() -> None:
    """A scan's narrowest step is its writer: the workers it forks run at a lower priority, so on a
    machine with as many workers as cores the writer gets the CPU first. And each worker loads
    the extractors, plug-ins and media types as it starts, before its first file, while the
    writer's process, which needs none of them, walks on. (In a process of its own: a scan forks
    only while it runs no other thread, and a test run has others.)"""
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-c", _IN_A_WORKER], capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr[-3000:]
    below, niceness, plugins, media_types, in_the_writer = p.stdout.split()
    assert int(below) == min(int(niceness), 19 - os.nice(0))
    assert (plugins, media_types) == ("True", "True")
    assert in_the_writer == "False"


_IMPORTING_WHILE_STARTING = """
import importlib, os, sys, threading, time
sys.path.insert(0, sys.argv[1])
flag = os.path.join(sys.argv[1], "go")
with open(os.path.join(sys.argv[1], "rp_slow_module.py"), "w") as f:
    f.write("import os, time\\nwhile not os.path.exists(%r):\\n    time.sleep(0.01)\\n" % flag)
importing = threading.Thread(target=importlib.import_module, args=("rp_slow_module",))
importing.start()  # another thread of this process is in the middle of importing a module
while "rp_slow_module" not in sys.modules:
    time.sleep(0.01)
from reelprov.recording.pool import _pool
pool = _pool(1, 0.0)  # a reading process started meanwhile
pool.submit(os.getpid).result(timeout=60)
open(flag, "w").close()
importing.join()
# what the reading process imports next is that module: here it is there, in the process that
# started the reader it must be loaded again or waited for, never waited for for ever
try:
    pool.submit(exec, "import rp_slow_module", {}).result(timeout=20)
except Exception as exc:
    print("hung:", type(exc).__name__, flush=True)
    os._exit(3)  # not waiting for a reading process that hangs
pool.shutdown()
print("read on")
"""


def test_a_reading_process_started_while_another_thread_imports_does_not_hang(
    tmp_path: Path,
) -> None:
    """The watcher reads files on several threads and starts a fresh reading process after a
    crash. Forked while another of its threads was importing a module, that process inherited the
    module half-loaded and its lock held by a thread that does not exist there: the first file
    whose reading imported the module hung it until the read deadline, and the file was recorded
    unread as if it had stalled (a watcher test waiting 20 s for a file failed in CI). While other
    threads run, reading processes are started by a server process of their own instead."""
    import subprocess
    import sys

    p = subprocess.run(
        [sys.executable, "-c", _IMPORTING_WHILE_STARTING, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip() == "read on"
