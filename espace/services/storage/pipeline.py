"""Writing a file: nothing half-written is ever visible, and an upload never holds
the event loop.

Uploads (`save_stream`) are a pipeline: the event loop receives the body and
enforces the size limit; worker threads hash and write the previous batches
meanwhile, then fsync (or complete the upload). The event loop, which also serves
every open page's websocket, never waits on the disk or the network, and at most
DEPTH + 1 batches (+ two parts on the object store) are held. What the file is
(its type) is checked by the caller's `then`, from the head kept here and the
stored file."""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import secrets
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any, TypeVar

from espace.services.storage.api import backend
from espace.services.storage.base import HEAD, Stored, TooLarge, check_key

# Bytes handed to the disk threads at a time: small, so that hashing and writing keep
# pace with the receive (once the last byte is in, about one batch is left to do).
BATCH = 256 * 1024
DEPTH = 8  # batches queued at most: memory stays under (DEPTH + 1) × BATCH + one chunk

# hashlib, file writes and the network release the GIL: the work of uploads runs beside the loop.
_disk = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage")


class _Writer:
    def __init__(self, max_bytes: int | None, key: str | None = None):
        self.key = key if key is not None else secrets.token_hex(16)
        self.sink = backend().sink(check_key(self.key))  # its file or upload is created by the first write
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

    def put(self, chunks: list[bytes]) -> None:
        """Write counted chunks (in a disk thread for uploads)."""
        for chunk in chunks:
            self.sink.write(chunk)

    def digest(self, chunks: list[bytes]) -> None:
        """Hash counted chunks (in a disk thread for uploads, beside the writes)."""
        for chunk in chunks:
            self.sha.update(chunk)

    def write(self, chunk: bytes) -> None:
        self.count(chunk)
        self.digest([chunk])
        self.put([chunk])

    def finish(self) -> tuple[str, int, str]:
        self.sink.commit()
        return self.key, self.size, self.sha.hexdigest()

    def abort(self) -> None:
        """Remove what was written, also a finished file that nobody will record
        (an upload cancelled while its fsync ran)."""
        self.sink.abort()


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


def restore_object(key: str, chunks: Iterable[bytes]) -> tuple[int, str]:
    """Write a file under a GIVEN key (a restore puts each key back as it was),
    atomically: a reader sees the previous file or the whole new one, never a part.
    Replaces a file of that key. Returns (size, sha256)."""
    w = _Writer(None, key=check_key(key))
    try:
        for chunk in chunks:
            w.write(chunk)
        _, size, sha = w.finish()
    except BaseException:
        w.abort()  # removes the part written (a file already under the key stays, unless replaced)
        raise
    return size, sha


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
