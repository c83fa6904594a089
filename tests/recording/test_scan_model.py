"""Scanning against a model: random creates, edits, moves, copies, folder renames, deletions and
restores between scans; after every scan the ledger must hold exactly the files on disk, each
with its content, keep an asset's identity across a plain move or a restore, and verify."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.conftest import SAMPLES

FOLDERS = ["a", "b", "a/c", "a.b"]  # "a.b/x" sorts before "a/x": the walk and the ledger must agree
NAMES = ["x.png", "y.png", "z.png"]
PATHS = [f"{d}/{n}" for d in FOLDERS for n in NAMES]
# Few enough files that a scan never finds "most of them" gone in numbers that hold deletions.
CONTENTS = 6
_BASE = (SAMPLES / "plain/no_metadata.png").read_bytes()


def _content(i: int) -> bytes:
    return _BASE + f"\n{i}".encode()  # a PNG with a trailing comment: one hash per content id


class ScanModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from reelprov.project import init_project

        self.tmp = Path(tempfile.mkdtemp(prefix="rp-model-"))
        self.root = self.tmp / "show"
        self.root.mkdir()
        self.project = init_project(self.root)
        self.disk: dict[str, int] = {}  # path -> content id, as the files are
        self.origin: dict[
            str, str
        ] = {}  # path -> the path it had at the last scan, along plain moves
        self.scanned: dict[
            str, tuple[str, str]
        ] = {}  # at the last scan: path -> (asset id, sha256)
        self.deleted: dict[
            str, tuple[str, str]
        ] = {}  # recorded deleted: path -> (asset id, sha256)

    def teardown(self) -> None:
        self.project.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- what happens to the files between scans ------------------------------------------------
    def _write(self, path: str, content: int) -> None:
        f = self.root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(_content(content))
        self.disk[path] = content

    def create(self, data: st.DataObject) -> None:
        free = [p for p in PATHS if p not in self.disk]
        if not free:
            return
        path = data.draw(st.sampled_from(free))
        content = data.draw(st.integers(0, CONTENTS - 1))
        self._write(path, content)
        self.origin.pop(path, None)

    def edit(self, data: st.DataObject) -> None:
        if not self.disk:
            return
        path = data.draw(st.sampled_from(sorted(self.disk)))
        content = data.draw(st.integers(0, CONTENTS - 1))
        self._write(path, content)
        self.origin.pop(path, None)

    def move_or_copy(self, data: st.DataObject) -> None:
        free = [p for p in PATHS if p not in self.disk]
        if not self.disk or not free:
            return
        copy = data.draw(st.booleans())
        src = data.draw(st.sampled_from(sorted(self.disk)))
        dst = data.draw(st.sampled_from(free))
        (self.root / dst).parent.mkdir(parents=True, exist_ok=True)
        if copy:
            shutil.copy2(self.root / src, self.root / dst)
            self.disk[dst] = self.disk[src]
            self.origin.pop(dst, None)
        else:
            (self.root / src).rename(self.root / dst)
            self.disk[dst] = self.disk.pop(src)
            moved_from = self.origin.pop(src, src if src in self.scanned else None)
            if moved_from is not None:
                self.origin[dst] = moved_from
            else:
                self.origin.pop(dst, None)

    def rename_folder(self, data: st.DataObject) -> None:
        """a/c/ becomes b/c/ in one rename, as an editor renames a bin."""
        if not any(p.startswith("a/c/") for p in self.disk) or any(
            p.startswith("b/c/") for p in self.disk
        ):
            return
        (self.root / "b").mkdir(exist_ok=True)
        shutil.rmtree(self.root / "b/c", ignore_errors=True)
        (self.root / "a/c").rename(self.root / "b/c")
        for path in [p for p in self.disk if p.startswith("a/c/")]:
            new = "b/c/" + path[len("a/c/") :]
            self.disk[new] = self.disk.pop(path)
            moved_from = self.origin.pop(path, path if path in self.scanned else None)
            if moved_from is not None:
                self.origin[new] = moved_from

    def delete(self, data: st.DataObject) -> None:
        if not self.disk:
            return
        path = data.draw(st.sampled_from(sorted(self.disk)))
        (self.root / path).unlink()
        del self.disk[path]
        self.origin.pop(path, None)

    def restore(self, data: st.DataObject) -> None:
        """A deleted file put back where it was, with its content (from a backup)."""
        if not any(p not in self.disk for p in self.deleted):
            return
        path = data.draw(st.sampled_from(sorted(p for p in self.deleted if p not in self.disk)))
        sha = self.deleted[path][1]
        content = next(i for i in range(CONTENTS) if hashlib.sha256(_content(i)).hexdigest() == sha)
        self._write(path, content)
        self.origin.pop(path, None)

    @rule(data=st.data())
    def changes(self, data: st.DataObject) -> None:
        """A few things done to the tree between two scans."""
        ops = [
            self.create,
            self.create,
            self.edit,
            self.move_or_copy,
            self.move_or_copy,
            self.rename_folder,
            self.delete,
            self.restore,
        ]
        for op in data.draw(st.lists(st.sampled_from(ops), min_size=1, max_size=8)):
            op(data)

    # -- the scan and what must hold after it ---------------------------------------------------
    @rule()
    def scan(self) -> None:
        from reelprov.ledger.verify import verify
        from reelprov.recording.scan import scan
        from reelprov.review.assets import list_assets

        rep = scan(self.project)
        assert rep.errors == [] and rep.held == []
        live = {a["path"]: a for a in list_assets(self.project)}
        shas = {p: hashlib.sha256(_content(c)).hexdigest() for p, c in self.disk.items()}
        # exactly the files on disk, each with its content
        assert set(live) == set(self.disk)
        assert {p: a["sha256"] for p, a in live.items()} == shas
        counts: dict[str, int] = {}
        for sha in shas.values():
            counts[sha] = counts.get(sha, 0) + 1
        before = [sha for _aid, sha in self.scanned.values()]
        for path, a in live.items():
            sha, unique = shas[path], counts[shas[path]] == 1 and before.count(shas[path]) <= 1
            # a plain move keeps the asset: its approvals, flags and history go with it (onto a
            # path that held another file at the last scan it is that file's change instead)
            old = self.origin.get(path)
            if (
                old is not None
                and old not in self.disk
                and path not in self.scanned
                and unique
                and self.scanned.get(old, ("", ""))[1] == sha
            ):
                assert a["id"] == self.scanned[old][0], f"{old} -> {path} became a new asset"
            # a deleted file put back at its path with its content is the same asset again
            gone = self.deleted.get(path)
            if (
                path not in self.scanned
                and gone is not None
                and gone[1] == sha
                and unique
                and sha not in before
            ):
                assert a["id"] == gone[0], f"{path} restored as a new asset"
        self._note_deletions()
        self.scanned = {p: (a["id"], a["sha256"]) for p, a in live.items()}
        self.origin = {}
        res = verify(self.project.ledger)
        assert res.ok, res.problems

    def _note_deletions(self) -> None:
        """The asset a restore brings back: the one deleted from that path last."""
        self.deleted = {}
        for r in sorted(
            self.project.reader.iter(
                "SELECT id, path, sha256, last_seq FROM asset WHERE project = :p "
                "AND deleted = :yes",
                p=self.project.cfg.project_id,
                yes=True,
            ),
            key=lambda r: r["last_seq"],
        ):
            self.deleted[r["path"]] = (r["id"], r["sha256"])

    @rule(data=st.data())
    def scan_part(self, data: st.DataObject) -> None:
        """`reelprov scan FOLDER` or `reelprov scan FILE`: right inside it, the rest as it was."""
        from reelprov.errors import ReelprovError
        from reelprov.ledger.verify import verify
        from reelprov.recording.scan import scan
        from reelprov.review.assets import list_assets

        under = data.draw(st.sampled_from(FOLDERS + ["b/c"] + PATHS))
        before = {a["path"]: a["sha256"] for a in list_assets(self.project)}

        def inside(p: str) -> bool:
            return p == under or p.startswith(under + "/")

        try:
            rep = scan(self.project, under=under)
        except ReelprovError:  # nothing there and nothing recorded there: refused, nothing written
            assert not any(inside(p) for p in self.disk) and not any(inside(p) for p in before)
            return
        assert rep.errors == [] and rep.held == []
        live = {a["path"]: a["sha256"] for a in list_assets(self.project)}
        shas = {p: hashlib.sha256(_content(c)).hexdigest() for p, c in self.disk.items()}
        assert {p: s for p, s in live.items() if inside(p)} == {
            p: s for p, s in shas.items() if inside(p)
        }
        # outside it only what moved in from there changed: such a path is gone from disk
        for p, sha in before.items():
            if not inside(p) and live.get(p) != sha:
                assert p not in live and p not in self.disk
        assert verify(self.project.ledger).ok
        self.scanned = {a["path"]: (a["id"], a["sha256"]) for a in list_assets(self.project)}
        self.origin = {}
        self._note_deletions()

    @invariant()
    def ids_are_unique(self) -> None:
        ids = [aid for aid, _sha in self.scanned.values()]
        assert len(ids) == len(set(ids))


ScanModel.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_scan_keeps_the_ledger_equal_to_the_tree = ScanModel.TestCase
