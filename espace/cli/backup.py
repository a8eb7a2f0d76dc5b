"""`backup` and `restore`: the database and the documents (services/backup/)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from espace.cli.common import CliError, Command


def register(command: Command) -> None:
    p = command("backup", help="sauvegarde la base de données et les documents dans un nouveau dossier")
    p.add_argument("dest", help="dossier de la sauvegarde (nouveau ou vide)")
    p.set_defaults(func=cmd_backup)

    p = command("restore", help="restaure une sauvegarde (base de données et documents)")
    p.add_argument("src", help="dossier de la sauvegarde")
    p.add_argument("--force", action="store_true", help="écrase une base qui contient déjà des données")
    p.set_defaults(func=cmd_restore)


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} Mo".replace(".", ",")


def cmd_backup(args: argparse.Namespace) -> None:
    import time

    from espace.services import backup

    started = time.monotonic()
    try:
        summary = backup.backup(Path(args.dest))
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Sauvegarde écrite dans {summary.path} ({summary.dialect}, révision {summary.revision}) : "
          f"{sum(summary.rows.values())} lignes dans {len(summary.rows)} tables, {summary.documents} documents "
          f"({_size(summary.document_bytes)}) en {time.monotonic() - started:.1f} s.")
    if summary.secret_included:
        print("Elle contient la clé de l'application (secret.key) : conservez-la en lieu sûr.")
    if summary.missing_documents:
        print(f"Attention : {len(summary.missing_documents)} documents référencés par la base sont absents du "
              "stockage : " + ", ".join(summary.missing_documents))


def cmd_restore(args: argparse.Namespace) -> None:
    import time

    from espace.services import backup

    started = time.monotonic()
    try:
        summary = backup.restore(Path(args.src), force=args.force, out=sys.stdout)
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"Restauration terminée ({summary.dialect}) : {sum(summary.rows.values())} lignes dans "
          f"{len(summary.rows)} tables, {summary.documents} documents ({_size(summary.document_bytes)}) "
          f"en {time.monotonic() - started:.1f} s.")
    if summary.secret_included:
        print("Clé de l'application (secret.key) restaurée dans DATA_DIR.")
