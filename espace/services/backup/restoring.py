"""Restoring a backup: every sha256 checked before anything is touched, the
migrations run, a database that holds rows refused (unless `force`), the files
copied, then every row inserted in one transaction (PostgreSQL's sequences reset):
a failure leaves the database as it was."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from espace import db
from espace.config import settings
from espace.private_files import private_dir
from espace.services import storage
from espace.services.backup.archive import (
    BATCH,
    BackupError,
    Hashing,
    Summary,
    file_chunks,
    file_sha256,
    fsync_write,
    read_manifest,
    rows_from,
    secret_fingerprint,
    tables,
)
from espace.services.backup.schema import count_rows, current_revision, head_revision, migrate, reset_sequences


def verify(src: Path) -> dict[str, Any]:
    """The manifest of the backup in `src`, once every file matches its sha256 (BackupError otherwise)."""
    manifest = read_manifest(src)
    known = {t.name: t for t in tables()}
    names = [entry["name"] for entry in manifest["tables"]]
    if sorted(names) != sorted(known):
        raise BackupError("Les tables de la sauvegarde ne sont pas celles de cette version de l'application "
                          f"(en trop : {sorted(set(names) - set(known)) or 'aucune'}, "
                          f"manquantes : {sorted(set(known) - set(names)) or 'aucune'}).")
    for entry in manifest["tables"]:
        path = src / "tables" / entry["file"]
        if "/" in entry["file"] or not path.is_file():
            raise BackupError(f"Fichier manquant dans la sauvegarde : tables/{entry['file']}.")
        if file_sha256(path)[0] != entry["sha256"]:
            raise BackupError(f"Sauvegarde altérée : tables/{entry['file']} ne correspond pas à son empreinte "
                              "SHA-256. Rien n'a été restauré.")
        if entry["columns"] != [c.name for c in known[entry["name"]].columns]:
            raise BackupError(f"Les colonnes de la table {entry['name']} ne sont pas celles de cette version.")
    for key, info in manifest["documents"].items():
        path = src / "documents" / key
        if not key or "/" in key or key.startswith(".") or not path.is_file():
            raise BackupError(f"Document manquant dans la sauvegarde : documents/{key}.")
        if file_sha256(path) != (info["sha256"], info["size"]):
            raise BackupError(f"Sauvegarde altérée : documents/{key} ne correspond pas à son empreinte "
                              "SHA-256. Rien n'a été restauré.")
    if manifest["secret"]["included"] and not (src / "secret.key").is_file():
        raise BackupError("Fichier manquant dans la sauvegarde : secret.key.")
    return manifest


def _check_secret(src: Path, manifest: dict[str, Any], force: bool) -> bytes | None:
    """The secret to write into DATA_DIR (None: keep the target's), or a refusal."""
    wanted = manifest["secret"]["fingerprint"]
    saved = (src / "secret.key").read_bytes().strip() if manifest["secret"]["included"] else None
    if saved is not None and secret_fingerprint(saved) != wanted:
        raise BackupError("Sauvegarde altérée : secret.key ne correspond pas à son empreinte. Rien n'a été restauré.")
    if settings.secret_key:
        if secret_fingerprint(settings.secret_key.encode()) != wanted:
            raise BackupError("SECRET_KEY n'est pas la clé de l'application sauvegardée : les clés Stripe, "
                              "TOTP et codes de secours seraient illisibles. Donnez à SECRET_KEY la valeur "
                              "d'origine." + (" (Elle est dans secret.key de la sauvegarde.)" if saved else ""))
        return None
    path = settings.data_dir / "secret.key"
    current = path.read_bytes().strip() if path.exists() else None
    if saved is None:
        if current is None or secret_fingerprint(current) != wanted:
            raise BackupError("La sauvegarde a été faite avec SECRET_KEY : définissez SECRET_KEY à la même "
                              "valeur avant de restaurer.")
        return None
    if current is not None and current != saved and not force:
        raise BackupError(f"{path} contient une autre clé que celle de la sauvegarde : relancez avec --force "
                          "pour la remplacer.")
    return saved if current != saved else None

def _insert_all(conn: Connection, src: Path, manifest: dict[str, Any], force: bool) -> dict[str, int]:
    by_name = {t.name: t for t in tables()}
    if force:
        for table in reversed(tables()):
            conn.execute(table.delete())
    counts: dict[str, int] = {}
    for entry in manifest["tables"]:  # written in dependency order
        table = by_name[entry["name"]]
        batch: list[dict[str, object]] = []
        count = 0
        for row in rows_from(src / "tables" / entry["file"]):
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
    reset_sequences(conn)
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
        current = current_revision(conn)
        if current is not None and current != head:
            raise BackupError(f"La base cible est à la révision {current} : lancez d'abord « python -m espace "
                              "migrate » (ou restaurez dans une base vide).")
    migrate()
    say("Schéma de la base à jour (migrations Alembic).")
    with engine.connect() as conn:
        existing = count_rows(conn)
    if existing and not force:
        raise BackupError(f"La base cible n'est pas vide ({existing} lignes) : restaurer la remplacerait. "
                          "Relancez avec --force pour l'écraser.")
    summary = Summary(path=src, revision=head, dialect=engine.dialect.name)
    summary.missing_documents = list(manifest.get("missing_documents", []))
    written: list[str] = []
    try:
        _restore_documents(src, manifest, summary, written)
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
        private_dir(settings.data_dir)
        fsync_write(settings.data_dir / "secret.key", new_secret + b"\n", 0o600)
        settings.__dict__.pop("secret", None)
        summary.secret_included = True
    return summary


def _restore_documents(src: Path, manifest: dict[str, Any], summary: Summary, written: list[str]) -> None:
    """Put every file of the backup back under its key; `written` gets the keys that
    were not in the store before (removed if the restore fails)."""
    existing_keys = set(storage.iter_keys())
    for key, info in manifest["documents"].items():
        hashing = Hashing(file_chunks(src / "documents" / key))
        storage.restore_object(key, hashing)
        if key not in existing_keys:
            written.append(key)
        if (hashing.sha.hexdigest(), hashing.size) != (info["sha256"], info["size"]):
            raise BackupError(f"Sauvegarde altérée pendant la restauration : documents/{key}. "
                              "Rien n'a été restauré.")
        summary.documents += 1
        summary.document_bytes += hashing.size
