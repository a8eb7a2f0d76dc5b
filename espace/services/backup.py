"""Backup and restore of the whole portal: the database and the stored documents.

The format is portable (a backup of SQLite restores into PostgreSQL and back): a directory

    manifest.json           format, Alembic revision, source dialect, per table its row count and
                            the sha256 of its file, per document its size and sha256, the secret's
                            fingerprint; written last (a backup without it is incomplete)
    tables/NNN_<name>.jsonl every row of every table, one JSON object a line, tables in foreign-key
                            dependency order, rows in primary-key order
    documents/<key>         every stored file that the database references (documents, logos)
    secret.key              the app secret, when it lives in DATA_DIR (SECRET_KEY unset): the stored
                            Stripe keys, TOTP keys and recovery codes need it

Consistency: the database is read in ONE transaction (REPEATABLE READ, read only, on PostgreSQL;
a read transaction on SQLite in WAL mode: one snapshot), then the files referenced by that snapshot
are copied. A file is written before its row and never modified, so every key of the snapshot
exists and has its final content.

Restore checks every sha256 before touching anything, runs the migrations, refuses a database
that holds rows (unless `force`), copies the files, then inserts every row in one transaction
(resetting PostgreSQL's sequences): a failure leaves the database as it was.
"""
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
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import espace.models  # noqa: F401  (registers every table)
from espace import db
from espace.config import settings
from espace.services import storage

FORMAT = "espace-backup"
VERSION = 1
ROOT = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------------------------------- values

def _encode(value: object) -> object:
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


def _decode(value: object) -> object:
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


def _tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)


def _order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


def table_rows(conn: Connection, table: sa.Table) -> Iterator[dict[str, object]]:
    """Every row of `table` as JSON values, in primary-key order (streamed)."""
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        sa.select(table).order_by(*_order(table)))
    for row in result.mappings():
        yield {name: _encode(value) for name, value in row.items()}


# --------------------------------------------------------------------------------------- helpers

def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()
    if head is None:
        raise BackupError("Aucune migration Alembic trouvée.")
    return head


def _current_revision(conn: Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _migrate() -> None:
    from alembic import command
    from alembic.config import Config

    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")


def _secret_fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"espace-backup", hashlib.sha256).hexdigest()[:16]


class _Hashing:
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


