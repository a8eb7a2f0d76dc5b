"""Private document storage under DATA_DIR/documents: random keys, written through
a temporary file then renamed, so nothing half-written is ever visible."""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import AsyncIterable, Iterable

from espace.config import settings

CHUNK = 1024 * 1024


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
        self.fh = open(self.tmp, "xb")
        self.sha = hashlib.sha256()
        self.size = 0
        self.max_bytes = max_bytes
        self.head = b""

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.max_bytes is not None and self.size > self.max_bytes:
            raise TooLarge()
        if len(self.head) < 8192:
            self.head += chunk[: 8192 - len(self.head)]
        self.sha.update(chunk)
        self.fh.write(chunk)

    def finish(self) -> tuple[str, int, str]:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, _root() / self.key)
        return self.key, self.size, self.sha.hexdigest()

    def abort(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


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


async def save_stream(chunks: AsyncIterable[bytes], max_bytes: int | None = None) -> tuple[str, int, str, bytes]:
    """Store an async stream; returns (key, size, sha256, first bytes for type sniffing)."""
    w = _Writer(max_bytes)
    try:
        async for chunk in chunks:
            w.write(chunk)
        head = w.head
        return (*w.finish(), head)
    except BaseException:
        w.abort()
        raise


def save_bytes(data: bytes) -> tuple[str, int, str]:
    return save_chunks([data])


def delete(key: str) -> None:
    path_for(key).unlink(missing_ok=True)
