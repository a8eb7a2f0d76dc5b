"""The firm's clients (/admin/clients): list and search, create with an
invitation, edit, deactivate (sessions closed at once) and reactivate, resend the
invitation. Every function takes the acting lawyer/staff User first and works
only inside that user's firm; a client user or another firm's id → AccessDenied."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from espace.domain.contact import FIELDS
from espace.domain.forms import ClientForm, read_form
from espace.domain.french import fdate, fdatetime
from espace.domain.ids import saved_id
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.domain.text import clean_line
from espace.models import Client, Dossier, DossierClient, Role, User
from espace.services import audit
from espace.services.access import client_in_firm, firm_of, firm_scope
from espace.services.accounts import auth, identities
from espace.services.firm import invitations, security_changes
from espace.services.firm.common import SEARCH_MAX, SEARCH_WORDS, Page, like_pattern, page_of
from espace.services.firm.membership import open_membership

log = logging.getLogger(__name__)

OPTIONAL = {"adresse", "code_postal", "ville", "tel", "mobile"}
# Only a duplicate inside the acting firm is reported (an address known to another
# firm is answered exactly like a new one: services/identities.py).
EMAIL_TAKEN = identities.SAME_FIRM
RETRY = "L'enregistrement n'a pas pu aboutir. Veuillez réessayer."
NEVER = "Jamais"


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
    with firm_scope(user) as (s, staff):
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
                ClientRow(id=saved_id(c.id), name=full_name(u), email=u.email, ville=c.ville,
                          last_login=fdatetime(u.last_login_at) if u.last_login_at else NEVER,
                          status=_status(u), active=u.active)
                for c, u in rows
            ],
            total=total, page=shown, pages=pages,
        )


def dashboard(user: User) -> Counts:
    """Counts for the /admin dashboard."""
    with firm_scope(user) as (s, staff):
        base = select(func.count()).select_from(Client).join(User, col(User.id) == Client.user_id).where(
            Client.firm_id == user.firm_id, User.firm_id == user.firm_id)
        return Counts(
            clients=s.exec(base).one(),
            active=s.exec(base.where(col(User.active).is_(True))).one(),
            pending=s.exec(base.where(col(User.active).is_(True), col(User.activated_at).is_(None))).one(),
            dossiers=s.exec(select(func.count()).select_from(Dossier).where(Dossier.firm_id == staff.firm_id)).one(),
        )


# --------------------------------------------------------------------------- one client
@dataclass(frozen=True, slots=True)
class ClientPage:
    """Everything /admin/clients/<id> shows: the client and one page of its trail.
    An action on the client answers with it, refreshed in the action's session."""
    detail: ClientDetail
    trail: audit.AuditPage


def _detail(s: Session, staff: User, client: Client, target: User) -> ClientDetail:
    dossiers = s.exec(
        select(Dossier).join(DossierClient, col(DossierClient.dossier_id) == Dossier.id)
        .where(DossierClient.client_id == client.id, Dossier.firm_id == staff.firm_id)
        .order_by(col(Dossier.reference), col(Dossier.id))
    ).all()
    return ClientDetail(
        id=saved_id(client.id),
        user_id=saved_id(target.id),
        name=full_name(target),
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


def _page(s: Session, staff: User, client: Client, target: User, events_page: object) -> ClientPage:
    return ClientPage(_detail(s, staff, client, target), audit.client_trail(s, staff, target, events_page))


def get_client(user: User, client_id: object) -> ClientDetail:
    """The client's form values, status, last login, invitation state and dossiers."""
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)
        return _detail(s, staff, client, target)


def client_page(user: User, client_id: object, events_page: object = 1) -> ClientPage:
    """What /admin/clients/<id> shows, in one session: the client and a page of its trail."""
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)
        return _page(s, staff, client, target, events_page)


def create_client(user: User, form: object) -> Outcome[int]:
    """Create the client's membership (linked to the person's account when the address
    already has one, anywhere: the answer is the same) and details, and queue the
    invitation email in the same transaction (nothing is sent if the creation fails).
    Done with the new client's id."""
    for attempt in range(2):  # a concurrent creation of the same new account: once more
        with firm_scope(user) as (s, staff):  # authorise before validating
            values, errors = read_form(ClientForm, form)
            if values is None:
                return Outcome.refused(errors)
            firm = firm_of(s, staff)
            try:
                opened = open_membership(s, firm_id=staff.firm_id, role=Role.client, values=values.model_dump())
                target, client = opened.user, opened.client
                assert client is not None  # a client's membership comes with its record
                audit.record(s, staff, "client_cree", f"client {client.id} {target.email}",
                             subject_user_id=target.id)
                message = invitations.invite_client(s, staff, firm, target, resend=False)
                s.commit()
            except identities.SameFirm:
                return Outcome.refused({"email": EMAIL_TAKEN})
            except IntegrityError:
                s.rollback()
                log.warning("client creation conflict (attempt %s) by=%s firm=%s", attempt, user.id, user.firm_id)
                continue
            log.info("client created by=%s firm=%s client=%s user=%s", user.id, user.firm_id, client.id, target.id)
            return Outcome.done(saved_id(client.id), message)
    return Outcome.refused(RETRY)


