"""`migrate` (the schema, Alembic), `demo` (the demonstration data, once) and `recount`
(the clients' maintained counts checked against the truth, repaired with --repair).

The imports of every command are made when it runs: `python -m espace -h` stays quick."""
from __future__ import annotations

import argparse

from espace.cli.common import ROOT, Command
from espace.domain import french


def register(command: Command) -> None:
    command("migrate", help="met à jour le schéma de la base de données (Alembic)").set_defaults(func=cmd_migrate)
    command("demo", help="charge les données de démonstration si la base est vide").set_defaults(func=cmd_demo)
    recount = command("recount", help="vérifie les compteurs des clients (nouveautés, messages non lus) ; "
                                      "--repair les recalcule")
    recount.add_argument("--repair", action="store_true", help="recalcule les compteurs à partir des données")
    recount.set_defaults(func=cmd_recount)


def cmd_migrate(args: argparse.Namespace) -> None:
    from alembic import command
    from alembic.config import Config

    from espace.config import settings
    from espace.db import get_engine

    if settings.database_url.startswith("sqlite"):
        get_engine()  # DATA_DIR 0700 and the database file 0600 before Alembic opens it
    command.upgrade(Config(str(ROOT / "alembic.ini")), "head")
    print("Base de données à jour.")


def cmd_demo(args: argparse.Namespace) -> None:
    from espace import demo
    from espace.config import settings

    if not settings.demo:
        print("Mode démonstration désactivé (DEMO=0) : aucune donnée de démonstration chargée.")
        return
    if demo.load_demo():
        print("Données de démonstration chargées.")
    else:
        print("La base contient déjà des données : rien n'a été chargé.")
    print(demo.LOGIN_HINTS)
    print(f"Ouvrez http://localhost:{settings.port}/connexion dans votre navigateur.")
    from espace.services.payments import configure_demo

    # With STRIPE_API_BASE pointing at a local localstripe: online payment for the demo firm.
    if message := configure_demo():
        print(message)


def cmd_recount(args: argparse.Namespace) -> None:
    """Exit status 1 when a count differs from the truth and --repair was not given."""
    from espace.cli.common import CliError
    from espace.db import session_scope
    from espace.services.shared import counters

    with session_scope() as s:
        wrong = counters.differences(s.connection())
        for line in wrong[:20]:
            print(line)
        if not wrong:
            print("Compteurs des clients : à jour.")
            return
        if not args.repair:
            raise CliError(f"{french.count(len(wrong), 'compteur faux', 'compteurs faux')} : relancez avec --repair pour les recalculer.")
        rows = counters.recount(s.connection())
        s.commit()
        print(f"{french.count(len(wrong), 'compteur faux recalculé', 'compteurs faux recalculés')} "
              f"({french.count(rows, 'compteur écrit', 'compteurs écrits')}).")
