"""The scan cache (`file_state`): per path, the size, times, inode and hash last recorded, so an
unchanged file is not hashed again. Not ledger truth: a cache the scan and the watcher keep. Its
SQL is all here; rows are keyed by a hash of the path (`reader.path_key`: a path may be longer
than a PostgreSQL btree row)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reelprov.ledger.reader import Statements, path_key

if TYPE_CHECKING:
    from reelprov.extract import Examined

__all__ = ["path_key"]


@dataclass(frozen=True)
class Cached:
    """What the cache holds for one path."""

    size: int
    mtime_ns: int
    sha256: str
    ctime_ns: int | None = None  # None: cached before reelprov kept it (compared on size and mtime)
    inode: int | None = None

    def same(self, size: int, mtime_ns: int, ctime_ns: int | None, inode: int | None) -> bool:
        """Is a file with these size, times and inode the one cached?"""
        return same_file(
            (size, mtime_ns, ctime_ns, inode), (self.size, self.mtime_ns, self.ctime_ns, self.inode)
        )


Identity = tuple[int, int, int | None, int | None]  # size, mtime_ns, ctime_ns, inode


def same_file(now: Identity, cached: Identity) -> bool:
    """Is a file with identity NOW the one CACHED? ctime and inode catch content swapped in with the
    same size and its mtime put back (`touch -r`), or another file renamed over this one: userspace
    cannot set ctime, and a rename brings its own inode. A None (cached before reelprov kept it, or
    not known) is not compared."""
    size, mtime_ns, ctime_ns, inode = now
    c_size, c_mtime_ns, c_ctime_ns, c_inode = cached
    return (
        size == c_size
        and mtime_ns == c_mtime_ns
        and (c_ctime_ns is None or ctime_ns is None or ctime_ns == c_ctime_ns)
        and (c_inode is None or inode is None or inode == c_inode)
    )


def _cached(r: dict[str, Any]) -> Cached:
    return Cached(r["size"], r["mtime_ns"], r["sha256"], r["ctime_ns"], r["inode"])


def lookup(rd: Statements, project: str, path: str) -> Cached | None:
    r = rd.one(
        "SELECT size, mtime_ns, sha256, ctime_ns, inode FROM file_state WHERE project = :p AND path_key = :k",
        p=project,
        k=path_key(path),
    )
    return None if r is None else _cached(r)


def forget(conn: Statements, project: str, paths: Iterable[str]) -> None:
    keys = [path_key(p) for p in paths]
    for i in range(0, len(keys), 500):
        conn.execute(
            "DELETE FROM file_state WHERE (project, path_key) IN (SELECT :p, value FROM json_each(:keys))",
            p=project,
            keys=keys[i : i + 500],
        )


# One statement per batch writes the cache: a path already cached is updated where it stands (a
# DELETE of the batch's paths before inserting them probed the index twice per file).
_STORE = (
    "INSERT INTO file_state (project, path_key, path, size, mtime_ns, sha256, ctime_ns, inode)"
    " VALUES (:project, :path_key, :path, :size, :mtime_ns, :sha256, :ctime_ns, :inode)"
    " ON CONFLICT (project, path_key) DO UPDATE SET path = excluded.path, size = excluded.size,"
    " mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256, ctime_ns = excluded.ctime_ns,"
    " inode = excluded.inode"
)


def store(conn: Statements, project: str, results: list[Examined]) -> None:
    """Cache what examining RESULTS found (each: path, size, mtime_ns, sha256, ctime_ns, inode)."""
    conn.many(
        _STORE,
        [
            {
                "project": project,
                "path_key": path_key(r.path),
                "path": r.path,
                "size": r.size,
                "mtime_ns": r.mtime_ns,
                "sha256": r.sha256,
                "ctime_ns": r.ctime_ns,
                "inode": r.inode,
            }
            for r in results
        ],
    )


def move(conn: Statements, project: str, old: str, new: str) -> None:
    """A file renamed from OLD to NEW keeps its cached state (a rename changes no content)."""
    forget(conn, project, [new])
    conn.execute(
        "UPDATE file_state SET path = :new, path_key = :newk WHERE project = :p AND path_key = :k",
        new=new,
        newk=path_key(new),
        p=project,
        k=path_key(old),
    )
