"""Private document storage under DATA_DIR/documents: random keys, written through
a temporary file then renamed, so nothing half-written is ever visible.

Uploads (`save_stream`) are a pipeline: the event loop receives the body and
enforces the size limit; worker threads hash and write the previous batches
meanwhile, then fsync. The event loop, which also serves every open page's
websocket, never waits on the disk, and at most DEPTH + 1 batches are held."""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import os
import secrets
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from espace.config import settings

# Bytes handed to the disk threads at a time: small, so that hashing and writing keep
# pace with the receive (once the last byte is in, about one batch is left to do).
BATCH = 256 * 1024
DEPTH = 8  # batches queued at most: memory stays under (DEPTH + 1) × BATCH + one chunk
HEAD = 8192  # first bytes kept for type sniffing

# hashlib and file writes release the GIL: the disk work of uploads runs beside the loop.
_disk = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage")


class TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    """A file stored by `save_stream`: its key, size, sha256 and first bytes."""
    key: str
    size: int
    sha256: str
    head: bytes


def _root() -> Path:
    root = settings.documents_dir
    root.mkdir(parents=True, exist_ok=True)
    return root


def path_for(key: str) -> Path:
    if not key or "/" in key or "\\" in key or key.startswith("."):
        raise ValueError("clé de stockage invalide")
    return _root() / key


class _Writer:
    def __init__(self, max_bytes: int | None):
        self.key = secrets.token_hex(16)
        self.tmp = _root() / f".{self.key}.part"
        self.fh: BinaryIO | None = None  # created by the first disk step (not on the event loop)
        self.sha = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self.head = b""

    def count(self, chunk: bytes) -> None:
        """Account for a received chunk: TooLarge past the limit; keeps the head."""
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge()
        if len(self.head) < HEAD:
            self.head += chunk[: HEAD - len(self.head)]

    def _file(self) -> BinaryIO:
        if self.fh is None:
            self.fh = open(self.tmp, "xb")  # noqa: SIM115 (kept open across disk steps; finish or abort closes it)
        return self.fh

    def put(self, chunks: list[bytes]) -> None:
        """Write counted chunks (in a disk thread for uploads)."""
        fh = self._file()
        for chunk in chunks:
            fh.write(chunk)

    def digest(self, chunks: list[bytes]) -> None:
        """Hash counted chunks (in a disk thread for uploads, beside the writes)."""
        for chunk in chunks:
            self.sha.update(chunk)

    def write(self, chunk: bytes) -> None:
        self.count(chunk)
        self.digest([chunk])
        self.put([chunk])

    def finish(self) -> tuple[str, int, str]:
        fh = self._file()
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(self.tmp, _root() / self.key)
        return self.key, self.size, self.sha.hexdigest()

    def abort(self) -> None:
        """Remove what was written, also a finished file that nobody will record
        (an upload cancelled while its fsync ran)."""
        if self.fh is not None:
            self.fh.close()
        self.tmp.unlink(missing_ok=True)
        (_root() / self.key).unlink(missing_ok=True)


def save_chunks(chunks: Iterable[bytes], max_bytes: int | None = None) -> tuple[str, int, str]:
    """Store a file given as chunks; returns (key, size, sha256)."""
    w = _Writer(max_bytes)
    try:
        for chunk in chunks:
            w.write(chunk)
        return w.finish()
    except BaseException:
        w.abort()
        raise


def _after(previous: tuple[concurrent.futures.Future[None] | None, ...], fn: Callable[..., None],
           *args: object) -> None:
    """fn(*args) once the previous disk steps of the same file have succeeded; the
    first error otherwise. (They were queued first, so they are running or done.)"""
    for step in previous:
        if step is not None:
            step.result()
    return fn(*args)


def _abort_after(previous: tuple[concurrent.futures.Future[None] | None, ...], w: _Writer) -> None:
    concurrent.futures.wait([step for step in previous if step is not None])
    w.abort()


R = TypeVar("R")


