"""Private document storage under DATA_DIR/documents: random keys, written through
a temporary file then renamed, so nothing half-written is ever visible.

Uploads (`save_stream`) are a two-stage pipeline: the event loop receives the body
and enforces the size limit; a worker thread hashes and writes the previous batch
meanwhile, then fsyncs. The event loop, which also serves every open page's
websocket, never waits on the disk, and at most DEPTH + 1 batches are held."""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import hashlib
import os
import secrets
from pathlib import Path
from typing import AsyncIterable, Iterable

from espace.config import settings

CHUNK = 1024 * 1024
BATCH = 1024 * 1024  # bytes handed to the disk thread at a time
DEPTH = 3  # batches queued for the disk thread at most: memory stays under (DEPTH + 1) × BATCH
HEAD = 8192  # first bytes kept for type sniffing

# hashlib and file writes release the GIL: the disk work of uploads runs beside the loop.
_disk = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage")


class TooLarge(Exception):
    pass


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
        self.fh = None  # created by the first disk step (not on the event loop)
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

    def _file(self):
        if self.fh is None:
            self.fh = open(self.tmp, "xb")
        return self.fh

    def put(self, chunks: list[bytes]) -> None:
        """Hash and write counted chunks (in the disk thread for uploads)."""
        fh = self._file()
        for chunk in chunks:
            self.sha.update(chunk)
            fh.write(chunk)

    def write(self, chunk: bytes) -> None:
        self.count(chunk)
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


def _after(previous: concurrent.futures.Future | None, fn, *args):
    """fn(*args) once the previous disk step of the same file has succeeded; its
    error otherwise. (The previous step was queued first, so it is running or done.)"""
    if previous is not None:
        previous.result()
    return fn(*args)


def _abort_after(previous: concurrent.futures.Future | None, w: _Writer) -> None:
    if previous is not None:
        concurrent.futures.wait([previous])
    w.abort()


async def save_stream(chunks: AsyncIterable[bytes], max_bytes: int | None = None) -> tuple[str, int, str, bytes]:
    """Store an async stream; returns (key, size, sha256, first bytes for type sniffing).
    On any failure or cancellation the temporary file is removed (after the disk
    step in flight, if any) and the exception propagates."""
    w = _Writer(max_bytes)  # its file is created by the first disk step; abort removes it
    step: concurrent.futures.Future | None = None  # the last disk step queued (each waits for the one before)
    queued: collections.deque[concurrent.futures.Future] = collections.deque()
    batch: list[bytes] = []
    batched = 0
    try:
        async for chunk in chunks:
            w.count(chunk)
            batch.append(chunk)
            batched += len(chunk)
            if batched >= BATCH:
                if len(queued) >= DEPTH:
                    await asyncio.wrap_future(queued.popleft())  # surfaces a disk error; bounds memory
                step = _disk.submit(_after, step, w.put, batch)
                queued.append(step)
                batch, batched = [], 0
        step = _disk.submit(_after, step, w.put, batch)
        step = _disk.submit(_after, step, w.finish)
        key, size, sha = await asyncio.wrap_future(step)
        return key, size, sha, w.head
    except BaseException as exc:
        cleanup = _disk.submit(_abort_after, step, w)
        if not isinstance(exc, asyncio.CancelledError):  # cancelled: it runs on its own
            await asyncio.wrap_future(cleanup)
        raise


def save_bytes(data: bytes) -> tuple[str, int, str]:
    return save_chunks([data])


def delete(key: str) -> None:
    path_for(key).unlink(missing_ok=True)
