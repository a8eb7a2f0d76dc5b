"""Making a backup: the database read in ONE transaction, then the files that
snapshot references, then the manifest (written last: without it a backup is
incomplete)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from espace import db
from espace.config import settings
from espace.private_files import DIR_MODE, create_private, private_dir
from espace.services import storage
from espace.services.backup.archive import (
    FORMAT,
    STORAGE_KEY_COLUMNS,
    VERSION,
    BackupError,
    Hashing,
    Summary,
    fsync_write,
    secret_fingerprint,
    table_rows,
    tables,
)
from espace.services.backup.schema import current_revision


def snapshot(conn: Connection) -> None:
    """Start the one transaction every read of the backup happens in."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # WAL: the snapshot is taken at the first read, kept till the end
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def backup(dest: Path) -> Summary:
    """Write a backup of the database and of its documents into the new directory `dest`."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"La destination {dest} existe déjà et n'est pas un dossier vide.")
    # 0700 and 0600 (private_files): a backup holds every table and document.
    private_dir(dest / "tables")
    private_dir(dest / "documents")
    os.chmod(dest, DIR_MODE)  # an empty directory given by the operator, too
    keys: set[str] = set()
    with db.get_engine().connect() as conn:
        snapshot(conn)
        revision = current_revision(conn)
        if revision is None:
            raise BackupError("La base n'a pas de révision Alembic : lancez d'abord « python -m espace migrate ».")
        summary = Summary(path=dest, revision=revision, dialect=conn.dialect.name)
        tables_manifest = [_write_table(conn, dest, number, table, summary, keys)
                           for number, table in enumerate(tables(), start=1)]
        conn.rollback()  # the end of the snapshot: nothing was written
    documents = _copy_documents(dest, keys, summary)
    _write_manifest(dest, summary, tables_manifest, documents)
    return summary


def _write_table(conn: Connection, dest: Path, number: int, table: sa.Table, summary: Summary,
                 keys: set[str]) -> dict[str, object]:
    """tables/NNN_<name>.jsonl; adds the storage keys its rows name to `keys`. Its manifest entry."""
    name = f"{number:03d}_{table.name}.jsonl"
    sha, count = hashlib.sha256(), 0
    key_columns = [c for t, c in STORAGE_KEY_COLUMNS if t == table.name]
    with create_private(dest / "tables" / name) as fh:
        for row in table_rows(conn, table):
            line = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            fh.write(line)
            sha.update(line)
            count += 1
            keys.update(str(row[c]) for c in key_columns if row.get(c))
        fh.flush()
        os.fsync(fh.fileno())
    summary.rows[table.name] = count
    return {"name": table.name, "file": name, "rows": count,
            "columns": [c.name for c in table.columns], "sha256": sha.hexdigest()}


def _copy_documents(dest: Path, keys: set[str], summary: Summary) -> dict[str, dict[str, object]]:
    """documents/<key> for every key; their manifest entries.

    Files are written before their row and never modified: every key the snapshot
    references has its final content now (a key deleted since then is reported, not
    invented)."""
    documents: dict[str, dict[str, object]] = {}
    for key in sorted(keys):
        try:
            hashing = Hashing(storage.open_chunks(key))  # FileNotFoundError here or at the first chunk
            with create_private(dest / "documents" / key) as fh:
                for chunk in hashing:
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
        except FileNotFoundError:
            (dest / "documents" / key).unlink(missing_ok=True)
            summary.missing_documents.append(key)
            continue
        documents[key] = {"size": hashing.size, "sha256": hashing.sha.hexdigest()}
        summary.documents += 1
        summary.document_bytes += hashing.size
    return documents


def _write_manifest(dest: Path, summary: Summary, tables_manifest: list[dict[str, object]],
                    documents: dict[str, dict[str, object]]) -> None:
    secret = settings.secret
    if not settings.secret_key:  # the secret lives in DATA_DIR: it goes with the data
        fsync_write(dest / "secret.key", secret + b"\n", 0o600)
        summary.secret_included = True
    manifest = {
        "format": FORMAT, "version": VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "alembic_revision": summary.revision, "source_dialect": summary.dialect,
        "tables": tables_manifest, "documents": documents,
        "missing_documents": summary.missing_documents,
        "secret": {"fingerprint": secret_fingerprint(secret), "included": summary.secret_included},
    }
    fsync_write(dest / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
