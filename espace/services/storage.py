"""Private document storage: random keys, nothing half-written ever visible.

Two backends, chosen by the settings: local files under DATA_DIR/documents (the
default), or an S3-compatible object store when S3_BUCKET is set (S3_ENDPOINT_URL,
S3_REGION, S3_PREFIX; credentials from the standard AWS environment). Everything
else goes through the functions of this module, never through a path:
`save_stream`, `save_chunks`, `save_bytes`, `restore_object`, `open_chunks`,
`open_file`, `read_head`, `size`, `exists`, `delete`, `iter_keys`.

Local files are written to `.<key>.part` (held under an exclusive flock while it is
written), fsynced, renamed to `<key>` and the directory fsynced. A `.part` file
whose lock nobody holds is the leftover of a crashed process (`remove_leftovers`,
run at every app start). On the object store a file is a multipart upload (parts
of PART bytes, one sent while the next is filled, never the whole file in memory)
that becomes visible only when it is completed, or a single PUT when it is smaller
than one part; a failure aborts it.

Uploads (`save_stream`) are a pipeline: the event loop receives the body and
enforces the size limit; worker threads hash and write the previous batches
meanwhile, then fsync (or complete the upload). The event loop, which also serves
every open page's websocket, never waits on the disk or the network, and at most
DEPTH + 1 batches (+ two parts on the object store) are held."""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import errno
import fcntl
import hashlib
import io
import logging
import os
import secrets
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from espace.config import settings

log = logging.getLogger(__name__)

# Bytes handed to the disk threads at a time: small, so that hashing and writing keep
# pace with the receive (once the last byte is in, about one batch is left to do).
BATCH = 256 * 1024
DEPTH = 8  # batches queued at most: memory stays under (DEPTH + 1) × BATCH + one chunk
HEAD = 8192  # first bytes kept for type sniffing
PART = 8 * 1024 * 1024  # object store: bytes per uploaded part (S3's minimum is 5 MiB)
CHUNK = 1024 * 1024  # bytes per chunk of a streamed read
# Object store: a multipart upload older than this is the leftover of a crashed
# process (no upload lasts that long), aborted at start and by check-storage.
STALE_UPLOAD_SECONDS = 24 * 3600

# hashlib, file writes and the network release the GIL: the work of uploads runs beside the loop.
_disk = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage")
# Object store: the part being sent while the disk step fills the next one (its own
# pool: a disk step waits on it).
_net = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage-s3")


def _now() -> float:
    return time.time()


class TooLarge(Exception):
    pass


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


class _Sink(Protocol):
    """Where one file being stored goes (a `.part` file or a multipart upload).
    `abort` removes what was written, and the stored file if `commit` got that far."""

    def write(self, chunk: bytes) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


# --------------------------------------------------------------------------- local files
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LocalSink:
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
            fh = open(self.tmp, "xb")  # noqa: SIM115 (kept open across the writes; commit or abort closes it)
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


class _Local:
    name = "local"

    @property
    def root(self) -> Path:
        root = settings.documents_dir
        root.mkdir(parents=True, exist_ok=True)
        return root

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def sink(self, key: str) -> _Sink:
        return _LocalSink(self.root, key)

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

    def leftovers(self) -> Iterator[Leftover]:
        """`.part` files whose lock nobody holds (their writer is dead)."""
        for path in sorted(self.root.glob(".*.part")):
            with _unlocked(path) as st:
                if st is not None:
                    yield Leftover(path.name, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    def remove_leftovers(self) -> list[Leftover]:
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


# --------------------------------------------------------------------------- object store
_clients: dict[tuple[str | None, str | None], Any] = {}
_clients_lock = threading.Lock()


def _s3_client() -> Any:
    key = (settings.s3_endpoint_url, settings.s3_region)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region or None,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=32,
                              connect_timeout=10, read_timeout=60))
            _clients[key] = client
        return client


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _not_found(exc: Exception) -> bool:
    return _code(exc) in {"404", "NoSuchKey", "NotFound"}


