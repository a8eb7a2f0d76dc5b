"""The firm's clients (/admin/clients): list and search, create with an
invitation, edit, deactivate (sessions closed at once) and reactivate, resend the
invitation. Every function takes the acting lawyer/staff User first and works
only inside that user's firm; a client user or another firm's id → AccessDenied."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, or_, select

from espace.db import session_scope
from espace.domain.french import fdate, fdatetime
from espace.domain.ids import saved_id
from espace.domain.text import clean_line
from espace.models import Client, Dossier, DossierClient, Role, User
from espace.services import audit
from espace.services.access import client_in_firm, firm_of, require_staff
from espace.services.accounts import auth, identities
from espace.services.client.contact import FIELDS, REQUIRED, validate_details
from espace.services.firm import invitations
from espace.services.firm.common import SEARCH_MAX, SEARCH_WORDS, ActionResult, Page, like_pattern, page_of
from espace.services.firm.membership import open_membership

log = logging.getLogger(__name__)

OPTIONAL = {"adresse", "code_postal", "ville", "tel", "mobile"}
# Only a duplicate inside the acting firm is reported (an address known to another
# firm is answered exactly like a new one: services/identities.py).
EMAIL_TAKEN = identities.SAME_FIRM
RETRY = "L'enregistrement n'a pas pu aboutir. Veuillez réessayer."
NEVER = "Jamais"


@dataclass(frozen=True, slots=True)
class Result(ActionResult):
    client_id: int | None = None


@dataclass(frozen=True, slots=True)
class ClientRow:
    """A line of the firm's client list (/admin/clients)."""
    id: int
    name: str
    email: str
    ville: str
    last_login: str  # dd/mm/yyyy HH:mm or « Jamais »
    status: str
    active: bool


@dataclass(frozen=True, slots=True)
class Counts:
    """The /admin dashboard's figures."""
    clients: int = 0
    active: int = 0
    pending: int = 0
    dossiers: int = 0


@dataclass(frozen=True, slots=True)
class DossierLink:
    id: int
    reference: str
    label: str


@dataclass(frozen=True, slots=True)
class ClientDetail:
    """One client as /admin/clients/<id> shows it: the form values and the access."""
    id: int
    user_id: int
    name: str
    values: dict[str, str]  # the form's fields (contact.FIELDS)
    active: bool
    status: str
    last_login: str
    created: str
    invitation: str
    can_resend: bool
    dossiers: list[DossierLink]


def display_name(u: User) -> str:
    """As the manual writes people: « ALEXANDER Luce »."""
    return f"{(u.nom or '').upper()} {u.prenom or ''}".strip()


def _values(form: object) -> dict[str, str]:
    fields = form if isinstance(form, dict) else {}
    values = {key: clean_line(fields.get(key)) for key, _ in FIELDS}
    values["code_postal"] = values["code_postal"].replace(" ", "")
    values["email"] = values["email"].lower()
    return values


def validate(values: dict[str, str]) -> dict[str, str]:
    """The contact-details rules of the client side; name and e-mail required,
    the address and phone numbers optional but checked when given."""
    errors = validate_details(values)
    for key in OPTIONAL:
        if errors.get(key) == REQUIRED and not values[key]:
            del errors[key]
    return errors


def _status(u: User) -> str:
    """From the membership only (never from the person's account in another firm)."""
    if not u.active:
        return "Désactivé"
    if u.activated_at is None:
        return "Mot de passe provisoire" if u.temporary_password_invite else "Invitation en attente"
    return "Actif"


