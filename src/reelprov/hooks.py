"""Event hooks: executables in the project's hooks folder, fed each event as JSON on stdin."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelprov.config import ProjectConfig

log = logging.getLogger("reelprov.hooks")

# Every event reelprov emits, and what its JSON payload carries (besides "event" and "project").
EVENTS: dict[str, str] = {
    "asset-recorded": "change (seen|changed|moved|restored|reread), asset, path, from (moved only), sha256, origin, tools",
    "asset-deleted": "asset, path",
    "flag-raised": "flag {id, rule, area, severity, status, reason, sha256}, asset {id, path, origin, tools}",
    "flag-reopened": "as flag-raised; the content changed or the condition came back",
    "flag-resolved": "as flag-raised; the condition no longer holds",
    "flag-updated": "as flag-raised; an undecided flag's reason or severity changed (tags, tools, stage, cut, policy)",
    "flag-decided": "as flag-raised, plus decision {decision, by, ref, note}",
    "flag-revoked": "as flag-raised (status open again), plus revoked {by, note, ref, was {decision, by, ref, at}}",
    "cut-imported": "cut {name, source, events, unmatched}",
    "cut-removed": "cut {name, assets}",
}


_UNLISTABLE: set[str] = set()  # hooks folders already reported as unreadable


def hooks_for(hooks_dir: Path | None, event: str) -> list[Path]:
    """EVENT, EVENT.* and all.* executables; *.example files are inert until renamed."""
    if hooks_dir is None or not hooks_dir.is_dir():
        return []
    out = []
    try:
        entries = sorted(hooks_dir.iterdir())
    except OSError as exc:  # what was recorded stays recorded: the hooks are what is missed
        if str(hooks_dir) not in _UNLISTABLE:  # said once per process, not once per event
            _UNLISTABLE.add(str(hooks_dir))
            log.warning("cannot list the hooks folder %s (%s); no hooks run until its permissions are fixed",
                        hooks_dir, exc.strerror or exc)
        return []
    for f in entries:
        name = f.name
        if name.endswith(".example") or name.startswith("."):
            continue
        stem = name.split(".", 1)[0]
        if stem not in (event, "all"):
            continue
        if f.is_file() and os.access(f, os.X_OK):
            out.append(f)
    return out


class HookRunner:
    def __init__(self, hooks_dir: Path | None, *, timeout: float, project: ProjectConfig) -> None:
        self.hooks_dir = hooks_dir
        self.timeout = timeout
        self.project = project

    def run(self, event: str, payload: dict[str, Any], hooks: list[Path] | None = None) -> None:
        hooks = hooks_for(self.hooks_dir, event) if hooks is None else hooks
        if not hooks:
            return
        body = json.dumps({"event": event, "project": {"name": self.project.name, "root": str(self.project.root)}, **payload})
        env = {**os.environ, "REELPROV_EVENT": event, "REELPROV_PROJECT_ROOT": str(self.project.root)}
        for hook in hooks:
            self._run_one(hook, event, body.encode(), env)

    def _run_one(self, hook: Path, event: str, body: bytes, env: dict[str, str]) -> None:
        """Run one hook to its exit (at most the timeout). Its stdin and stderr are files, not
        pipes: a hook that leaves a child running in the background (`curl ... &`) is done when
        it exits, not when that child closes a pipe. On timeout its whole process group goes."""
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
            stdin.write(body)
            stdin.seek(0)
            try:
                # An argument list, never a shell string: file names in events cannot inject commands.
                proc = subprocess.Popen([str(hook), event], stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr,
                                        env=env, cwd=str(self.project.root), start_new_session=True)
            except OSError as exc:
                log.warning("hook %s could not start on %s: %s", hook, event, exc)
                return
            try:
                code = proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                log.warning("hook %s timed out after %ss on %s", hook, self.timeout, event)
                return
            if code != 0:
                stderr.seek(0)
                log.warning("hook %s failed on %s (exit %s): %s", hook, event, code,
                            stderr.read(4096).decode("utf-8", "replace").strip()[:300])

    def run_all(self, events: list[tuple[str, dict[str, Any]]]) -> None:
        if self.hooks_dir is None or not self.hooks_dir.is_dir():
            return
        by_event = {name: hooks_for(self.hooks_dir, name) for name in {n for n, _ in events}}
        for name, payload in events:
            if by_event[name]:
                self.run(name, payload, by_event[name])
