"""The store in use and what callers do with stored files: read, list, delete, and
the leftovers of interrupted uploads (swept at every app start)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import BinaryIO

from espace.config import settings
from espace.services.storage.base import CHUNK, HEAD, Chunks, Entry, Leftover, Store
from espace.services.storage.local import Local
from espace.services.storage.s3 import S3, STALE_UPLOAD_SECONDS

log = logging.getLogger("espace.services.storage")

_LOCAL = Local()
_S3_STORE = S3()


def backend() -> Store:
    """The store in use: the object store when S3_BUCKET is set, local files otherwise."""
    return _S3_STORE if settings.s3_bucket else _LOCAL


# --------------------------------------------------------------------------- reading
def open_chunks(key: str, chunk_size: int = CHUNK) -> Chunks:
    """The stored file as chunks of at most `chunk_size` bytes, read as they are
    consumed (one GET streamed on the object store). Opens it at once: Missing (or
    ValueError for a malformed key) is raised by this call, before any chunk."""
    return backend().open_chunks(key, chunk_size)


def open_file(key: str, size: int | None = None) -> BinaryIO:
    """A read-only, seekable file of the stored file (ranged reads on the object
    store, a few blocks kept), for the type checks that need more than the head
    (ZIP directory, OLE2 streams). Close it. Missing if there is none; given its
    `size`, the object store is asked nothing until the first read."""
    return backend().open_file(key, size)


def read_head(key: str, n: int = HEAD) -> bytes:
    """The first `n` bytes of the stored file (fewer if it is shorter)."""
    return backend().read_head(key, n)


def size(key: str) -> int:
    """Size in bytes of the stored file; Missing if there is none."""
    return backend().size(key)


def exists(key: str) -> bool:
    return backend().exists(key)


def delete(key: str) -> None:
    """Remove the stored file (nothing if there is none)."""
    backend().delete(key)


def iter_keys() -> Iterator[str]:
    """Every stored key (complete files only, never an upload in progress)."""
    for entry in backend().iter_entries():
        yield entry.key


def iter_entries() -> Iterator[Entry]:
    """Every stored file with its size and last modification."""
    return backend().iter_entries()


def has_room(size: int | None) -> bool:
    """Whether a new file of `size` bytes (0 when not known) fits on the documents' disk and
    leaves STORAGE_RESERVE_MB free; always on the object store (no limit known)."""
    free = backend().free_bytes()
    return free is None or free - (size or 0) >= settings.storage_reserve_mb * 1024 * 1024


# --------------------------------------------------------------------------- leftovers
def probe(timeout: float) -> None:
    """The store in use can write and read back a small marker (the health probe)."""
    backend().probe(timeout)


def describe() -> str:
    """Where the files are: the documents folder, or s3://bucket/prefix (endpoint)."""
    return backend().where()


def leftovers(older_than: float = STALE_UPLOAD_SECONDS) -> list[Leftover]:
    """Interrupted uploads: `.part` files whose writer is gone (whatever their age: a
    running writer holds a lock); on the object store, incomplete multipart uploads
    started more than `older_than` seconds ago (another instance may be running one)."""
    return list(backend().leftovers(older_than))


def remove_leftovers(older_than: float = STALE_UPLOAD_SECONDS) -> list[Leftover]:
    """Remove what `leftovers` lists (safe while other processes upload)."""
    store = backend()
    removed = store.remove_leftovers(older_than)
    for item in removed:
        log.warning("interrupted upload removed store=%s name=%s size=%s started=%s",
                    store.name, item.name, item.size, item.started.isoformat(timespec="seconds"))
    return removed


async def _sweep() -> None:
    try:
        await asyncio.to_thread(remove_leftovers)
    except Exception:
        log.exception("interrupted uploads not swept store=%s", backend().name)


@contextlib.asynccontextmanager
async def app_sweep() -> AsyncIterator[None]:
    """Lifespan task of the app (every backend process, each start): removes the
    leftovers of uploads interrupted by a crash. Local files: before serving (a
    glob); the object store: beside serving (a store that does not answer would
    otherwise hold the start up for its retries; it is logged, the app runs).
    Several processes may sweep at once: a `.part` file being written is locked,
    and only multipart uploads older than STALE_UPLOAD_SECONDS are aborted."""
    task = asyncio.create_task(_sweep(), name="storage-sweep")
    if not isinstance(backend(), S3):
        await task
    try:
        yield
    finally:
        if not task.done():
            task.cancel()