# --------------------------------------------------------------------------- list
def list_clients(user: User, search: str = "", page: object = 1) -> Page[ClientRow]:
    """The firm's clients by name; each word of `search` must match the name,
    first name, e-mail or town. Rows carry the last login (dd/mm/yyyy HH:mm or « Jamais »)."""
    with session_scope() as s:
        staff = require_staff(s, user)
        conditions: list[ColumnElement[bool]] = [col(Client.firm_id) == staff.firm_id, col(User.firm_id) == staff.firm_id,
                                                 col(User.role) == Role.client]
        for word in clean_line(search)[:SEARCH_MAX].split()[:SEARCH_WORDS]:
            pattern = like_pattern(word)
            conditions.append(or_(col(User.nom).ilike(pattern, escape="\\"),
                                  col(User.prenom).ilike(pattern, escape="\\"),
                                  col(User.email).ilike(pattern, escape="\\"),
                                  col(Client.ville).ilike(pattern, escape="\\")))
        total = s.exec(select(func.count()).select_from(Client).join(User, col(User.id) == Client.user_id)
                       .where(*conditions)).one()
        shown, pages, size = page_of(total, page)
        rows = s.exec(
            select(Client, User).join(User, col(User.id) == Client.user_id).where(*conditions)
            .order_by(func.lower(User.nom), func.lower(User.prenom), col(Client.id))
            .offset((shown - 1) * size).limit(size)
        ).all()
        return Page(
            rows=[
                ClientRow(id=saved_id(c.id), name=display_name(u), email=u.email, ville=c.ville,
                          last_login=fdatetime(u.last_login_at) if u.last_login_at else NEVER,
                          status=_status(u), active=u.active)
                for c, u in rows
            ],
            total=total, page=shown, pages=pages,
        )


def dashboard(user: User) -> Counts:
    """Counts for the /admin dashboard."""
    with session_scope() as s:
        staff = require_staff(s, user)
        base = select(func.count()).select_from(Client).join(User, col(User.id) == Client.user_id).where(
            Client.firm_id == user.firm_id, User.firm_id == user.firm_id)
        return Counts(
            clients=s.exec(base).one(),
            active=s.exec(base.where(col(User.active).is_(True))).one(),
            pending=s.exec(base.where(col(User.active).is_(True), col(User.activated_at).is_(None))).one(),
            dossiers=s.exec(select(func.count()).select_from(Dossier).where(Dossier.firm_id == staff.firm_id)).one(),
        )


# --------------------------------------------------------------------------- one client
def get_client(user: User, client_id: object) -> ClientDetail:
    """The client's form values, status, last login, invitation state and dossiers."""
    with session_scope() as s:
        require_staff(s, user)
        client, target = client_in_firm(s, user, client_id)
        dossiers = s.exec(
            select(Dossier).join(DossierClient, col(DossierClient.dossier_id) == Dossier.id)
            .where(DossierClient.client_id == client.id, Dossier.firm_id == user.firm_id)
            .order_by(col(Dossier.reference), col(Dossier.id))
        ).all()
        return ClientDetail(
            id=saved_id(client.id),
            user_id=saved_id(target.id),
            name=display_name(target),
            values={
                "nom": target.nom, "prenom": target.prenom, "email": target.email, "adresse": client.adresse,
                "code_postal": client.code_postal, "ville": client.ville, "tel": client.tel,
                "mobile": client.mobile,
            },
            active=target.active,
            status=_status(target),
            last_login=fdatetime(target.last_login_at) if target.last_login_at else NEVER,
            created=fdate(target.created_at),
            invitation=invitations.status_line(s, target),
            can_resend=target.active and target.activated_at is None,
            dossiers=[DossierLink(id=saved_id(d.id), reference=d.reference, label=d.label) for d in dossiers],
        )


def create_client(user: User, form: object) -> Result:
    """Create the client's membership (linked to the person's account when the address
    already has one, anywhere: the answer is the same) and details, and queue the
    invitation email in the same transaction (nothing is sent if the creation fails)."""
    with session_scope() as s:
        require_staff(s, user)
    values = _values(form)
    errors = validate(values)
    if errors:
        return Result(False, errors)
    for attempt in range(2):  # a concurrent creation of the same new account: once more
        with session_scope() as s:
            firm = firm_of(s, user)
            try:
                opened = open_membership(s, firm_id=user.firm_id, role=Role.client, values=values)
                target, client = opened.user, opened.client
                assert client is not None  # a client's membership comes with its record
                audit.record(s, user, "client_cree", f"client {client.id} {target.email}",
                             subject_user_id=target.id)
                message = invitations.invite_client(s, user, firm, target, resend=False)
                s.commit()
            except identities.SameFirm:
                return Result(False, {"email": EMAIL_TAKEN})
            except IntegrityError:
                s.rollback()
                log.warning("client creation conflict (attempt %s) by=%s firm=%s", attempt, user.id, user.firm_id)
                continue
            log.info("client created by=%s firm=%s client=%s user=%s", user.id, user.firm_id, client.id, target.id)
            return Result(True, message=message, client_id=client.id)
    return Result(False, {"form": RETRY})


