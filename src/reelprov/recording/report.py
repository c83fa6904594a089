"""What one recording pass did: the counts, errors and held deletions a scan or the watcher reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reelprov.errors import DatabaseError
from reelprov.ledger import queries
from reelprov.names import counted as _count
from reelprov.names import shown
from reelprov.project import Project

if TYPE_CHECKING:
    from reelprov.cuts.follow import CutFollowed, CutNotFollowed
    from reelprov.extract.examined import FileError

# Arrived paths kept for cut matching; past this many, a pass only notes that more came, and every
# cut still missing media is matched again (as many arrivals would make it anyway): memory stays
# bounded when a million frames land at once.
ARRIVALS_KEPT = 10_000


@dataclass
class Arrivals:
    """Files recorded new, restored or moved in, which a cut may have named."""

    paths: list[str] = field(default_factory=list)
    overflow: bool = False  # more arrived than ARRIVALS_KEPT: any cut missing media may want them

    def add(self, path: str) -> None:
        if len(self.paths) < ARRIVALS_KEPT:
            self.paths.append(path)
        else:
            self.overflow = True

    def extend(self, other: Arrivals) -> None:
        for p in other.paths:
            self.add(p)
        self.overflow = self.overflow or other.overflow

    def __bool__(self) -> bool:
        return bool(self.paths) or self.overflow


@dataclass
class ScanReport:
    files: int = 0
    unchanged: int = 0
    seen: int = 0
    changed: int = 0
    moved: int = 0
    deleted: int = 0
    restored: int = 0  # a deleted file back at its path with its content: the same asset again
    reread: int = 0  # same content, other evidence (a sidecar added, edited or removed)
    evidence: int = 0
    flags_raised: int = 0
    flags_reopened: int = (
        0  # an approval or waiver no longer covers the content, or the condition is back
    )
    flags_updated: int = (
        0  # an undecided flag's reason or severity brought up to date (e.g. a sidecar names a tool)
    )
    errors: list[FileError] = field(default_factory=list)
    symlinks: int = 0  # symbolic links passed by ([scan] follow_symlinks is off)
    held: list[str] = field(
        default_factory=list
    )  # missing files not recorded as deleted (see MASS_DELETE_MIN)
    timelines: list[str] = field(
        default_factory=list
    )  # timeline files recorded new or changed: cuts may follow them
    arrived: Arrivals = field(default_factory=Arrivals)  # a cut may have named them
    cuts_followed: list[CutFollowed] = field(
        default_factory=list
    )  # imported again from such a file
    cut_errors: list[CutNotFollowed] = field(default_factory=list)  # ... or not

    def held_folders(self, limit: int = 5) -> str:
        """Where the held files were: "media/reel01 (1200), media/reel02 (800)" (the largest first)."""
        counts: dict[str, int] = {}
        for path in self.held:
            folder = path.rpartition("/")[0] or "."
            counts[folder] = counts.get(folder, 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{shown(f)} ({n})" for f, n in top[:limit]) + (
            f" and {len(top) - limit} more folders" if len(top) > limit else ""
        )

    def extras(self) -> str:
        """The counts a summary line mentions only when there are any: ", 2 restored, 1 with new evidence"."""
        return (
            (f", {self.restored} restored" if self.restored else "")
            + (f", {self.reread} with new evidence" if self.reread else "")
            + (f", {len(self.held)} missing but not recorded as deleted" if self.held else "")
        )

    def to_json(self) -> dict[str, Any]:
        # Error paths are kept as the file system gave them (a name that is not UTF-8 holds
        # surrogates); JSON gets them printable.
        return {
            k: getattr(self, k)
            for k in (
                "files",
                "unchanged",
                "seen",
                "changed",
                "moved",
                "deleted",
                "restored",
                "reread",
                "evidence",
                "flags_raised",
                "flags_reopened",
                "flags_updated",
                "symlinks",
            )
        } | {
            "errors": [e | {"path": shown(e["path"])} for e in self.errors],
            "deletions_held": [shown(p) for p in self.held],
            "cuts_imported": [
                {
                    "name": c["name"],
                    "path": c["path"],
                    "why": c["why"],
                    "events": len(c["events"]),
                    "unmatched": len(c["unmatched"]),
                    "left": len(c["left"]),
                }
                for c in self.cuts_followed
            ],
            "cut_errors": self.cut_errors,
        }

    def follow_cuts(self, project: Project, *, arrivals: bool = True) -> None:
        """Cuts whose timeline file this recorded new or changed, or (ARRIVALS) whose missing media
        it recorded, are imported again (cut.follow_cuts). Without ARRIVALS `arrived` is left for
        the caller (the watcher matches them once a delivery has landed)."""
        files, self.timelines = self.timelines, []
        arrived = Arrivals()
        if arrivals:
            arrived, self.arrived = self.arrived, Arrivals()
        if not (files or arrived) or not queries.any_cut(project.reader, project.cfg.project_id):
            return  # nothing to follow (and the cuts' modules not loaded: most scans have no cut)
        from reelprov.cuts.follow import follow_cuts

        try:
            done, failed = follow_cuts(project, files, arrived)
        except DatabaseError:
            raise  # the ledger, not the timeline: the caller waits for it and tries the files again
        except Exception as exc:  # noqa: BLE001 - the files are recorded; a cut left as it was is said, not fatal
            done, failed = (
                [],
                [
                    {
                        "cut": "?",
                        "path": ", ".join(files),
                        "why": "the files just recorded",
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                ],
            )
        self.cuts_followed += done
        self.cut_errors += failed


def held_deletions(rep: ScanReport, command: str) -> str:
    """The warning for missing files a scan did not record as deleted, with the command that would."""
    return (
        f"reelprov: warning: {_count(len(rep.held), 'recorded file')} missing, in {rep.held_folders()}: more than "
        f"half of those recorded, so not recorded as deleted (their flags stay as they are). Is a share mounted in "
        f"the project down? If they were removed on purpose: {command}"
    )
