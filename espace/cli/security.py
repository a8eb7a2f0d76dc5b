"""`reset-2fa`: an account's second factors removed (phone and codes lost)."""
from __future__ import annotations

import argparse

from espace.cli.common import CliError, Command


def register(command: Command) -> None:
    p = command("reset-2fa", help="retire la double authentification d'un compte (téléphone et codes perdus)")
    p.add_argument("--email", required=True, help="identifiant du compte")
    p.set_defaults(func=cmd_reset_2fa)


def cmd_reset_2fa(args: argparse.Namespace) -> None:
    from espace.services.accounts import two_factor

    if not two_factor.reset_for_identifier(args.email):
        raise CliError(f"Aucun compte avec l'identifiant {args.email!r}.")
    print("Double authentification retirée : le mot de passe seul ouvre de nouveau le compte "
          "(ses sessions ouvertes sont fermées).")
