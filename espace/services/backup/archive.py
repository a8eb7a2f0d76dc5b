"""The backup's format: the manifest, a table as JSON lines (values tagged where JSON
has no type of their own), the files hashed as they are copied."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import espace.models  # noqa: F401  (registers every table)
from espace.private_files import FILE_MODE

FORMAT = "espace-backup"
VERSION = 1
# The columns that hold a storage key: their files are part of the backup.
STORAGE_KEY_COLUMNS = (("document", "storage_key"), ("firm", "logo_key"))
BATCH = 1000


class BackupError(Exception):
    """A refusal or a failure explained to the operator (French)."""


@dataclass
class Summary:
    path: Path
    revision: str
    dialect: str
    rows: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    document_bytes: int = 0
    missing_documents: list[str] = field(default_factory=list)
    secret_included: bool = False


def encode(value: object) -> object:
    """A JSON value for a column value (tagged where JSON has no type of its own)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.name  # SQLAlchemy's Enum stores (and accepts) the member's name
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    raise BackupError(f"Valeur impossible à sauvegarder : {type(value).__name__}.")


def decode(value: object) -> object:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$datetime":
            return dt.datetime.fromisoformat(raw)
        if tag == "$date":
            return dt.date.fromisoformat(raw)
        if tag == "$time":
            return dt.time.fromisoformat(raw)
        if tag == "$decimal":
            return decimal.Decimal(raw)
        if tag == "$bytes":
            return base64.b64decode(raw)
    return value



def tables() -> list[sa.Table]:
    """Every table, in foreign-key dependency order."""
    return list(SQLModel.metadata.sorted_tables)


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


def table_rows(conn: Connection, table: sa.Table) -> Iterator[dict[str, object]]:
    """Every row of `table` as JSON values, in primary-key order (streamed)."""
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        sa.select(table).order_by(*_order(table)))
    for row in result.mappings():
        yield {name: encode(value) for name, value in row.items()}



def rows_from(path: Path) -> Iterator[dict[str, object]]:
    """The rows of a table file, decoded (streamed)."""
    with open(path, "rb") as fh:
        for line in fh:
            yield {name: decode(value) for name, value in json.loads(line).items()}


def read_manifest(src: Path) -> dict[str, Any]:
    path = src / "manifest.json"
    if not path.is_file():
        raise BackupError(f"{src} n'est pas une sauvegarde complète (manifest.json absent).")
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError:
        raise BackupError(f"{path} est illisible (JSON invalide).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{src} n'est pas une sauvegarde de l'espace client.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"Version de sauvegarde non prise en charge : {manifest.get('version')}.")
    return manifest



def secret_fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"espace-backup", hashlib.sha256).hexdigest()[:16]


class Hashing:
    """Wraps a chunk iterator, counting and hashing what goes through."""

    def __init__(self, chunks: Iterable[bytes]):
        self.chunks = chunks
        self.sha = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.sha.update(chunk)
            self.size += len(chunk)
            yield chunk


def file_sha256(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            yield chunk


def fsync_write(path: Path, data: bytes, mode: int = FILE_MODE) -> None:
    """Write `path` (0600: a backup holds the whole database) and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)

