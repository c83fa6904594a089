"""Which file system a path is on, and what that means for watching it and for a SQLite ledger."""

from __future__ import annotations

from pathlib import Path

# Network and cluster file systems: no change events for other hosts' writes, and no SQLite WAL
# shared between hosts.
NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "fuse.sshfs",
    "sshfs",
    "9p",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
    "lustre",
    "davfs",
    "fuse.rclone",
    "fuse.s3fs",
    "fuse.mergerfs",
}


def mount_fstype(path: Path, mounts: str = "/proc/mounts") -> str | None:
    """Filesystem type of the mount holding PATH (longest mount point that prefixes it)."""
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None
    best, fstype = "", None
    p = str(path.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt = parts[1].replace("\\040", " ")
        if (p == mnt or p.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
            best, fstype = mnt, parts[2]
    return fstype


def network_ledger_warning(sqlite_file: Path) -> str | None:
    """What to tell the user when a SQLite ledger lies on a network share; None on a local disk.

    SQLite's WAL keeps its index in shared memory: every process using the file must be on one
    machine. reelprov on a second workstation writing the same ledger over the share can corrupt it."""
    fstype = mount_fstype(sqlite_file.parent)
    if fstype not in NETWORK_FS:
        return None
    return (
        f"the ledger {sqlite_file} is on a network file system ({fstype}): a SQLite ledger is safe only while "
        f"every reelprov using it runs on this one machine. To share it between machines use PostgreSQL "
        f'([ledger] database_url = "postgresql+psycopg://..." in reelprov.toml); or keep the SQLite file on '
        f'this machine\'s own disk ([ledger] database_url = "sqlite:////var/lib/reelprov/SHOW.db")'
    )
