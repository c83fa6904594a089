"""Event hooks: executables in the project's hooks folder, fed each event as JSON on stdin."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelprov.config import ProjectConfig
    from reelprov.events import Event

log = logging.getLogger("reelprov.hooks")

# The events and their payloads: events.py (one typed class each; docs/schemas/ has their schemas).


_UNLISTABLE: set[str] = set()  # hooks folders already reported as unreadable


def hooks_for(hooks_dir: Path | None, event: str) -> list[Path]:
    """EVENT, EVENT.* and all.* executables; *.example files are inert until renamed."""
    return [
        f for stem, f in _named(hooks_dir) if stem in (event, "all") and _runs(f) and _trusted(f)
    ]


def any_hook(hooks_dir: Path | None) -> bool:
    """Is there a hook that may run, for some event? Without one, a batch builds no events."""
    return any(_runs(f) for _stem, f in _named(hooks_dir))


def _runs(f: Path) -> bool:
    return f.is_file() and os.access(f, os.X_OK)


def _named(hooks_dir: Path | None) -> list[tuple[str, Path]]:
    """The hooks folder's files that are not *.example or hidden, each with the event its name is
    for (or "all"), in name order."""
    if hooks_dir is None or not hooks_dir.is_dir():
        return []
    try:
        entries = sorted(hooks_dir.iterdir())
    except OSError as exc:  # what was recorded stays recorded: the hooks are what is missed
        if str(hooks_dir) not in _UNLISTABLE:  # said once per process, not once per event
            _UNLISTABLE.add(str(hooks_dir))
            log.warning(
                "cannot list the hooks folder %s (%s); no hooks run until its permissions are fixed",
                hooks_dir,
                exc.strerror or exc,
            )
        return []
    return [
        (f.name.split(".", 1)[0], f)
        for f in entries
        if not (f.name.endswith(".example") or f.name.startswith("."))
    ]


_UNTRUSTED: set[str] = set()  # hooks already reported as not run


def _trusted(hook: Path) -> bool:
    """Only a hook its user owns and nobody else can change runs: anyone who could write it could
    run code as whoever runs reelprov (the watcher's account). Said once per hook and process."""
    try:
        st = hook.stat()
    except OSError:
        return False
    why = (
        "it is not owned by the user running reelprov"
        if st.st_uid != os.geteuid()
        else "others can write it"
        if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        else None
    )
    if why is None:
        return True
    if str(hook) not in _UNTRUSTED:
        _UNTRUSTED.add(str(hook))
        log.warning(
            "hook %s not run: %s; make it yours and writable only by you (chown, chmod go-w)",
            hook,
            why,
        )
    return False


class HookRunner:
    """Runs hooks for committed events from a queue of its own: recording never waits on a hook.
    `drain()` waits for what is queued (a command does before it exits; the watcher when it stops)."""

    def __init__(self, hooks_dir: Path | None, *, timeout: float, project: ProjectConfig) -> None:
        self.hooks_dir = hooks_dir
        self.timeout = timeout
        self.project = project
        self._queue: queue.Queue[list[tuple[str, dict[str, Any]]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit_events(self, events: list[Event]) -> None:
        """Queue the EVENTS some hook listens to; their payloads are built only for those (a scan
        of a million files with no asset-recorded hook builds none)."""
        heard = {n for n in {e.NAME for e in events} if hooks_for(self.hooks_dir, n)}
        if heard:
            self.submit([(e.NAME, e.payload()) for e in events if e.NAME in heard])

    def submit(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        """Queue a committed batch's events for their hooks; returns at once."""
        if self.hooks_dir is None or not self.hooks_dir.is_dir():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="reelprov-hooks", daemon=True
                )
                self._thread.start()
        self._queue.put(list(events))

    def _work(self) -> None:
        while True:
            events = self._queue.get()
            try:
                if events is None:
                    return
                self.run_all(events)
            except Exception:  # noqa: BLE001 - a failing hook run must not end the queue
                log.exception("running hooks failed")
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every queued event's hooks have run (each bounded by the timeout)."""
        with self._lock:
            thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.join()

    def run(self, event: str, payload: dict[str, Any], hooks: list[Path] | None = None) -> None:
        hooks = hooks_for(self.hooks_dir, event) if hooks is None else hooks
        if not hooks:
            return
        body = json.dumps(
            {
                "event": event,
                "project": {"name": self.project.name, "root": str(self.project.root)},
                **payload,
            }
        )
        env = {
            **os.environ,
            "REELPROV_EVENT": event,
            "REELPROV_PROJECT_ROOT": str(self.project.root),
        }
        for hook in hooks:
            self._run_one(hook, event, body.encode(), env)

    def _run_one(self, hook: Path, event: str, body: bytes, env: dict[str, str]) -> None:
        """Run one hook to its exit (at most the timeout) under a shepherd process: its stdin and
        stderr are files, not pipes, so a hook that leaves a job running in the background (`curl
        ... &`) is done when it exits; the shepherd stays until the timeout and then ends whatever
        the hook left, however it detached (its own process group, `setsid`, a double fork)."""
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
            stdin.write(body)
            stdin.seek(0)
            try:
                # An argument list, never a shell string: file names in events cannot inject commands.
                outcome = _shepherd(
                    [str(hook), event],
                    stdin.fileno(),
                    stderr.fileno(),
                    env,
                    str(self.project.root),
                    self.timeout,
                )
            except OSError as exc:
                log.warning("hook %s could not start on %s: %s", hook, event, exc)
                return
            if outcome == "timeout":
                log.warning("hook %s timed out after %ss on %s", hook, self.timeout, event)
            elif outcome.startswith("exec "):
                log.warning(
                    "hook %s could not start on %s: %s",
                    hook,
                    event,
                    os.strerror(int(outcome.split()[1])),
                )
            elif outcome != "exit 0":
                stderr.seek(0)
                log.warning(
                    "hook %s failed on %s (%s): %s",
                    hook,
                    event,
                    outcome,
                    stderr.read(4096).decode("utf-8", "replace").strip()[:300],
                )

    def run_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        if self.hooks_dir is None or not self.hooks_dir.is_dir():
            return
        by_event = {name: hooks_for(self.hooks_dir, name) for name in {n for n, _ in events}}
        for name, payload in events:
            if by_event[name]:
                self.run(name, payload, by_event[name])


_PR_SET_CHILD_SUBREAPER = 36


def _shepherd(
    argv: list[str], stdin: int, stderr: int, env: dict[str, str], cwd: str, timeout: float
) -> str:
    """Fork a shepherd that runs ARGV and says how it ended: "exit N", "signal N", "timeout" or
    "exec ERRNO". The shepherd is a child subreaper: whatever the hook starts stays its descendant
    even when it detaches, and at the timeout it kills every one of them. Only plain os calls run
    between fork and exec (the caller has other threads)."""
    import ctypes
    import select

    libc = ctypes.CDLL(None, use_errno=True)
    args = [os.fsencode(a) for a in argv]
    envb = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the shepherd
        try:
            os.close(read)
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            deadline = time.monotonic() + timeout
            err_read, err_write = os.pipe2(os.O_CLOEXEC)  # the hook's exec failure, if any
            hook = os.fork()
            if hook == 0:  # the hook
                try:
                    os.setsid()
                    os.chdir(cwd)
                    os.dup2(stdin, 0)
                    null = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(null, 1)
                    os.dup2(stderr, 2)
                    os.closerange(3, err_write)
                    os.closerange(err_write + 1, 1 << 16)
                    os.execve(args[0], args, envb)
                except OSError as exc:
                    os.write(err_write, str(exc.errno or 0).encode())
                os._exit(255)
            os.close(err_write)
            said = False
            while True:
                if time.monotonic() >= deadline:
                    if not said:
                        os.write(write, b"timeout")
                        said = True
                    _kill_descendants()
                    break
                try:
                    done, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break  # the hook and all it left are gone
                if done == hook and not said:
                    failed = os.read(err_read, 16)
                    code = os.waitstatus_to_exitcode(status)
                    os.write(
                        write,
                        b"exec " + failed
                        if failed
                        else b"exit %d" % code
                        if code >= 0
                        else b"signal %d" % -code,
                    )
                    said = True
                if done == 0:
                    time.sleep(0.02)
        finally:
            os._exit(0)
    os.close(write)
    try:
        # The outcome comes in one write; not waiting for end of file, which a process forked
        # meanwhile by another thread may hold open.
        ready, _, _ = select.select([read], [], [], timeout + 10)
        outcome = os.read(read, 64).decode() if ready else "timeout"
    finally:
        os.close(read)
        _reap_later(pid)
    return outcome or "exit 0"


def _kill_descendants() -> None:
    """In the shepherd: SIGKILL every process whose parent chain leads here, until none is left."""
    me = os.getpid()
    for _ in range(50):
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        todo, found = [me], []
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        if not found:
            return
        for victim in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.01)


_SHEPHERDS: list[int] = []


def _reap_later(pid: int) -> None:
    """Shepherds outlive their hook until its timeout: reaped when done, without waiting here."""
    _SHEPHERDS.append(pid)
    for p in list(_SHEPHERDS):
        try:
            if os.waitpid(p, os.WNOHANG)[0] == p:
                _SHEPHERDS.remove(p)
        except ChildProcessError:
            _SHEPHERDS.remove(p)