class _S3Sink:
    """A single PUT for a file smaller than one part; otherwise a multipart upload
    that the object store shows only once completed: parts of PART bytes, filled in
    one buffer while the previous part is sent (one in flight at most: two parts
    held)."""

    def __init__(self, store: _S3, key: str):
        self.store = store
        self.key = key
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.sending: concurrent.futures.Future[dict[str, Any]] | None = None
        self.committed = False

    def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        if len(self.buffer) >= PART:
            self._upload_part()

    def _send(self, number: int, body: bytearray) -> dict[str, Any]:
        etag = self.store.client.upload_part(Bucket=self.store.bucket, Key=self.store.object_key(self.key),
                                             UploadId=self.upload_id, PartNumber=number, Body=body)["ETag"]
        return {"PartNumber": number, "ETag": etag}

    def _sent(self) -> None:
        """Wait for the part in flight (its error, if any, is raised here)."""
        if self.sending is not None:
            sending, self.sending = self.sending, None
            self.parts.append(sending.result())

    def _upload_part(self) -> None:
        body, self.buffer = self.buffer, bytearray()
        if self.upload_id is None:
            self.upload_id = self.store.client.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.store.object_key(self.key))["UploadId"]
        self._sent()
        self.sending = _net.submit(self._send, len(self.parts) + 1, body)

    def commit(self) -> None:
        client = self.store.client
        if self.upload_id is None:
            client.put_object(Bucket=self.store.bucket, Key=self.store.object_key(self.key), Body=self.buffer)
        else:
            if self.buffer:
                self._upload_part()
            self._sent()
            client.complete_multipart_upload(Bucket=self.store.bucket, Key=self.store.object_key(self.key),
                                             UploadId=self.upload_id, MultipartUpload={"Parts": self.parts})
        self.buffer = bytearray()
        self.committed = True

    def abort(self) -> None:
        self.buffer = bytearray()
        if self.sending is not None:
            concurrent.futures.wait([self.sending])
            self.sending = None
        client = self.store.client
        if self.upload_id is not None and not self.committed:
            try:
                client.abort_multipart_upload(Bucket=self.store.bucket, Key=self.store.object_key(self.key),
                                              UploadId=self.upload_id)
            except Exception as exc:
                if _code(exc) != "NoSuchUpload":
                    raise
        if self.committed:  # an upload cancelled once completed: nobody will record it
            client.delete_object(Bucket=self.store.bucket, Key=self.store.object_key(self.key))


class _RangedFile(io.RawIOBase):
    """A read-only, seekable view of a stored object by ranged GETs of BLOCK bytes
    (at most KEEP blocks kept): what the type checks need (ZIP directory, OLE2
    sectors) without bringing the whole object in memory or on disk."""

    BLOCK = 256 * 1024
    KEEP = 8

    def __init__(self, store: _S3, key: str, size: int):
        self.store, self.key, self.length = store, key, size
        self.pos = 0
        self.blocks: collections.OrderedDict[int, bytes] = collections.OrderedDict()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.length}[whence]
        if base + offset < 0:
            raise ValueError("position négative")
        self.pos = base + offset
        return self.pos

    def _block(self, index: int) -> bytes:
        block = self.blocks.get(index)
        if block is None:
            start = index * self.BLOCK
            end = min(start + self.BLOCK, self.length) - 1
            block = self.store.client.get_object(Bucket=self.store.bucket, Key=self.store.object_key(self.key),
                                                 Range=f"bytes={start}-{end}")["Body"].read()
            self.blocks[index] = block
            while len(self.blocks) > self.KEEP:
                self.blocks.popitem(last=False)
        else:
            self.blocks.move_to_end(index)
        return block

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), max(0, self.length - self.pos))
        done = 0
        while done < n:
            index, offset = divmod(self.pos, self.BLOCK)
            block = self._block(index)
            take = min(n - done, len(block) - offset)
            if take <= 0:
                break
            view[done:done + take] = block[offset:offset + take]
            done += take
            self.pos += take
        return done