def update_client(user: User, client_id: object, form: object) -> Result:
    """Change the client's identity and contact details (the e-mail is the login identifier)."""
    values = _values(form)
    with session_scope() as s:
        require_staff(s, user)
        client, target = client_in_firm(s, user, client_id)  # authorise before validating
        errors = validate(values)
        if errors:
            return Result(False, errors, client_id=client.id)
        if values["email"] != target.email and identities.reaches_firm(s, user.firm_id, values["email"],
                                                                         except_user_id=target.id):
            return Result(False, {"email": EMAIL_TAKEN}, client_id=client.id)
        old = {"nom": target.nom, "prenom": target.prenom, "email": target.email,
               **{k: getattr(client, k) for k in OPTIONAL}}
        changed = [label for key, label in FIELDS if values[key] != old[key]]
        if not changed:
            return Result(True, message="Aucune modification.", client_id=client.id)
        if values["email"] != target.email:
            # The firm's address for the client; the login identifier follows when it may.
            identities.set_email(s, target, values["email"], client)
        target.nom, target.prenom = values["nom"], values["prenom"]
        for key in OPTIONAL:
            setattr(client, key, values[key])
        s.add(target)
        s.add(client)
        audit.record(s, user, "client_modifie", ", ".join(changed), subject_user_id=target.id)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return Result(False, {"form": RETRY}, client_id=client.id)
        return Result(True, message="Les coordonnées du client ont été enregistrées.", client_id=client.id)


def deactivate_client(user: User, client_id: object) -> Result:
    """Close the client's access now: inactive, and every session revoked."""
    with session_scope() as s:
        require_staff(s, user)
        client, target = client_in_firm(s, user, client_id)
        target.active = False
        s.add(target)
        auth.revoke_all_sessions(s, saved_id(target.id))
        audit.record(s, user, "client_desactive", target.email, subject_user_id=target.id)
        s.commit()
        log.info("client deactivated by=%s client=%s user=%s", user.id, client.id, target.id)
        return Result(True, message=f"L'accès de {display_name(target)} est désactivé ; ses sessions ont été fermées.",
                      client_id=client.id)


def reactivate_client(user: User, client_id: object) -> Result:
    with session_scope() as s:
        require_staff(s, user)
        client, target = client_in_firm(s, user, client_id)
        target.active = True
        s.add(target)
        audit.record(s, user, "client_reactive", target.email, subject_user_id=target.id)
        s.commit()
        return Result(True, message=f"L'accès de {display_name(target)} est réactivé.", client_id=client.id)



def send_invitation(user: User, client_id: object, *, resend: bool = True) -> Result:
    """(Re)send the invitation of a client who has not yet chosen a password. The
    new link replaces the previous ones; in the temporary-password flow a new
    temporary password replaces the previous one."""
    with session_scope() as s:
        require_staff(s, user)
        client, target = client_in_firm(s, user, client_id)
        if not target.active:
            return Result(False, {"form": "Ce client est désactivé : réactivez-le d'abord."}, client_id=client.id)
        if target.activated_at is not None:
            return Result(False, {"form": "Ce client a déjà choisi son mot de passe. S'il l'a oublié, il peut "
                                           "utiliser « Mot de passe oublié ? » sur la page de connexion."},
                          client_id=client.id)
        firm = firm_of(s, user)
        message = invitations.invite_client(s, user, firm, target, resend=resend)
        s.commit()
        return Result(True, message=message, client_id=client.id)


def resend_invitation(user: User, client_id: object) -> Result:
    return send_invitation(user, client_id, resend=True)
