"""Local files under DATA_DIR/documents (the default store).

A file is written to `.<key>.part` (held under an exclusive flock while it is
written), fsynced, renamed to `<key>` and the directory fsynced. A `.part` file
whose lock nobody holds is the leftover of a crashed process."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from espace.config import settings
from espace.private_files import create_private, private_dir
from espace.services.storage.base import PROBE, Chunks, Entry, Leftover, Missing, Sink, check_key


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalSink:
    """`.<key>.part` under an exclusive flock (so that a running upload is never taken
    for a leftover), fsynced, renamed to `<key>`, the directory fsynced."""

    def __init__(self, root: Path, key: str):
        self.root = root
        self.key = key
        self.tmp = root / f".{key}.part"
        self.fh: BinaryIO | None = None  # created by the first write (in a disk thread)
        self.committed = False

    def _file(self) -> BinaryIO:
        if self.fh is None:
            fh = create_private(self.tmp)  # 0600; kept open across the writes: commit or abort closes it
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                # A leftover sweep that locked it between our create and our lock removed it.
                if os.fstat(fh.fileno()).st_ino != os.stat(self.tmp).st_ino:
                    raise FileNotFoundError(errno.ENOENT, "fichier temporaire supprimé", str(self.tmp))
            except BaseException:
                fh.close()
                raise
            self.fh = fh
        return self.fh

    def write(self, chunk: bytes) -> None:
        self._file().write(chunk)

    def commit(self) -> None:
        fh = self._file()
        fh.flush()
        os.fsync(fh.fileno())
        os.replace(self.tmp, self.root / self.key)
        self.committed = True
        _fsync_dir(self.root)  # the rename itself survives a power cut
        fh.close()  # releases the lock
        self.fh = None

    def abort(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        self.tmp.unlink(missing_ok=True)
        if self.committed:  # an upload cancelled once renamed: nobody will record it
            (self.root / self.key).unlink(missing_ok=True)


class Local:
    name = "local"

    @property
    def root(self) -> Path:
        root = settings.documents_dir
        if not root.is_dir():
            private_dir(root)
        return root

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def sink(self, key: str) -> Sink:
        return LocalSink(self.root, key)

    def where(self) -> str:
        return str(self.root.resolve())

    def probe(self, timeout: float) -> None:
        # A dot file (never listed as a document), one per process: workers never share it.
        path = self.root / f".health-{os.getpid()}"
        with create_private(path, exclusive=False) as fh:
            fh.write(PROBE)
        try:
            if path.read_bytes() != PROBE:
                raise OSError("the health marker read back differs")
        finally:
            path.unlink(missing_ok=True)

    def free_bytes(self) -> int | None:
        """Free bytes of the documents' filesystem for this (unprivileged) process."""
        st = os.statvfs(self.root)
        return st.f_bavail * st.f_frsize

    def open_chunks(self, key: str, chunk_size: int) -> Chunks:
        fh = self.open_file(key)
        return Chunks(fh, os.fstat(fh.fileno()).st_size, chunk_size)

    def read_head(self, key: str, n: int) -> bytes:
        with self.open_file(key) as fh:
            return fh.read(n)

    def open_file(self, key: str, size: int | None = None) -> BinaryIO:
        try:
            return open(self.path(key), "rb")
        except FileNotFoundError as exc:
            raise Missing(key) from exc

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as exc:
            raise Missing(key) from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def iter_entries(self) -> Iterator[Entry]:
        with os.scandir(self.root) as it:
            for e in it:
                if e.name.startswith(".") or not e.is_file(follow_symlinks=False):
                    continue
                st = e.stat(follow_symlinks=False)
                yield Entry(e.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def leftovers(self, older_than: float = 0) -> Iterator[Leftover]:
        """`.part` files whose lock nobody holds (their writer is dead), whatever
        their age: a running writer holds the lock, so `older_than` is not needed."""
        for path in sorted(self.root.glob(".*.part")):
            with _unlocked(path) as st:
                if st is not None:
                    yield Leftover(path.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def remove_leftovers(self, older_than: float = 0) -> list[Leftover]:
        removed = []
        for path in sorted(self.root.glob(".*.part")):
            with _unlocked(path) as st:
                if st is not None:
                    path.unlink(missing_ok=True)  # under the lock: a new writer of that name checks its inode
                    removed.append(Leftover(path.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)))
        return removed


@contextlib.contextmanager
def _unlocked(path: Path) -> Iterator[os.stat_result | None]:
    """Holds the lock of a `.part` file and yields its stat if nobody else held it
    (its writer is gone); None if a writer holds it or it has just gone."""
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        yield None
        return
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield os.fstat(fh.fileno())