def _file_sha256(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            yield chunk


def _fsync_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------- backup

def _snapshot(conn: Connection) -> None:
    """Start the one transaction every read of the backup happens in."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # WAL: the snapshot is taken at the first read, kept till the end
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def backup(dest: Path) -> Summary:
    """Write a backup of the database and of its documents into the new directory `dest`."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"La destination {dest} existe déjà et n'est pas un dossier vide.")
    (dest / "tables").mkdir(parents=True, exist_ok=True)
    (dest / "documents").mkdir(exist_ok=True)
    tables_manifest: list[dict[str, object]] = []
    keys: set[str] = set()
    engine = db.get_engine()
    with engine.connect() as conn:
        _snapshot(conn)
        revision = _current_revision(conn)
        if revision is None:
            raise BackupError("La base n'a pas de révision Alembic : lancez d'abord « python -m espace migrate ».")
        summary = Summary(path=dest, revision=revision, dialect=conn.dialect.name)
        for number, table in enumerate(_tables(), start=1):
            name = f"{number:03d}_{table.name}.jsonl"
            sha, count = hashlib.sha256(), 0
            key_columns = [c for t, c in STORAGE_KEY_COLUMNS if t == table.name]
            with open(dest / "tables" / name, "wb") as fh:
                for row in table_rows(conn, table):
                    line = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
                    fh.write(line)
                    sha.update(line)
                    count += 1
                    keys.update(str(row[c]) for c in key_columns if row.get(c))
                fh.flush()
                os.fsync(fh.fileno())
            summary.rows[table.name] = count
            tables_manifest.append({"name": table.name, "file": name, "rows": count,
                                    "columns": [c.name for c in table.columns], "sha256": sha.hexdigest()})
        conn.rollback()  # the end of the snapshot: nothing was written
    # Files are written before their row and never modified: every key the snapshot references
    # has its final content now (a key deleted since then is reported, not invented).
    documents: dict[str, dict[str, object]] = {}
    for key in sorted(keys):
        try:
            hashing = _Hashing(storage.open_chunks(key))  # FileNotFoundError here or at the first chunk
            with open(dest / "documents" / key, "xb") as fh:
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
    secret = settings.secret
    if not settings.secret_key:  # the secret lives in DATA_DIR: it goes with the data
        _fsync_write(dest / "secret.key", secret + b"\n", 0o600)
        summary.secret_included = True
    manifest = {
        "format": FORMAT, "version": VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "alembic_revision": summary.revision, "source_dialect": summary.dialect,
        "tables": tables_manifest, "documents": documents,
        "missing_documents": summary.missing_documents,
        "secret": {"fingerprint": _secret_fingerprint(secret), "included": summary.secret_included},
    }
    _fsync_write(dest / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    return summary


# --------------------------------------------------------------------------------------- restore

def _read_manifest(src: Path) -> dict[str, Any]:
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


def verify(src: Path) -> dict[str, Any]:
    """The manifest of the backup in `src`, once every file matches its sha256 (BackupError otherwise)."""
    manifest = _read_manifest(src)
    known = {t.name: t for t in _tables()}
    names = [entry["name"] for entry in manifest["tables"]]
    if sorted(names) != sorted(known):
        raise BackupError("Les tables de la sauvegarde ne sont pas celles de cette version de l'application "
                          f"(en trop : {sorted(set(names) - set(known)) or 'aucune'}, "
                          f"manquantes : {sorted(set(known) - set(names)) or 'aucune'}).")
    for entry in manifest["tables"]:
        path = src / "tables" / entry["file"]
        if "/" in entry["file"] or not path.is_file():
            raise BackupError(f"Fichier manquant dans la sauvegarde : tables/{entry['file']}.")
        if _file_sha256(path)[0] != entry["sha256"]:
            raise BackupError(f"Sauvegarde altérée : tables/{entry['file']} ne correspond pas à son empreinte "
                              "SHA-256. Rien n'a été restauré.")
        if entry["columns"] != [c.name for c in known[entry["name"]].columns]:
            raise BackupError(f"Les colonnes de la table {entry['name']} ne sont pas celles de cette version.")
    for key, info in manifest["documents"].items():
        path = src / "documents" / key
        if not key or "/" in key or key.startswith(".") or not path.is_file():
            raise BackupError(f"Document manquant dans la sauvegarde : documents/{key}.")
        if _file_sha256(path) != (info["sha256"], info["size"]):
            raise BackupError(f"Sauvegarde altérée : documents/{key} ne correspond pas à son empreinte "
                              "SHA-256. Rien n'a été restauré.")
    if manifest["secret"]["included"] and not (src / "secret.key").is_file():
        raise BackupError("Fichier manquant dans la sauvegarde : secret.key.")
    return manifest


def _check_secret(src: Path, manifest: dict[str, Any], force: bool) -> bytes | None:
    """The secret to write into DATA_DIR (None: keep the target's), or a refusal."""
    wanted = manifest["secret"]["fingerprint"]
    saved = (src / "secret.key").read_bytes().strip() if manifest["secret"]["included"] else None
    if saved is not None and _secret_fingerprint(saved) != wanted:
        raise BackupError("Sauvegarde altérée : secret.key ne correspond pas à son empreinte. Rien n'a été restauré.")
    if settings.secret_key:
        if _secret_fingerprint(settings.secret_key.encode()) != wanted:
            raise BackupError("SECRET_KEY n'est pas la clé de l'application sauvegardée : les clés Stripe, "
                              "TOTP et codes de secours seraient illisibles. Donnez à SECRET_KEY la valeur "
                              "d'origine." + (" (Elle est dans secret.key de la sauvegarde.)" if saved else ""))
        return None
    path = settings.data_dir / "secret.key"
    current = path.read_bytes().strip() if path.exists() else None
    if saved is None:
        if current is None or _secret_fingerprint(current) != wanted:
            raise BackupError("La sauvegarde a été faite avec SECRET_KEY : définissez SECRET_KEY à la même "
                              "valeur avant de restaurer.")
        return None
    if current is not None and current != saved and not force:
        raise BackupError(f"{path} contient une autre clé que celle de la sauvegarde : relancez avec --force "
                          "pour la remplacer.")
    return saved if current != saved else None


def _count_rows(conn: Connection) -> int:
    return sum(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in _tables())


def _rows_from(path: Path) -> Iterator[dict[str, object]]:
    with open(path, "rb") as fh:
        for line in fh:
            yield {name: _decode(value) for name, value in json.loads(line).items()}


def _reset_sequences(conn: Connection) -> None:
    """After explicit ids, PostgreSQL's sequences start past the largest id of each table."""
    if conn.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                                and len(table.primary_key.columns) == 1):
                seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": f'"{table.name}"', "c": column.name}).scalar()
                if seq:
                    conn.execute(sa.text(
                        f'SELECT setval(:seq, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                        f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'), {"seq": seq})


def _insert_all(conn: Connection, src: Path, manifest: dict[str, Any], force: bool) -> dict[str, int]:
    tables = {t.name: t for t in _tables()}
    if force:
        for table in reversed(_tables()):
            conn.execute(table.delete())
    counts: dict[str, int] = {}
    for entry in manifest["tables"]:  # written in dependency order
        table = tables[entry["name"]]
        batch: list[dict[str, object]] = []
        count = 0
        for row in _rows_from(src / "tables" / entry["file"]):
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
            count += len(batch)
        if count != entry["rows"]:
            raise BackupError(f"Table {entry['name']} : {count} lignes lues, {entry['rows']} attendues.")
        counts[entry["name"]] = count
    _reset_sequences(conn)
    return counts


def restore(src: Path, force: bool = False, out: IO[str] | None = None) -> Summary:
    """Restore the backup in `src` into the configured database and storage (see the module doc)."""
    def say(text: str) -> None:
        if out is not None:
            print(text, file=out, flush=True)

    manifest = verify(src)
    say(f"Sauvegarde vérifiée : {len(manifest['tables'])} tables, {len(manifest['documents'])} documents "
        "(empreintes SHA-256 conformes).")
    head = head_revision()
    if manifest["alembic_revision"] != head:
        raise BackupError(f"La sauvegarde est à la révision {manifest['alembic_revision']} du schéma, cette version "
                          f"de l'application à la révision {head} : restaurez-la avec la version qui l'a faite, "
                          "puis mettez l'application à jour.")
    new_secret = _check_secret(src, manifest, force)
    engine = db.get_engine()
    with engine.connect() as conn:
        current = _current_revision(conn)
        if current is not None and current != head:
            raise BackupError(f"La base cible est à la révision {current} : lancez d'abord « python -m espace "
                              "migrate » (ou restaurez dans une base vide).")
    _migrate()
    say("Schéma de la base à jour (migrations Alembic).")
    with engine.connect() as conn:
        existing = _count_rows(conn)
    if existing and not force:
        raise BackupError(f"La base cible n'est pas vide ({existing} lignes) : restaurer la remplacerait. "
                          "Relancez avec --force pour l'écraser.")
    summary = Summary(path=src, revision=head, dialect=engine.dialect.name)
    summary.missing_documents = list(manifest.get("missing_documents", []))
    existing_keys = set(storage.iter_keys())
    written: list[str] = []
    try:
        for key, info in manifest["documents"].items():
            hashing = _Hashing(_file_chunks(src / "documents" / key))
            storage.restore_object(key, hashing)
            if key not in existing_keys:
                written.append(key)
            if (hashing.sha.hexdigest(), hashing.size) != (info["sha256"], info["size"]):
                raise BackupError(f"Sauvegarde altérée pendant la restauration : documents/{key}. "
                                  "Rien n'a été restauré.")
            summary.documents += 1
            summary.document_bytes += hashing.size
        try:
            with engine.begin() as conn:  # one transaction: every row or none
                summary.rows = _insert_all(conn, src, manifest, force)
        except sa.exc.SQLAlchemyError as exc:
            raise BackupError("La base a refusé les données de la sauvegarde ; rien n'a été restauré "
                              f"(la base est inchangée) : {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}") from exc
    except BaseException:
        for key in written:  # files nobody references: the database was not changed
            storage.delete(key)
        raise
    if new_secret is not None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _fsync_write(settings.data_dir / "secret.key", new_secret + b"\n", 0o600)
        settings.__dict__.pop("secret", None)
        summary.secret_included = True
    return summary
