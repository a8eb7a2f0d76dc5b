"""Who the acting client is, and which dossiers are theirs: the client side's access
rule, written once (the firm side's is services/access.py). Every client read path
starts here: the home, the lists, a dossier and its tabs, news, search, the agenda,
messages, deposits, downloads and payments.

- The acting client: the `Client` row of the user in their firm, the account read
  again in the same query (active, a client of that firm): a client deactivated
  after their session was opened reads nothing from then on.
- The client's dossiers: the dossiers of the client's firm the client is linked to
  (DossierClient). `dossier_ids` is that rule; the ORM and Core flavours below are
  built from it. Items are further limited to the shared ones by their callers.

Statements are built once with bound parameters (`user_id`, `firm_id`, `client_id`,
`dossier_id`): building one costs more CPU than SQLite takes to answer it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, bindparam, literal
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import Select
from sqlmodel import Session, col, select

from espace.domain.ids import parse_id
from espace.models import Client, Dossier, DossierClient, Firm, Role, User
from espace.services import AccessDenied


def _acting() -> tuple[Any, ...]:
    """The acting client's conditions, on Client joined to its User: the user of the
    bound parameter `user_id`, in firm `firm_id`, active and a client there now."""
    return (col(Client.user_id) == bindparam("user_id"), col(Client.firm_id) == bindparam("firm_id"),
            col(User.active).is_(True), col(User.role) == Role.client, col(User.firm_id) == Client.firm_id)


def user_params(user: User | None) -> dict[str, Any]:
    """The bound parameters of the acting client's statements; AccessDenied for no
    user or anyone but a client (checked again against the database by the statement)."""
    if user is None or user.role != Role.client or user.id is None:
        raise AccessDenied()
    return {"user_id": user.id, "firm_id": user.firm_id}


_ACTING_CLIENT = select(Client, User).join(User, col(User.id) == Client.user_id).where(*_acting())
_ACTING_KEY = (
    core_select(col(Client.id), col(Client.firm_id), col(Client.user_id), col(User.previous_login_at),
                col(Firm.payments_enabled),
                col(Firm.stripe_publishable_key), col(Firm.stripe_secret_key_enc), col(Firm.stripe_webhook_secret_enc))
    .join(User, col(User.id) == Client.user_id).join(Firm, col(Firm.id) == Client.firm_id)
    .where(*_acting())
)


def acting_client(s: Session, user: User | None) -> Client:
    """The acting client's row (ORM), the account read again; AccessDenied when the
    user is not, as stored now, an active client of their firm. The user's fresh row
    is in the session too: `s.get(User, client.user_id)` reads nothing more."""
    found = s.exec(_ACTING_CLIENT, params=user_params(user)).first()
    if found is None:
        raise AccessDenied()
    return found[0]


def client_key(conn: Connection, user: User | None) -> Any:
    """acting_client as one plain row (Core): the client's `id`, `firm_id`, `user_id`,
    the user's `previous_login_at` (what is new since) and the firm's payment settings
    (what accepts_online_payments reads)."""
    row = conn.execute(_ACTING_KEY, user_params(user)).first()
    if row is None:
        raise AccessDenied()
    return row


# --------------------------------------------------------------------------- the client's dossiers
def dossier_ids(client_id: Any = None, firm_id: Any = None) -> Select[Any]:
    """THE rule: the ids of the dossiers of client `client_id` in its firm `firm_id`
    (values, or by default the bound parameters of the same names). Read from the
    client's links (its index on client_id), each dossier's firm checked by its primary
    key: `firm_id + 0` keeps SQLite's planner (no statistics) from walking every dossier
    of the firm instead."""
    return (
        core_select(col(DossierClient.dossier_id))
        .join(Dossier, col(Dossier.id) == DossierClient.dossier_id)
        .where(col(DossierClient.client_id) == (bindparam("client_id") if client_id is None else client_id),
               (col(Dossier.firm_id) + 0) == (bindparam("firm_id") if firm_id is None else firm_id))
    )


def scope(client: Any) -> dict[str, Any]:
    """The bound parameters of `dossier_ids()` for an acting client (row or Client)."""
    return {"client_id": client.id, "firm_id": client.firm_id}


def dossier_ids_of(client: Any) -> Select[Any]:
    """dossier_ids for a client already read (row or Client), in a statement built per call."""
    return dossier_ids(literal(client.id), literal(client.firm_id))


def _acting_client_id() -> Any:
    return core_select(col(Client.id)).join(User, col(User.id) == Client.user_id).where(*_acting()).scalar_subquery()


def one_dossier(stmt: Any) -> Any:
    """`stmt` (which selects from Dossier) limited to the dossier `dossier_id` when it
    is one of the acting client's (user_id, firm_id): the account and the link are
    checked in this one query."""
    return stmt.where(col(Dossier.id) == bindparam("dossier_id", type_=BigInteger),
                      col(Dossier.id).in_(dossier_ids(_acting_client_id())))


_CLIENT_DOSSIER = one_dossier(select(Dossier))
_CLIENT_DOSSIER_REF = one_dossier(core_select(col(Dossier.id), col(Dossier.firm_id)).select_from(Dossier))


def dossier_params(user: User | None, dossier_id: object) -> dict[str, Any]:
    """one_dossier's bound parameters; AccessDenied for a malformed id."""
    params = user_params(user)
    did = parse_id(dossier_id)
    if did is None:
        raise AccessDenied()
    return {**params, "dossier_id": did}


def client_dossier(s: Session, user: User | None, dossier_id: object) -> Dossier:
    """The dossier (ORM) if it is one of the acting client's; AccessDenied otherwise,
    also for a malformed id. One query: a client deactivated during a long upload is
    refused when it ends."""
    d: Dossier | None = s.exec(_CLIENT_DOSSIER, params=dossier_params(user, dossier_id)).first()
    if d is None:
        raise AccessDenied()
    return d


def client_dossier_ref(s: Session, user: User | None, dossier_id: object) -> Row[Any]:
    """client_dossier's check as a plain row (`.id`, `.firm_id`), without loading the
    dossier: what an upload needs, before its body and again once it is stored."""
    ref = s.connection().execute(_CLIENT_DOSSIER_REF, dossier_params(user, dossier_id)).first()
    if ref is None:
        raise AccessDenied()
    return ref