def update_client(user: User, client_id: object, form: object, events_page: object = 1,
                  token: str | None = None) -> Outcome[ClientPage]:
    """Change the client's identity and contact details (the e-mail is the login
    identifier). Done with the refreshed page (`events_page` of its trail); a refused
    form answers its errors only (the screen keeps what was typed). A new e-mail needs
    the step-up of the session `token` (refused with step_up.NEEDED, nothing saved): it
    could hand the client's account to whoever reads the new address. Both addresses are
    told (security_changes.tell_client_of_new_address); when the login identifier follows,
    the client's sessions end and the links sent to the old address die (identities)."""
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)  # authorise before validating
        values, errors = read_form(ClientForm, form)
        if values is None:
            return Outcome.refused(errors)
        if values.email != target.email and identities.reaches_firm(s, staff.firm_id, values.email,
                                                                      except_user_id=target.id):
            return Outcome.refused({"email": EMAIL_TAKEN})
        new = values.model_dump()
        old = {"nom": target.nom, "prenom": target.prenom, "email": target.email,
               **{k: getattr(client, k) for k in OPTIONAL}}
        changed = [label for key, label in FIELDS if new[key] != old[key]]
        if not changed:
            return Outcome.done(_page(s, staff, client, target, events_page), "Aucune modification.")
        old_email = target.email
        if values.email != old_email:
            if (refused := security_changes.refusal(s, token, staff)) is not None:
                return Outcome.refused(refused)
            # The firm's address for the client; the login identifier follows when it may.
            followed = identities.set_email(s, target, values.email, client)
            security_changes.tell_client_of_new_address(s, staff, target, old_email, values.email, followed)
        target.nom, target.prenom = values.nom, values.prenom
        for key in OPTIONAL:
            setattr(client, key, new[key])
        s.add(target)
        s.add(client)
        detail = ", ".join(changed) + (f" ({old_email} → {values.email})" if values.email != old_email else "")
        audit.record(s, staff, "client_modifie", detail, subject_user_id=target.id)
        try:
            s.commit()
        except IntegrityError:
            s.rollback()
            return Outcome.refused(RETRY)
        return Outcome.done(_page(s, staff, client, target, events_page),
                            "Les coordonnées du client ont été enregistrées.")


def deactivate_client(user: User, client_id: object, events_page: object = 1) -> Outcome[ClientPage]:
    """Close the client's access now: inactive, and every session revoked."""
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)
        target.active = False
        s.add(target)
        auth.revoke_all_sessions(s, saved_id(target.id))
        audit.record(s, staff, "client_desactive", target.email, subject_user_id=target.id)
        s.commit()
        log.info("client deactivated by=%s client=%s user=%s", user.id, client.id, target.id)
        return Outcome.done(_page(s, staff, client, target, events_page),
                            f"L'accès de {full_name(target)} est désactivé ; ses sessions ont été fermées.")


def reactivate_client(user: User, client_id: object, events_page: object = 1) -> Outcome[ClientPage]:
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)
        target.active = True
        s.add(target)
        audit.record(s, staff, "client_reactive", target.email, subject_user_id=target.id)
        s.commit()
        return Outcome.done(_page(s, staff, client, target, events_page),
                            f"L'accès de {full_name(target)} est réactivé.")


def send_invitation(user: User, client_id: object, *, resend: bool = True,
                    events_page: object = 1) -> Outcome[ClientPage]:
    """(Re)send the invitation of a client who has not yet chosen a password. The
    new link replaces the previous ones; in the temporary-password flow a new
    temporary password replaces the previous one. Refused or done, the answer
    carries the refreshed page."""
    with firm_scope(user) as (s, staff):
        client, target = client_in_firm(s, staff, client_id)
        refusal = ""
        if not target.active:
            refusal = "Ce client est désactivé : réactivez-le d'abord."
        elif target.activated_at is not None:
            refusal = ("Ce client a déjà choisi son mot de passe. S'il l'a oublié, il peut "
                       "utiliser « Mot de passe oublié ? » sur la page de connexion.")
        if refusal:
            return Outcome.refused(refusal, _page(s, staff, client, target, events_page))
        message = invitations.invite_client(s, staff, firm_of(s, staff), target, resend=resend)
        s.commit()
        return Outcome.done(_page(s, staff, client, target, events_page), message)


def resend_invitation(user: User, client_id: object, events_page: object = 1) -> Outcome[ClientPage]:
    return send_invitation(user, client_id, resend=True, events_page=events_page)
