"""The examining pool: files are read in processes of their own, never in the recorder's, so a
reader library crashing or stalling on a damaged or hostile file ends one process, not the scan
or the watcher; that file is read again alone and recorded unread, saying why."""

from __future__ import annotations

import collections
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from reelprov.errors import ReelprovError
from reelprov.extract import Outcome, ReadFailure, examine, prepare
from reelprov.recording.walk import Candidate

# Files are read in examining processes, never in the scan's own: a reader library's native code
# crashing on a damaged or hostile file takes down only that process (see examined). Under this
# many files to read, one such process; from it on, [scan] workers (one per core by default).
PARALLEL_THRESHOLD = 48


# Files handed to an examining worker at a time: up to CHUNK_FILES (fewer round trips between the
# processes: 2,000 small files scanned in 0.85 s against 0.93 s in eights), at most CHUNK_BYTES of them and
# at least 4 chunks per worker, so the last chunks stay short and no worker waits on another.
CHUNK_FILES = 32
CHUNK_BYTES = 64 << 20


# What an examining worker is given for one file: absolute and relative path, mtime_ns, trust
# anchors, whether its folder has sidecars (plain values: they cross process boundaries).
Task = tuple[str, str, int, str | None, bool]


def _task(c: Candidate, trust: str | None) -> Task:
    return (c.abs, c.rel, c.mtime_ns, trust, c.sidecars)


# The evidence row of a file whose reading crashed the process reading it.
CRASHED = (
    "reading it stopped the process that read it (a crash in a library reading this format): "
    "nothing was read from it, so its origin is unknown; the file may be damaged or made to attack "
    "readers: check it, replace it or add it to [scan] ignore"
)


def timed_out(seconds: float) -> str:
    """The evidence row of a file whose reading ran past [scan] read_timeout_seconds."""
    return (
        f"reading it took longer than {seconds:g} s ([scan] read_timeout_seconds), so the process reading it was "
        "stopped: nothing was read from it, so its origin is unknown; the file may be damaged or made to stall "
        "readers: check it, replace it or add it to [scan] ignore"
    )


# In an examining worker: how long one file may take to read (0: no limit; set by _worker_init).
_DEADLINE = 0.0
# In an examining worker: why it could not load what reading needs (a broken plug-in), said for
# its first file to the process that reads with it, which stops there (set by _worker_init).
_UNREADY: ReelprovError | None = None


def _examine_one(args: Task, unread: str | None = None) -> Outcome:
    path, rel, sig_mtime, trust, sidecars = args
    import signal

    if _UNREADY is not None:
        raise _UNREADY

    if _DEADLINE and unread is None:
        # SIGALRM left at its default action ends this process even inside native code (a regular
        # expression, a decoder) that never returns to Python; the reader sees it and reads the file
        # again alone, then records it unread.
        signal.setitimer(signal.ITIMER_REAL, _DEADLINE)
    try:
        # a newer sidecar's time, so a rescan sees the sidecar's edit
        return examine(
            path,
            rel,
            trust_anchors=trust,
            sidecars=sidecars,
            unread=unread,
            mtime_at_least=sig_mtime,
        )
    except OSError as exc:
        return ReadFailure(rel, f"cannot read: {exc.strerror or exc}")
    finally:
        if _DEADLINE and unread is None:
            signal.setitimer(signal.ITIMER_REAL, 0)


# Examining workers run this much below the process that forked them. A scan's narrowest step is
# its one writer, and with as many workers as cores the three share the cores evenly: the writer
# first, the workers read in what it leaves (2,000 frames: 391 -> 382 ms, median of 25). The watcher's
# readers yield the same way to its own process and to the programs people work in.
WORKER_NICENESS = 5


def _worker_init(owner: int, deadline: float) -> None:
    """In each examining worker: end with the scan (or watcher) whose files it reads (OWNER, its
    pid); take the per-file read deadline, with SIGALRM (and SIGTERM) back at their default
    actions; run below the process that forked it (WORKER_NICENESS); load what reading any file
    needs (extract.prepare) before the first file. Loaded here, not before forking: the scan's
    own process, whose writer is its narrowest step, walks and writes meanwhile (2,000 frames:
    its CPU 347 -> 317 ms, the scan 422 -> 404 ms, medians of 21)."""
    import signal

    global _DEADLINE, _UNREADY
    _DEADLINE = deadline
    try:
        os.nice(WORKER_NICENESS)
    except OSError:
        pass  # not allowed here: the worker reads at the forking process's priority
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the scan, which ends its workers
    _die_with(owner)
    try:
        prepare()
    except ReelprovError as exc:  # not a crash: the files are fine, the installation is not
        _UNREADY = exc


