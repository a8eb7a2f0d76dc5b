"""What both stores are made of: the records and errors callers see, the rule for a
key, and the interface that a store and a file being written implement."""
from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, Protocol

HEAD = 8192  # first bytes kept for type sniffing
CHUNK = 1024 * 1024  # bytes per chunk of a streamed read


# What the health probe writes and reads back (Store.probe).
PROBE = b"espace health probe\n"


class TooLarge(Exception):
    pass


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc` (or an exception it comes from) is a full disk or quota (ENOSPC, EDQUOT)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class Missing(FileNotFoundError):
    """No stored file under this key."""


@dataclass(frozen=True)
class Stored:
    """A file stored by `save_stream`: its key, size, sha256 and first bytes."""
    key: str
    size: int
    sha256: str
    head: bytes


@dataclass(frozen=True)
class Entry:
    """A stored file as listed by `iter_entries`: key, size, last modification (UTC)."""
    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class Leftover:
    """An interrupted upload: a `.part` file or an incomplete multipart upload."""
    name: str
    size: int
    started: datetime


def check_key(key: str) -> str:
    if (not key or len(key) > 200 or "/" in key or "\\" in key or key.startswith(".")
            or not key.isprintable()):
        raise ValueError("clé de stockage invalide")
    return key


class Chunks(Iterator[bytes]):
    """A stored file being read: its `size`, then its chunks as they are consumed;
    closed at the end, by `close()` or when dropped."""

    def __init__(self, handle: Any, size: int, chunk_size: int):
        self.handle, self.size, self.chunk_size = handle, size, chunk_size

    def __next__(self) -> bytes:
        if self.handle is None:
            raise StopIteration
        chunk = self.handle.read(self.chunk_size)
        if not chunk:
            self.close()
            raise StopIteration
        return bytes(chunk)

    def close(self) -> None:
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.close()

    def __del__(self) -> None:
        self.close()



class Sink(Protocol):
    """Where one file being stored goes (a `.part` file or a multipart upload).
    `abort` removes what was written, and the stored file if `commit` got that far."""

    def write(self, chunk: bytes) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class Store(Protocol):
    """Where files are kept: local files or an object store."""

    name: str

    def sink(self, key: str) -> Sink: ...

    def where(self) -> str: ...

    def probe(self, timeout: float) -> None:
        """Write a small marker and read it back (the health probe); raises when the store
        cannot do both within about `timeout` seconds."""
        ...

    def free_bytes(self) -> int | None:
        """Bytes free where new files go (None: no limit known, the object store)."""
        ...

    def open_chunks(self, key: str, chunk_size: int) -> Chunks: ...

    def open_file(self, key: str, size: int | None = None) -> BinaryIO: ...

    def read_head(self, key: str, n: int) -> bytes: ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def iter_entries(self) -> Iterator[Entry]: ...

    def leftovers(self, older_than: float) -> Iterator[Leftover]: ...

    def remove_leftovers(self, older_than: float) -> list[Leftover]: ...
