"""`create-firm`, `create-lawyer`, `create-client`.

An account is opened as /admin opens it (services/firm/membership.py), from values
read and checked by /admin's own form rules (the same French messages); only what
follows differs: the operator gives (or is shown) the password, where /admin sends
an invitation."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from espace.cli.common import CliError, Command, normalize_email
from espace.domain.names import full_name

if TYPE_CHECKING:
    from sqlmodel import Session

    from espace.models import Firm, Role
    from espace.services.firm.membership import Opened

ROLE_NAMES = {"client": "Client", "admin": "Administrateur du cabinet", "lawyer": "Avocat",
              "staff": "Collaborateur"}
# The command line's option for each field of the form, to say which one was refused.
OPTIONS = {"nom": "--nom", "prenom": "--prenom", "email": "--email", "adresse": "--adresse",
           "code_postal": "--code-postal", "ville": "--ville", "tel": "--tel", "mobile": "--mobile", "role": "--role"}


def register(command: Command) -> None:
    p = command("create-firm", help="crée un cabinet et affiche son numéro")
    p.add_argument("--name", required=True, help="nom du cabinet")
    p.add_argument("--sender-email", default="", help="adresse d'expédition des e-mails du cabinet")
    p.set_defaults(func=cmd_create_firm)

    p = command("create-lawyer", help="crée un compte avocat d'un cabinet")
    _user_args(p)
    p.add_argument("--role", choices=("admin", "lawyer", "staff"), default="lawyer",
                   help="admin : administrateur du cabinet (paramètres, clés Stripe, collègues) ; "
                        "lawyer : avocat (par défaut) ; staff : collaborateur")
    p.set_defaults(func=cmd_create_lawyer)

    p = command("create-client", help="crée un compte client d'un cabinet")
    _user_args(p)
    p.add_argument("--adresse", default="", help="adresse postale")
    p.add_argument("--code-postal", default="", help="code postal")
    p.add_argument("--ville", default="", help="ville")
    p.add_argument("--tel", default="", help="téléphone fixe")
    p.add_argument("--mobile", default="", help="téléphone mobile")
    p.set_defaults(func=cmd_create_client)


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--firm-id", type=int, required=True, help="numéro du cabinet")
    p.add_argument("--email", required=True, help="adresse e-mail, qui sert d'identifiant")
    p.add_argument("--nom", required=True, help="nom de famille")
    p.add_argument("--prenom", required=True, help="prénom")
    p.add_argument(
        "--password", default=None,
        help="mot de passe (par défaut : un mot de passe aléatoire, affiché une seule fois)",
    )


def cmd_create_firm(args: argparse.Namespace) -> None:
    from espace.db import session_scope
    from espace.demo import now
    from espace.models import Firm

    name = args.name.strip()
    if not name:
        raise CliError("Le nom du cabinet est obligatoire.")
    sender = normalize_email(args.sender_email) or None
    with session_scope() as s:
        firm = Firm(name=name, sender_email=sender, created_at=now())
        s.add(firm)
        s.commit()
        print(firm.id)


def cmd_create_lawyer(args: argparse.Namespace) -> None:
    from espace.models import Role

    _create_user(args, Role(args.role))


def cmd_create_client(args: argparse.Namespace) -> None:
    from espace.models import Role

    _create_user(args, Role.client)


def form_values(args: argparse.Namespace, role: Role) -> dict[str, str]:
    """The values as /admin's form for this role reads them (trimmed, lower-case
    e-mail, postcode without spaces), once its rules pass; CliError with its
    messages otherwise."""
    from espace.domain.forms import ClientForm, ColleagueForm, Form, read_form
    from espace.models import Role

    read: Form | None

    form = {"nom": args.nom, "prenom": args.prenom, "email": args.email}
    if role == Role.client:
        form |= {"adresse": args.adresse, "code_postal": args.code_postal, "ville": args.ville,
                 "tel": args.tel, "mobile": args.mobile}
        read, errors = read_form(ClientForm, form)
    else:
        read, errors = read_form(ColleagueForm, form | {"role": role.value})
    if read is None:
        raise CliError(" ; ".join(f"{OPTIONS.get(key, key)} : {message}" for key, message in errors.items()))
    values: dict[str, str] = read.model_dump()
    return values


def _password(args: argparse.Namespace, email: str) -> str:
    """The password given, or one generated as the firm's temporary passwords are."""
    from espace.services import crypto as security
    from espace.services.firm.invitations import generate_password

    password: str = generate_password(email) if args.password is None else args.password
    problems = security.password_problems(password, identifier=email)
    if problems:
        raise CliError("Mot de passe refusé, il doit comporter : " + " ; ".join(problems) + ".")
    return password


def _create_user(args: argparse.Namespace, role: Role) -> None:
    from sqlalchemy.exc import IntegrityError

    from espace.db import session_scope
    from espace.models import Firm
    from espace.services.accounts import identities
    from espace.services.firm.membership import open_membership

    values = form_values(args, role)
    email = values["email"]
    password = _password(args, email)
    taken = CliError(f"Un compte existe déjà avec l'adresse {email} dans ce cabinet.")
    with session_scope() as s:
        firm = s.get(Firm, args.firm_id)
        if firm is None:
            raise CliError(f"Cabinet introuvable : {args.firm_id}.")
        try:
            # A person who already has an account (in any firm) gets a membership of this
            # firm linked to it: their password is never replaced, they are told by email.
            opened = open_membership(s, firm_id=args.firm_id, role=role, values=values)
            _set_password_or_tell(s, firm, opened, password)
            s.commit()
        except (identities.SameFirm, IntegrityError):
            raise taken from None
        _report(role, opened, email, password if args.password is None else None)


def _set_password_or_tell(s: Session, firm: Firm, opened: Opened, password: str) -> None:
    from espace.config import settings
    from espace.models import Role
    from espace.services.accounts import hashing
    from espace.services.mail import outbox

    user, account = opened.user, opened.account
    if not opened.existed:
        account.password_hash = hashing.hash_password(password)
        account.password_changed_at = user.activated_at = user.created_at
        s.add(account)
        return
    hashing.burn_time_like_verify()
    outbox.enqueue(s, user.email, f"Le cabinet {firm.name} vous invite à rejoindre son espace "
                   + ("client" if user.role == Role.client else "cabinet"), "membership_opened",
                   {"firm_name": firm.name, "client_name": full_name(user),
                    "link": f"{settings.public_url}/connexion"},
                   firm_id=firm.id, reply_to=firm.sender_email, sender_name=firm.name)


def _report(role: Role, opened: Opened, email: str, generated: str | None) -> None:
    """What was made; a generated password once (one chosen on the command line is
    never echoed, whether it was set or not)."""
    client = opened.client
    print(f"{ROLE_NAMES.get(role.value, 'Compte')} créé : utilisateur n° {opened.user.id}"
          + (f", fiche client n° {client.id}" if client else ""))
    print(f"Identifiant : {email}")
    if generated is not None:
        print(f"Mot de passe : {generated}" if not opened.existed else
              "Mot de passe : inchangé (cette personne a déjà un compte ; elle a été avertie par e-mail)")
        if not opened.existed:
            print("(affiché une seule fois : transmettez-le au titulaire du compte)")
