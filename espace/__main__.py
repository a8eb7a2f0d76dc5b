"""Command line: `python -m espace migrate | demo | create-firm | create-lawyer | create-client |
create-dossier | worker | outbox-status | reset-2fa | serve | check-storage | backup | restore`.

The commands live in espace/cli/ (one module per group); this module builds the
parser from them and dispatches."""
from __future__ import annotations

import argparse
import sys

from espace.cli import accounts, backup, database, dossiers, mail, security, serve, storage
from espace.cli.common import CliError, add_help, commands
from espace.private_files import restrict_umask

# In the order `-h` lists them.
GROUPS = (database, accounts, dossiers, mail, security, serve, storage, backup)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m espace", description="Administration de l'espace client du cabinet.", add_help=False
    )
    add_help(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="commande", title="commandes")
    command = commands(sub)
    for group in GROUPS:
        group.register(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    restrict_umask()  # every file the commands and the served app write: 0600 / 0700
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