class _S3:
    name = "s3"

    @property
    def client(self) -> Any:
        return _s3_client()

    @property
    def bucket(self) -> str:
        assert settings.s3_bucket
        return settings.s3_bucket

    @property
    def prefix(self) -> str:
        prefix = (settings.s3_prefix or "").strip("/")
        return prefix + "/" if prefix else ""

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def sink(self, key: str) -> _Sink:
        return _S3Sink(self, key)

    def open_body(self, key: str, **kw: Any) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), **kw)
        except Exception as exc:
            if _not_found(exc):
                raise Missing(key) from exc
            raise

    def open_file(self, key: str, size: int | None = None) -> BinaryIO:
        """No request until the first read when the size is given."""
        length = self.size(key) if size is None else size
        return io.BufferedReader(_RangedFile(self, key, length), buffer_size=64 * 1024)

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))["ContentLength"])
        except Exception as exc:
            if _not_found(exc):
                raise Missing(key) from exc
            raise

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except Missing:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def iter_entries(self) -> Iterator[Entry]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"][len(self.prefix):]
                try:
                    check_key(key)
                except ValueError:
                    continue  # not one of ours (a "folder" under the prefix)
                yield Entry(key, int(obj["Size"]), obj["LastModified"])

    def _uploads(self) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            yield from page.get("Uploads", [])

    def leftovers(self, older_than: float = STALE_UPLOAD_SECONDS) -> Iterator[Leftover]:
        """Incomplete multipart uploads started more than `older_than` seconds ago."""
        now = _now()
        for up in self._uploads():
            started = up["Initiated"]
            if now - started.timestamp() >= older_than:
                yield Leftover(f"{up['Key']} (upload {up['UploadId']})", 0, started)

    def remove_leftovers(self, older_than: float = STALE_UPLOAD_SECONDS) -> list[Leftover]:
        removed = []
        now = _now()
        for up in list(self._uploads()):
            started = up["Initiated"]
            if now - started.timestamp() < older_than:
                continue
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"])
            except Exception as exc:
                if _code(exc) != "NoSuchUpload":  # another instance aborted it meanwhile
                    raise
            removed.append(Leftover(f"{up['Key']} (upload {up['UploadId']})", 0, started))
        return removed


_LOCAL = _Local()
_S3_STORE = _S3()


def backend() -> _Local | _S3:
    """The store in use: the object store when S3_BUCKET is set, local files otherwise."""
    return _S3_STORE if settings.s3_bucket else _LOCAL


# --------------------------------------------------------------------------- writing
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


# --------------------------------------------------------------------------- reading
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


def open_chunks(key: str, chunk_size: int = CHUNK) -> Chunks:
    """The stored file as chunks of at most `chunk_size` bytes, read as they are
    consumed (one GET streamed on the object store). Opens it at once: Missing (or
    ValueError for a malformed key) is raised by this call, before any chunk."""
    store = backend()
    if isinstance(store, _S3):
        response = store.open_body(key)
        return Chunks(response["Body"], int(response["ContentLength"]), chunk_size)
    fh = store.open_file(key)
    return Chunks(fh, os.fstat(fh.fileno()).st_size, chunk_size)


def open_file(key: str, size: int | None = None) -> BinaryIO:
    """A read-only, seekable file of the stored file (ranged reads on the object
    store, a few blocks kept), for the type checks that need more than the head
    (ZIP directory, OLE2 streams). Close it. Missing if there is none; given its
    `size`, the object store is asked nothing until the first read."""
    return backend().open_file(key, size)


def read_head(key: str, n: int = HEAD) -> bytes:
    """The first `n` bytes of the stored file (fewer if it is shorter)."""
    store = backend()
    if isinstance(store, _S3):
        try:
            body = store.open_body(key, Range=f"bytes=0-{max(n, 1) - 1}")["Body"]
        except Exception as exc:
            if _code(exc) == "InvalidRange":  # an empty object
                return b""
            raise
        with contextlib.closing(body):
            return bytes(body.read()[:n])
    with store.open_file(key) as fh:
        return fh.read(n)


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


# --------------------------------------------------------------------------- leftovers
def describe() -> str:
    """Where the files are: the documents folder, or s3://bucket/prefix (endpoint)."""
    store = backend()
    if isinstance(store, _S3):
        where = f" ({settings.s3_endpoint_url})" if settings.s3_endpoint_url else ""
        return f"s3://{store.bucket}/{store.prefix}{where}"
    return str(store.root.resolve())


def leftovers(older_than: float = STALE_UPLOAD_SECONDS) -> list[Leftover]:
    """Interrupted uploads: `.part` files whose writer is gone (whatever their age: a
    running writer holds a lock); on the object store, incomplete multipart uploads
    started more than `older_than` seconds ago (another instance may be running one)."""
    store = backend()
    return list(store.leftovers(older_than) if isinstance(store, _S3) else store.leftovers())


def remove_leftovers(older_than: float = STALE_UPLOAD_SECONDS) -> list[Leftover]:
    """Remove what `leftovers` lists (safe while other processes upload)."""
    store = backend()
    removed = store.remove_leftovers(older_than) if isinstance(store, _S3) else store.remove_leftovers()
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
    if not isinstance(backend(), _S3):
        await task
    try:
        yield
    finally:
        if not task.done():
            task.cancel()
