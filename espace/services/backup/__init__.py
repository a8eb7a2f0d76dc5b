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

The modules: `archive` (the format), `schema` (the database around it), `create`, `restoring` (named so that `backup.restore` stays the function).
"""
from espace.services.backup.archive import BackupError, Summary
from espace.services.backup.create import backup
from espace.services.backup.restoring import restore, verify

__all__ = ["BackupError", "Summary", "backup", "restore", "verify"]