def _die_with(owner: int) -> None:
    """In each examining worker: end when OWNER ends, even by kill -9 and even while stuck in a
    reader's native code. Otherwise an orphaned worker waits on its task pipe for ever. The kernel
    ends it when the process that started it ends (PR_SET_PDEATHSIG): OWNER, which forked it (a
    scan), or the server that started it (a watcher's workers; _context), which ends with OWNER
    once this worker lets go of the pipe the server watches for that (_let_server_end)."""
    import signal

    parent = os.getppid()
    if parent != owner:
        _let_server_end()
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass  # not Linux: the pool's shutdown still ends the workers of a reader that exits
    if os.getppid() != parent:  # it ended before the line above took effect
        os._exit(1)


def _let_server_end() -> None:
    """In a worker the forkserver started: close this process's copy of the pipe by which the server
    knows the processes that may still ask it for workers. The server ends when no process holds it
    any more, and every process it started held a copy: a watcher killed with kill -9 left its
    server and workers running for good. Now the server ends with the watcher, and its workers with
    it (the copy is multiprocessing's own, in a private attribute: tested, test_daemon.py)."""
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    fd = getattr(server, "_forkserver_alive_fd", None)
    if fd is not None:
        os.close(fd)
        server._forkserver_alive_fd = None


def _ready(_: int) -> int:
    return os.getpid()


def _examine_chunk(chunk: list[Task]) -> list[Outcome]:
    return [_examine_one(a) for a in chunk]


def _chunks(todo: Iterator[Candidate], trust: str | None, most: int) -> Iterator[list[Task]]:
    """TODO's files in walk order, in chunks of MOST files and CHUNK_BYTES at most."""
    chunk: list[Task] = []
    size = 0
    for c in todo:
        if chunk and (len(chunk) >= most or size + c.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(_task(c, trust))
        size += c.size
    if chunk:
        yield chunk


def _context(clean: bool) -> Any:
    """How examining processes are started. Forked from this process while it runs no other thread
    (a scan): they start at once with what it loaded. CLEAN, or while other threads run (the
    watcher's observers and readers), by a server process of their own (multiprocessing's
    forkserver): a process forked while another thread held a lock (importing a module, writing a
    log line) starts with that lock held for ever and hangs on it. A watcher's reader stuck that
    way was killed at the read deadline, and its file recorded unread as if it had stalled."""
    import multiprocessing

    if not clean and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])  # the server imports this module once for all workers
    return ctx


def _pool(workers: int, deadline: float, *, clean: bool = False) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(clean),
        initializer=_worker_init,
        initargs=(os.getpid(), deadline),
    )


def _end(pool: ProcessPoolExecutor) -> None:
    """Stop POOL at once: its workers killed (one may be stuck in a file), nothing more started."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.kill()
    pool.shutdown(wait=True, cancel_futures=True)


# Chunks handed to the pool ahead of the one awaited, per worker: enough that the workers read on
# while the scan writes a batch (at 4 they stood idle through each commit: 20,000 frames 3.95 s
# -> 3.5-3.7 s at 16), few enough that memory holds about a thousand files' tasks and results,
# however many are to come.
AHEAD_PER_WORKER = 16


def examined(
    todo: Iterable[Candidate], trust: str | None, workers: int, deadline: float
) -> Iterator[Outcome]:
    """What examining each of TODO's files found, in TODO's order. TODO may be a generator (a
    walk still under way): it is drawn from as the workers need more, never held whole."""
    it = iter(todo)
    # Enough ahead to choose: one process for a few files; and at least 4 chunks per worker, so
    # the last chunks stay short and no worker waits on another.
    ahead = list(itertools.islice(it, max(PARALLEL_THRESHOLD, workers * 4 * CHUNK_FILES)))
    workers = 1 if len(ahead) < PARALLEL_THRESHOLD else max(1, workers)
    most = max(1, min(CHUNK_FILES, len(ahead) // (workers * 4)))
    chunks = _chunks(itertools.chain(ahead, it), trust, most)
    del ahead
    window = workers * AHEAD_PER_WORKER
    sent: collections.deque[tuple[list[Task], Future[list[Outcome]]]] = collections.deque()
    pool: ProcessPoolExecutor | None = None
    try:
        while True:
            if pool is None:
                pool = _pool(workers, deadline)
                sent = collections.deque((c, pool.submit(_examine_chunk, c)) for c, _ in sent)
            while len(sent) < window and (chunk := next(chunks, None)) is not None:
                sent.append((chunk, pool.submit(_examine_chunk, chunk)))
            if not sent:
                break
            chunk, future = sent[0]
            try:
                results = future.result()
            except BrokenProcessPool:
                # A worker died reading (native code of a reader library crashed on a damaged or
                # hostile file, it ran past the read deadline, or it was killed): the chunk awaited
                # is read again a file at a time, each in a process of its own; a file that ends
                # that one too is recorded unread, saying why. The chunks sent after it go to a
                # fresh pool.
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                sent.popleft()
                yield from (_examine_alone(t, deadline) for t in chunk)
                continue
            sent.popleft()
            yield from results
    except BaseException:  # interrupted (Ctrl-C, the watcher told to stop): end the readers now
        if pool is not None:
            _end(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _read_alone(task: Task, deadline: float, owner: int, send: Any) -> None:
    """In a process of its own (_examine_alone): read TASK's file and send what was found."""
    _worker_init(owner, deadline)
    send.send(_examine_one(task))


