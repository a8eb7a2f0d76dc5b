"""`check-storage`: the stored files against the database (services/storage/check.py)."""
from __future__ import annotations

import argparse

from espace.cli.common import Command


def register(command: Command) -> None:
    p = command("check-storage", help="compare les fichiers stockés et la base : fichiers sans ligne, lignes sans "
                                      "fichier, dépôts interrompus ; signale les fichiers de DATA_DIR lisibles par "
                                      "d'autres utilisateurs (code de sortie 1 s'il y a des anomalies)")
    p.add_argument("--remove-orphans", action="store_true",
                   help="supprime les fichiers sans ligne et les dépôts interrompus plus anciens que le délai")
    p.add_argument("--grace-minutes", type=float, default=60,
                   help="délai en minutes (60 par défaut) en deçà duquel un fichier sans ligne ou un dépôt "
                        "inachevé est tenu pour un dépôt en cours et conservé")
    p.add_argument("--fix-modes", action="store_true",
                   help="retire aux autres utilisateurs les droits sur les fichiers (0600) et dossiers (0700) "
                        "de DATA_DIR")
    p.set_defaults(func=cmd_check_storage)


def cmd_check_storage(args: argparse.Namespace) -> None:
    from espace.services.storage import check as storage_check

    report = storage_check.check(remove=args.remove_orphans, grace_seconds=args.grace_minutes * 60,
                                 repair_modes=args.fix_modes)
    print(storage_check.render(report))
    if not report.clean:
        raise SystemExit(1)
