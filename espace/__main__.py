"""Command line: `python -m espace migrate | demo | create-firm | create-lawyer | create-client |
create-dossier | worker | outbox-status | reset-2fa | serve | check-storage | backup | restore`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class CliError(Exception):
    """A refusal explained to the user (exit code 2)."""


def _normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def cmd_migrate(args: argparse.Namespace) -> None:
    from alembic import command
    from alembic.config import Config

    from espace.config import settings

    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
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
    from espace.services.payments import configure_demo

    # With STRIPE_API_BASE pointing at a local localstripe: online payment for the demo firm.
    if message := configure_demo():
        print(message)


def cmd_create_firm(args: argparse.Namespace) -> None:
    from espace.db import session_scope
    from espace.demo import now
    from espace.models import Firm

    name = args.name.strip()
    if not name:
        raise CliError("Le nom du cabinet est obligatoire.")
    sender = _normalize_email(args.sender_email) or None
    with session_scope() as s:
        firm = Firm(name=name, sender_email=sender, created_at=now())
        s.add(firm)
        s.commit()
        print(firm.id)


def _generated_password(identifier: str) -> str:
    from espace.services import crypto as security

    while True:
        password = security.new_token()[:16] + "aA1!"
        if not security.password_problems(password, identifier=identifier):
            return password


def _create_user(args: argparse.Namespace, role) -> None:
    from sqlalchemy.exc import IntegrityError

    from espace.config import settings
    from espace.db import session_scope
    from espace.demo import now
    from espace.domain.ids import saved_id
    from espace.models import Client, Firm, Role
    from espace.services import crypto as security
    from espace.services.accounts import identities
    from espace.services.mail import outbox

    email = _normalize_email(args.email)
    if "@" not in email or " " in email:
        raise CliError(f"Adresse e-mail invalide : {args.email!r}.")
    nom, prenom = args.nom.strip(), args.prenom.strip()
    if not nom or not prenom:
        raise CliError("Le nom et le prénom sont obligatoires.")
    generated = args.password is None
    password = _generated_password(email) if generated else args.password
    problems = security.password_problems(password, identifier=email)
    if problems:
        raise CliError("Mot de passe refusé, il doit comporter : " + " ; ".join(problems) + ".")
    with session_scope() as s:
        firm = s.get(Firm, args.firm_id)
        if firm is None:
            raise CliError(f"Cabinet introuvable : {args.firm_id}.")
        created = now()
        try:
            # A person who already has an account (in any firm) gets a membership of this
            # firm linked to it: their password is never replaced, they are told by email.
            user, account, existed = identities.add_membership(
                s, firm_id=args.firm_id, email=email, nom=nom, prenom=prenom, role=role, created_at=created)
        except identities.SameFirm:
            raise CliError(f"Un compte existe déjà avec l'adresse {email} dans ce cabinet.") from None
        if not existed:
            account.password_hash = security.hash_password(password)
            account.password_changed_at = created
            s.add(account)
            user.activated_at = created
        else:
            security.burn_time_like_verify()
            outbox.enqueue(s, email, f"Le cabinet {firm.name} vous a ouvert un espace "
                           + ("client" if role == Role.client else "cabinet"), "membership_opened",
                           {"firm_name": firm.name, "client_name": f"{prenom} {nom}",
                            "link": f"{settings.public_url}/connexion"},
                           firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name)
        client = None
        if role == Role.client:
            client = Client(
                firm_id=args.firm_id, user_id=saved_id(user.id), email=email, adresse=args.adresse.strip(),
                code_postal=args.code_postal.strip(), ville=args.ville.strip(), tel=args.tel.strip(),
                mobile=args.mobile.strip(),
            )
            s.add(client)
        try:
            s.commit()
        except IntegrityError:
            raise CliError(f"Un compte existe déjà avec l'adresse {email} dans ce cabinet.") from None
        what = {Role.client: "Client", Role.admin: "Administrateur du cabinet", Role.lawyer: "Avocat",
                Role.staff: "Collaborateur"}.get(role, "Compte")
        print(f"{what} créé : utilisateur n° {user.id}" + (f", fiche client n° {client.id}" if client else ""))
        print(f"Identifiant : {email}")
        if generated:
            # A password chosen on the command line is never echoed, whether it was set or not.
            print(f"Mot de passe : {password}" if not existed else
                  "Mot de passe : inchangé (cette personne a déjà un compte ; elle a été avertie par e-mail)")
            if not existed:
                print("(affiché une seule fois : transmettez-le au titulaire du compte)")


def cmd_create_lawyer(args: argparse.Namespace) -> None:
    from espace.models import Role

    _create_user(args, Role(args.role))


def cmd_create_client(args: argparse.Namespace) -> None:
    from espace.models import Role

    _create_user(args, Role.client)


def cmd_create_dossier(args: argparse.Namespace) -> None:
    from sqlmodel import col, select

    from espace.db import session_scope
    from espace.domain.ids import saved_id
    from espace.models import Client, Dossier, DossierClient, Firm, Role, User

    with session_scope() as s:
        if s.get(Firm, args.firm_id) is None:
            raise CliError(f"Cabinet introuvable : {args.firm_id}.")
        lawyer = s.exec(select(User).where(User.email == _normalize_email(args.interlocutor_email),
                                           User.firm_id == args.firm_id, User.role != Role.client)).first()
        if lawyer is None:
            raise CliError(f"Avocat introuvable dans ce cabinet : {args.interlocutor_email}.")
        if s.exec(select(Dossier).where(Dossier.firm_id == args.firm_id, Dossier.reference == args.reference)).first():
            raise CliError(f"La référence {args.reference} existe déjà.")
        clients = []
        for address in args.client_email or []:
            client = s.exec(select(Client).join(User, col(User.id) == Client.user_id).where(
                User.email == _normalize_email(address), Client.firm_id == args.firm_id)).first()
            if client is None:
                raise CliError(f"Client introuvable dans ce cabinet : {address}.")
            clients.append(client)
        dossier = Dossier(firm_id=args.firm_id, reference=args.reference.strip(), label=args.label.strip(),
                          interlocutor_id=lawyer.id)
        s.add(dossier)
        s.flush()
        for client in clients:
            s.add(DossierClient(dossier_id=saved_id(dossier.id), client_id=saved_id(client.id)))
        s.commit()
        print(f"Dossier créé : n° {dossier.id} ({dossier.reference} - {dossier.label})")


def cmd_worker(args: argparse.Namespace) -> None:
    import asyncio
    import logging
    import signal

    from espace.config import settings
    from espace.services.mail import outbox

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.once:
        print(f"E-mails envoyés : {outbox.run_once()}")
        return

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"Envoi des e-mails en attente toutes les {settings.outbox_poll_seconds:g} s (Ctrl+C pour arrêter).",
              flush=True)
        await outbox.worker_loop(stop)

    asyncio.run(main())
    print("Arrêté.")


def cmd_outbox_status(args: argparse.Namespace) -> None:
    from espace.services.mail import outbox

    labels = {"pending": "en attente", "sending": "en cours d'envoi", "sent": "envoyés", "failed": "en échec"}
    for status, count in outbox.status_counts().items():
        print(f"{status:<8} {count:>6}  ({labels.get(status, status)})")


def cmd_reset_2fa(args: argparse.Namespace) -> None:
    from espace.services.accounts import two_factor

    if not two_factor.reset_for_identifier(args.email):
        raise CliError(f"Aucun compte avec l'identifiant {args.email!r}.")
    print("Double authentification retirée : le mot de passe seul ouvre de nouveau le compte "
          "(ses sessions ouvertes sont fermées).")


def cmd_serve(args: argparse.Namespace) -> None:
    import os

    from espace import server
    from espace.config import settings

    try:
        workers = server.worker_count(args.workers if args.workers is not None else settings.workers,
                                      settings.redis_url, os.cpu_count())
        if settings.redis_url:
            server.check_redis(settings.redis_url)
        web_dir = server.check_built(ROOT) if args.no_build else server.build_frontend(ROOT)
    except server.ServeError as exc:
        raise CliError(str(exc)) from exc
    print(f"Portail servi sur le port {settings.port} par {workers} processus "
          f"({'état des pages dans Redis' if settings.redis_url else 'état des pages en mémoire'}).", flush=True)
    server.serve(ROOT, web_dir, workers, settings.port)


def cmd_check_storage(args: argparse.Namespace) -> None:
    from espace.services.storage import check as storage_check

    report = storage_check.check(remove=args.remove_orphans, grace_seconds=args.grace_minutes * 60)
    print(storage_check.render(report))
    if not report.clean:
        raise SystemExit(1)


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


def _help(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-h", "--help", action="help", help="affiche cette aide et quitte")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m espace", description="Administration de l'espace client du cabinet.", add_help=False
    )
    _help(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="commande", title="commandes")

    def command(name: str, **kw: Any) -> argparse.ArgumentParser:
        """A subcommand whose description is its help line, with the French -h."""
        p = sub.add_parser(name, add_help=False, description=kw.get("help"), **kw)
        _help(p)
        return p

    p = command("migrate", help="met à jour le schéma de la base de données (Alembic)")
    p.set_defaults(func=cmd_migrate)

    p = command("demo", help="charge les données de démonstration si la base est vide")
    p.set_defaults(func=cmd_demo)

    p = command("create-firm", help="crée un cabinet et affiche son numéro")
    p.add_argument("--name", required=True, help="nom du cabinet")
    p.add_argument("--sender-email", default="", help="adresse d'expédition des e-mails du cabinet")
    p.set_defaults(func=cmd_create_firm)

    def user_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--firm-id", type=int, required=True, help="numéro du cabinet")
        p.add_argument("--email", required=True, help="adresse e-mail, qui sert d'identifiant")
        p.add_argument("--nom", required=True, help="nom de famille")
        p.add_argument("--prenom", required=True, help="prénom")
        p.add_argument(
            "--password", default=None,
            help="mot de passe (par défaut : un mot de passe aléatoire, affiché une seule fois)",
        )

    p = command("create-lawyer", help="crée un compte avocat d'un cabinet")
    user_args(p)
    p.add_argument("--role", choices=("admin", "lawyer", "staff"), default="lawyer",
                   help="admin : administrateur du cabinet (paramètres, clés Stripe, collègues) ; "
                        "lawyer : avocat (par défaut) ; staff : collaborateur")
    p.set_defaults(func=cmd_create_lawyer)

    p = command("create-client", help="crée un compte client d'un cabinet")
    user_args(p)
    p.add_argument("--adresse", default="", help="adresse postale")
    p.add_argument("--code-postal", default="", help="code postal")
    p.add_argument("--ville", default="", help="ville")
    p.add_argument("--tel", default="", help="téléphone fixe")
    p.add_argument("--mobile", default="", help="téléphone mobile")
    p.set_defaults(func=cmd_create_client)

    p = command("create-dossier", help="crée un dossier et le rattache à ses clients")
    p.add_argument("--firm-id", type=int, required=True, help="numéro du cabinet")
    p.add_argument("--reference", required=True, help="référence du dossier, ex. 2024IIDOS/0001")
    p.add_argument("--label", required=True, help="libellé, ex. DUPONT / SUCCESSION")
    p.add_argument("--interlocutor-email", required=True, help="identifiant de l'avocat interlocuteur")
    p.add_argument("--client-email", action="append", help="identifiant d'un client (répétable)")
    p.set_defaults(func=cmd_create_dossier)

    p = command("worker", help="envoie les e-mails de la file d'attente (boucle, sans l'application)")
    p.add_argument("--once", action="store_true", help="un seul passage, puis s'arrête")
    p.set_defaults(func=cmd_worker)

    p = command("outbox-status", help="nombre d'e-mails de la file d'attente par statut")
    p.set_defaults(func=cmd_outbox_status)

    p = command("reset-2fa", help="retire la double authentification d'un compte (téléphone et codes perdus)")
    p.add_argument("--email", required=True, help="identifiant du compte")
    p.set_defaults(func=cmd_reset_2fa)

    p = command("serve", help="sert le portail en production : interface construite une fois, N processus "
                              "supervisés (un processus arrêté est remplacé)")
    p.add_argument("--workers", type=int, default=None,
                   help="nombre de processus (par défaut : WORKERS, sinon 1 sans Redis, "
                        "min(cœurs, 4) avec REFLEX_REDIS_URL ; plus d'un exige Redis)")
    p.add_argument("--no-build", action="store_true",
                   help="ne construit pas l'interface : sert celle qu'un précédent serve (ou make run) a construite pour cette version du code")
    p.set_defaults(func=cmd_serve)
    p = command("check-storage", help="compare les fichiers stockés et la base : fichiers sans ligne, lignes sans "
                                      "fichier, dépôts interrompus (code de sortie 1 s'il y a des anomalies)")
    p.add_argument("--remove-orphans", action="store_true",
                   help="supprime les fichiers sans ligne et les dépôts interrompus plus anciens que le délai")
    p.add_argument("--grace-minutes", type=float, default=60,
                   help="délai en minutes (60 par défaut) en deçà duquel un fichier sans ligne ou un dépôt "
                        "inachevé est tenu pour un dépôt en cours et conservé")
    p.set_defaults(func=cmd_check_storage)
    p = command("backup", help="sauvegarde la base de données et les documents dans un nouveau dossier")
    p.add_argument("dest", help="dossier de la sauvegarde (nouveau ou vide)")
    p.set_defaults(func=cmd_backup)

    p = command("restore", help="restaure une sauvegarde (base de données et documents)")
    p.add_argument("src", help="dossier de la sauvegarde")
    p.add_argument("--force", action="store_true", help="écrase une base qui contient déjà des données")
    p.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