def _finish_then(previous: tuple[concurrent.futures.Future[None] | None, ...], w: _Writer,
                 then: Callable[[Stored], R]) -> R:
    """The last disk step, once the previous ones are over: fsync and rename (the
    file is removed if they or this fail), then `then(stored)` in the same thread,
    which owns the file from there on."""
    try:
        for step in previous:
            if step is not None:
                step.result()
        key, size, sha = w.finish()
    except BaseException:
        w.abort()
        raise
    return then(Stored(key, size, sha, w.head))


def _retrieve(future: asyncio.Future[Any]) -> None:
    """The outcome of a last step whose request went away (`then` logs its own)."""
    if not future.cancelled():
        future.exception()


async def save_stream(chunks: AsyncIterable[bytes], then: Callable[[Stored], R],
                      max_bytes: int | None = None) -> R:
    """Store an async stream, then return `then(stored)`, run in a disk thread right
    after the fsync (no hop back to the event loop in between).

    Until the body is in, any failure or cancellation removes the temporary file
    (after the disk steps in flight) and the exception propagates. From then on the
    last step runs to its end even if the request is cancelled: `then` owns the
    stored file (it records it or removes it).

    Each batch goes to two lanes that run side by side in the disk threads, each
    step waiting for the one before in its lane: the writes and the hash (either
    alone is slower than the receive). The last step waits for both."""
    w = _Writer(max_bytes)  # its file is created by the first disk step; abort removes it
    written: concurrent.futures.Future[None] | None = None  # the last write queued
    hashed: concurrent.futures.Future[None] | None = None  # the last hash step queued
    queued: collections.deque[tuple[concurrent.futures.Future[None], concurrent.futures.Future[None]]] = \
        collections.deque()
    batch: list[bytes] = []
    batched = 0
    try:
        async for chunk in chunks:
            w.count(chunk)
            batch.append(chunk)
            batched += len(chunk)
            if batched >= BATCH:
                if len(queued) >= DEPTH:  # bounds memory; surfaces a disk error
                    for step in queued.popleft():
                        await asyncio.wrap_future(step)
                written = _disk.submit(_after, (written,), w.put, batch)
                hashed = _disk.submit(_after, (hashed,), w.digest, batch)
                queued.append((written, hashed))
                batch, batched = [], 0
        written = _disk.submit(_after, (written,), w.put, batch)
        hashed = _disk.submit(_after, (hashed,), w.digest, batch)
    except BaseException as exc:
        cleanup = _disk.submit(_abort_after, (written, hashed), w)
        if not isinstance(exc, asyncio.CancelledError):  # cancelled: it runs on its own
            await asyncio.wrap_future(cleanup)
        raise
    last = asyncio.wrap_future(_disk.submit(_finish_then, (written, hashed), w, then))
    last.add_done_callback(_retrieve)
    return await asyncio.shield(last)


def save_bytes(data: bytes) -> tuple[str, int, str]:
    return save_chunks([data])


def delete(key: str) -> None:
    path_for(key).unlink(missing_ok=True)


# --- Backup/restore API (ops branch) ------------------------------------------------------------
# Thin local-file versions of the three functions `espace.services.backup` uses. The storage
# branch (S3 backend) provides the real ones with the same names and signatures: keep ITS
# versions when merging, drop these.

def iter_keys() -> Iterator[str]:
    """Every stored key (no temporary `.part` file)."""
    root = _root()
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.is_file() and not entry.name.startswith("."):
            yield entry.name


def open_chunks(key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """The stored bytes of `key`, streamed (FileNotFoundError when there is none)."""
    with open(path_for(key), "rb") as fh:
        while chunk := fh.read(chunk_size):
            yield chunk


def restore_object(key: str, chunks: Iterable[bytes]) -> None:
    """Store `chunks` under the given key (a restore): temporary file, fsync, rename."""
    path = path_for(key)
    tmp = path.with_name(f".{key}.restore.part")
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
# --- end of the backup/restore API (ops branch) -------------------------------------------------
