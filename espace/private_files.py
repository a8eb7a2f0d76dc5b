"""Private files: what the portal writes (the database, the documents, the outbox, the
backups, secret.key) is readable by the user that runs it only — directories 0700,
files 0600 — whatever the umask it was started with.

Two layers: the process's umask is narrowed to 0077 at start (`restrict_umask`, in
`python -m espace` and in the app's module), so that what libraries create (SQLite's
database, its -wal and -shm files) is private too; and what the portal writes itself
is created with its mode (`private_dir`, `create_private`), so that a caller that did
not narrow the umask (a test, an embedding) still gets private files. `loose_modes`
and `fix_modes` are `check-storage`'s report and its `--fix-modes` repair.

Standard library only: below config, db and the services."""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Narrow the process's umask so that group and others get nothing (a stricter
    umask is kept). Returns the umask now in force."""
    old = os.umask(UMASK)
    os.umask(old | UMASK)
    return old | UMASK


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents, each 0700 (existing directories are left
    as they are: `check-storage` reports them)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(directory, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def create_private(path: Path, *, exclusive: bool = True) -> BinaryIO:
    """A new file opened for writing, created 0600 (`exclusive`: refused if it exists;
    else truncated — a file that existed keeps its mode, then set to 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def touch_private(path: Path) -> None:
    """Create an empty 0600 file if there is none (a SQLite database before SQLite
    creates it: its -wal and -shm files take the database's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return


@dataclass(frozen=True, slots=True)
class Loose:
    """A file or directory that group or others may read, write or enter."""

    path: Path
    mode: int  # its permission bits
    is_dir: bool

    @property
    def wanted(self) -> int:
        """Its mode without group's and others' bits (0644 → 0600, 0755 → 0700)."""
        return self.mode & ~UMASK


# What the portal keeps in DATA_DIR (what else an operator puts there is theirs).
OWN_FILES = ("espace.db", "espace.db-wal", "espace.db-shm", "espace.db-journal", "secret.key")
OWN_DIRS = ("documents", "outbox")


def loose_modes(data_dir: Path) -> list[Loose]:
    """What of the portal's own files that group or others may access: DATA_DIR itself,
    its database, secret.key, and everything under documents/ and outbox/. Symbolic
    links are not followed (their own mode means nothing)."""
    if not data_dir.exists():
        return []
    found = list(_check(data_dir, True))
    for name in OWN_FILES:
        found.extend(_check(data_dir / name, False))
    for name in OWN_DIRS:
        found.extend(_tree(data_dir / name))
    return found


def _tree(root: Path) -> Iterator[Loose]:
    """`root` and everything under it."""
    yield from _check(root, True)
    for top, dirs, files in os.walk(root):
        for name in sorted(dirs):
            yield from _check(Path(top) / name, True)
        for name in sorted(files):
            yield from _check(Path(top) / name, False)


def _check(path: Path, is_dir: bool) -> Iterator[Loose]:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        return
    mode = stat.S_IMODE(st.st_mode)
    if mode & UMASK:
        yield Loose(path, mode, is_dir)


def fix_modes(items: list[Loose]) -> list[Loose]:
    """Set each one's mode to what it should be (group and others' bits removed, the
    owner's kept: an owner-only 0400 stays 0400); what was repaired."""
    fixed = []
    for item in items:
        try:
            os.chmod(item.path, item.wanted)
        except FileNotFoundError:
            continue
        fixed.append(item)
    return fixed
