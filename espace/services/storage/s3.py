"""The object store: an S3-compatible bucket when S3_BUCKET is set (S3_ENDPOINT_URL,
S3_REGION, S3_PREFIX; credentials from the standard AWS environment).

A file is a multipart upload (parts of PART bytes, one sent while the next is
filled, never the whole file in memory) that becomes visible only when it is
completed, or a single PUT when it is smaller than one part; a failure aborts it."""
from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from espace.config import settings
from espace.services.storage.base import PROBE, Chunks, Entry, Leftover, Missing, Sink, check_key

PART = 8 * 1024 * 1024  # bytes per uploaded part (S3's minimum is 5 MiB)
# A multipart upload older than this is the leftover of a crashed process (no
# upload lasts that long), aborted at start and by check-storage.
STALE_UPLOAD_SECONDS = 24 * 3600

# The part being sent while the disk step fills the next one (its own pool: a disk
# step waits on it).
_net = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="stockage-s3")


def _now() -> float:
    return time.time()


_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def _client(purpose: str, attempts: int, pool: int, connect_timeout: float, read_timeout: float) -> Any:
    """One boto3 client per store address and use, shared by the threads."""
    key = (purpose, settings.s3_endpoint_url, settings.s3_region, connect_timeout, read_timeout)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region or None,
                config=Config(retries={"max_attempts": attempts, "mode": "standard"}, max_pool_connections=pool,
                              connect_timeout=connect_timeout, read_timeout=read_timeout))
            _clients[key] = client
        return client


def _s3_client() -> Any:
    return _client("documents", attempts=5, pool=32, connect_timeout=10, read_timeout=60)


def _probe_client(timeout: float) -> Any:
    """The health probe's: waits `timeout`, does not retry (the probe must answer)."""
    return _client("probe", attempts=1, pool=2, connect_timeout=timeout, read_timeout=timeout)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _not_found(exc: Exception) -> bool:
    return _code(exc) in {"404", "NoSuchKey", "NotFound"}


class S3Sink:
    """A single PUT for a file smaller than one part; otherwise a multipart upload
    that the object store shows only once completed: parts of PART bytes, filled in
    one buffer while the previous part is sent (one in flight at most: two parts
    held)."""

    def __init__(self, store: S3, key: str):
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

    def __init__(self, store: S3, key: str, size: int):
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


class S3:
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

    def sink(self, key: str) -> Sink:
        return S3Sink(self, key)

    def open_body(self, key: str, **kw: Any) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.object_key(key), **kw)
        except Exception as exc:
            if _not_found(exc):
                raise Missing(key) from exc
            raise

    def probe(self, timeout: float) -> None:
        # One marker per machine under a key check_key refuses (never listed as a document).
        client = _probe_client(timeout)
        key = f"{self.prefix}.health/{socket.gethostname()}"
        client.put_object(Bucket=self.bucket, Key=key, Body=PROBE)
        if client.get_object(Bucket=self.bucket, Key=key)["Body"].read() != PROBE:
            raise OSError("the health marker read back differs")

    def where(self) -> str:
        endpoint = f" ({settings.s3_endpoint_url})" if settings.s3_endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{endpoint}"

    def free_bytes(self) -> int | None:
        return None  # a bucket has no free space to read

    def open_chunks(self, key: str, chunk_size: int) -> Chunks:
        """One GET, streamed."""
        response = self.open_body(key)
        return Chunks(response["Body"], int(response["ContentLength"]), chunk_size)

    def read_head(self, key: str, n: int) -> bytes:
        try:
            body = self.open_body(key, Range=f"bytes=0-{max(n, 1) - 1}")["Body"]
        except Exception as exc:
            if _code(exc) == "InvalidRange":  # an empty object
                return b""
            raise
        with contextlib.closing(body):
            return bytes(body.read()[:n])

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