def _examine_alone(task: Task, deadline: float, *, clean: bool = False) -> Outcome:
    """Read one file in a process of its own; one that ends that process (a crash, or past the
    deadline) is recorded unread with the reason. CLEAN: see _context."""
    import signal

    ctx = _context(clean)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_read_alone, args=(task, deadline, os.getpid(), send), daemon=True)
    proc.start()
    send.close()
    try:
        # the deadline ends the child; the margin covers its start and a slow machine
        answer = _answer(recv, proc, deadline + 30 if deadline else None)
        if answer is not None:
            return answer
        proc.join(5)
    except BaseException:
        proc.kill()
        raise
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        recv.close()
    why = (
        timed_out(deadline)
        if proc.exitcode in (-signal.SIGALRM, None) or proc.exitcode == -signal.SIGKILL
        else CRASHED
    )
    return _examine_one(task, unread=why)


def _answer(recv: Any, proc: Any, within: float | None) -> Outcome | None:
    """What the child PROC sent on RECV; None if it ended without sending (or ran past WITHIN
    seconds). Its end is seen by its exit, not by the pipe's end of file: a process forked by
    another thread meanwhile (a fresh pool's worker, another file read alone) holds a copy of the
    pipe's writing end, and a crashed child's pipe then never ends (a watcher waited 90 s on one)."""
    import time

    limit = None if within is None else time.monotonic() + within
    while True:
        ended = not proc.is_alive()
        if recv.poll(0 if ended else 0.1):
            try:
                return recv.recv()  # type: ignore[no-any-return]
            except EOFError:
                return None  # it died before sending anything
        if ended or (limit is not None and time.monotonic() > limit):
            return None


class Readers:
    """Examining processes kept by a long-running reader that reads files one at a time from its
    threads (the watcher): a crash in a reader library on a damaged or hostile file, or a file that
    takes longer than the read deadline, ends one of them, not the reader; that file is read again
    alone (_examine_alone) and the next files go to fresh processes. They are started by a server
    process of their own, never forked from the reader's threads (_context). Started on first use;
    close() ends them."""

    def __init__(self, workers: int, deadline: float = 0.0) -> None:
        self.workers = max(1, workers)
        self.deadline = deadline
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the processes now (a pool starts them on its first task)."""
        with self._lock:
            pool = self._pool = self._pool or _pool(self.workers, self.deadline, clean=True)
        list(pool.map(_ready, range(self.workers)))

    def examine(self, task: Task) -> Outcome:
        with self._lock:
            pool = self._pool = self._pool or _pool(self.workers, self.deadline, clean=True)
        try:
            return pool.submit(_examine_one, task).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return _examine_alone(task, self.deadline, clean=True)

    def close(self, *, now: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            if now:
                _end(pool)
            else:
                pool.shutdown(wait=True, cancel_futures=True)


def examine_candidate(c: Candidate, trust: str | None, readers: Readers | None = None) -> Outcome:
    """Read one file: in one of READERS' processes, else in this one."""
    return (
        readers.examine(_task(c, trust)) if readers is not None else _examine_one(_task(c, trust))
    )
