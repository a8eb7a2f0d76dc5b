"""`create-dossier`: a dossier of a firm, its lawyer, its clients."""
from __future__ import annotations

import argparse

from espace.cli.common import CliError, Command, normalize_email


def register(command: Command) -> None:
    p = command("create-dossier", help="crée un dossier et le rattache à ses clients")
    p.add_argument("--firm-id", type=int, required=True, help="numéro du cabinet")
    p.add_argument("--reference", required=True, help="référence du dossier, ex. 2024IIDOS/0001")
    p.add_argument("--label", required=True, help="libellé, ex. DUPONT / SUCCESSION")
    p.add_argument("--interlocutor-email", required=True, help="identifiant de l'avocat interlocuteur")
    p.add_argument("--client-email", action="append", help="identifiant d'un client (répétable)")
    p.set_defaults(func=cmd_create_dossier)


def cmd_create_dossier(args: argparse.Namespace) -> None:
    from sqlmodel import col, select

    from espace.db import session_scope
    from espace.domain.ids import saved_id
    from espace.models import Client, Dossier, DossierClient, Firm, Role, User
    from espace.services.shared import counters

    with session_scope() as s:
        if s.get(Firm, args.firm_id) is None:
            raise CliError(f"Cabinet introuvable : {args.firm_id}.")
        lawyer = s.exec(select(User).where(User.email == normalize_email(args.interlocutor_email),
                                           User.firm_id == args.firm_id, User.role != Role.client)).first()
        if lawyer is None:
            raise CliError(f"Avocat introuvable dans ce cabinet : {args.interlocutor_email}.")
        if s.exec(select(Dossier).where(Dossier.firm_id == args.firm_id, Dossier.reference == args.reference)).first():
            raise CliError(f"La référence {args.reference} existe déjà.")
        clients = []
        for address in args.client_email or []:
            client = s.exec(select(Client).join(User, col(User.id) == Client.user_id).where(
                User.email == normalize_email(address), Client.firm_id == args.firm_id)).first()
            if client is None:
                raise CliError(f"Client introuvable dans ce cabinet : {address}.")
            clients.append(client)
        dossier = Dossier(firm_id=args.firm_id, reference=args.reference.strip(), label=args.label.strip(),
                          interlocutor_id=lawyer.id)
        s.add(dossier)
        s.flush()
        for client in clients:
            s.add(DossierClient(dossier_id=saved_id(dossier.id), client_id=saved_id(client.id)))
        counters.links_changed(s, [saved_id(client.id) for client in clients])
        s.commit()
        print(f"Dossier créé : n° {dossier.id} ({dossier.reference} - {dossier.label})")
