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


def _in_worker() -> tuple[int, bool, bool]:
    """In an examining worker: its niceness, and whether what reading needs was already there."""
    import mimetypes

    import reelprov.extract as extract

    return os.nice(0), extract._PM is not None, mimetypes.inited


def test_examining_workers_run_below_the_writer_with_what_reading_needs_already_loaded() -> None:
    """A scan's narrowest step is its writer: the workers it forks run at a lower priority, so on a
    machine with as many workers as cores the writer gets the CPU first. And they are forked with
    the extractors, plug-ins and media types loaded once in the forking process, instead of each
    loading them on its first file."""
    from reelprov.recording.pool import WORKER_NICENESS, _pool

    pool = _pool(1, 0.0)
    try:
        nice, plugins, media_types = pool.submit(_in_worker).result(timeout=60)
    finally:
        pool.shutdown(wait=True)
    assert nice == min(19, os.nice(0) + WORKER_NICENESS)
    assert plugins and media_types
