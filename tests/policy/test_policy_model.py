"""The policy kept up to date as things happen equals the policy evaluated from scratch: random
edits, moves, deletions, tags, stages, declarations, cut imports and removals, approvals,
rejections and waivers, each followed by a check that `reelprov policy check` finds nothing to
change, that rebuilding the tables from the ledger gives the same flags, and that it verifies."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.conftest import SAMPLES, run_cli

# AI files (a generator's PNG text, a C2PA manifest) and one without evidence, in temp/ and final/.
SOURCES = [
    SAMPLES / "generators/comfyui.png",
    SAMPLES / "generators/a1111_txt2img.png",
    SAMPLES / "c2pa/firefly_ai.png",
    SAMPLES / "plain/no_metadata.png",
]
PATHS = [f"{d}/{n}" for d in ("temp", "final") for n in ("a.png", "b.png", "c.png")]
TAGS = ["story_relevant", "talent_likeness", "personal_data"]
# a reviewer's name and reference: a change that clears an escalation needs both
SIGNED = ("--by", "Legal", "--ref", "L-2")


class PolicyModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="rp-policy-model-"))
        self.root = self.tmp / "show"
        self.root.mkdir()
        assert self.cli("init", str(self.root)).code == 0
        for i, path in enumerate(PATHS[:4]):
            self._put(path, i % len(SOURCES), i)
        assert self.cli("scan").code == 0

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cli(self, *args: str) -> Any:
        return run_cli(*args, cwd=self.root)

    def _put(self, path: str, source: int, variant: int) -> None:
        f = self.root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        data = SOURCES[source].read_bytes()
        # a trailing byte string after a PNG's end changes its hash, not what it says; a signed
        # file is left whole (its manifest would no longer validate)
        f.write_bytes(data if "c2pa" in SOURCES[source].parts else data + f"\n{variant}".encode())

    def _files(self) -> list[str]:
        return sorted(p for p in PATHS if (self.root / p).exists())

    # -- what people and files do ----------------------------------------------------------------
    @rule(data=st.data(), source=st.integers(0, len(SOURCES) - 1), variant=st.integers(0, 3))
    def write_and_scan(self, data: st.DataObject, source: int, variant: int) -> None:
        self._put(data.draw(st.sampled_from(PATHS)), source, variant)
        assert self.cli("scan").code == 0

    @rule(data=st.data())
    def move_or_delete_and_scan(self, data: st.DataObject) -> None:
        files = self._files()
        if not files:
            return
        src = data.draw(st.sampled_from(files))
        free = [p for p in PATHS if p not in files]
        if free and data.draw(st.booleans()):
            (self.root / src).rename(self.root / data.draw(st.sampled_from(free)))
        else:
            (self.root / src).unlink()
        assert self.cli("scan").code == 0

    @rule(data=st.data(), tag=st.sampled_from(TAGS), add=st.booleans())
    def tag(self, data: st.DataObject, tag: str, add: bool) -> None:
        files = self._files()
        if files:
            r = self.cli(
                "tag" if add else "untag", data.draw(st.sampled_from(files)), "--tag", tag, *SIGNED
            )
            assert r.code == 0, r.err

    @rule(data=st.data(), stage=st.sampled_from(["temp", "final", "unassigned", None]))
    def stage(self, data: st.DataObject, stage: str | None) -> None:
        files = self._files()
        if files:
            path = data.draw(st.sampled_from(files))
            args = ["--stage", stage] if stage else ["--clear-stage"]
            assert self.cli("tag", path, *args, *SIGNED).code == 0

    @rule(
        data=st.data(),
        origin=st.sampled_from(["ai_generated", "human"]),
        tool=st.sampled_from(["Midjourney", "ElevenLabs", None]),
    )
    def declare(self, data: st.DataObject, origin: str, tool: str | None) -> None:
        files = self._files()
        if files:
            args = ["--tool", tool] if tool and origin != "human" else []
            assert (
                self.cli(
                    "declare", data.draw(st.sampled_from(files)), "--origin", origin, *args, *SIGNED
                ).code
                == 0
            )

    @rule(data=st.data(), name=st.sampled_from(["Reel 1", "Reel 2"]))
    def import_cut(self, data: st.DataObject, name: str) -> None:
        clips = data.draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3, unique=True))
        events = "".join(
            f"{i + 1:03d}  AX       V     C        00:00:00:00 00:00:01:00 01:00:{i:02d}:00 01:00:{i + 1:02d}:00\n"
            f"* SOURCE FILE: {self.root / clip}\n\n"
            for i, clip in enumerate(clips)
        )
        edl = self.tmp / "cut.edl"
        edl.write_text(f"TITLE: {name}\nFCM: NON-DROP FRAME\n\n{events}")
        assert self.cli("cut", "import", str(edl), "--name", name).code == 0

    @rule(name=st.sampled_from(["Reel 1", "Reel 2"]))
    def remove_cut(self, name: str) -> None:
        assert self.cli("cut", "rm", name).code in (0, 2)  # 2: no such cut now

    @rule(data=st.data(), verb=st.sampled_from(["approve", "reject", "waive"]))
    def decide(self, data: st.DataObject, verb: str) -> None:
        flags = sorted(
            self.cli("flags", "--status", "open", "--json").json(),
            key=lambda f: (f["path"], f["rule"]),
        )
        if flags:
            f = data.draw(st.sampled_from(flags))
            r = self.cli(
                verb,
                str(f["id"]),
                "--by",
                "Legal",
                "--ref",
                "L-1",
                "--note",
                "model",
                "--sha256",
                f["sha256"][:12],
            )
            assert r.code == 0, r.err

    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        flags = sorted(
            self.cli("flags", "--status", "decided", "--json").json(),
            key=lambda f: (f["path"], f["rule"]),
        )
        if flags:
            f = data.draw(st.sampled_from(flags))
            r = self.cli("revoke", str(f["id"]), "--by", "Legal", "--note", "model")
            assert r.code == 0, r.err

    # -- after each: kept up to date == evaluated from scratch ------------------------------------
    @invariant()
    def fresh_evaluation_changes_nothing(self) -> None:
        def flags() -> list[tuple[object, ...]]:
            return sorted(
                (f["id"], f["status"], f["sha256"], f["severity"], f["reason"])
                for f in self.cli("flags", "--json").json()
            )

        before = flags()
        counts = self.cli("policy", "check", "--json").json()
        assert (counts["raised"], counts["reopened"], counts["resolved"], counts["updated"]) == (
            0,
            0,
            0,
            0,
        ), counts
        assert self.cli("db", "rebuild").code == 0
        after = flags()
        assert after == before
        assert self.cli("verify").code == 0


PolicyModel.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_flags_kept_up_to_date_equal_a_fresh_evaluation = PolicyModel.TestCase
