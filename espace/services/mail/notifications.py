"""What the portal emails, one function per email. Emails go through the durable
outbox (services/outbox.py): pass the caller's session `s` to queue the email in
the same transaction as what it announces; without it, it is queued on its own."""
from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from espace.config import settings
from espace.db import session_scope
from espace.domain.names import full_name
from espace.models import OutboxEmail, User
from espace.services.mail import outbox

log = logging.getLogger("espace.notifications")


def _full_name(user: User) -> str:
    return full_name(user)


def _queue(s: Session | None, *args: Any, **kwargs: Any) -> OutboxEmail:
    if s is not None:
        return outbox.enqueue(s, *args, **kwargs)
    with session_scope() as own:
        row = outbox.enqueue(own, *args, **kwargs)
        own.commit()
        return row


def send_password_reset(user: User, token: str, s: Session | None = None, to: str | None = None) -> None:
    """Queue a password reset link. Never raises: the reset page must answer the
    same whatever happens, so failures are only logged."""
    link = f"{settings.public_url}/reinitialiser?jeton={token}"
    try:
        _queue(
            s,
            to or user.email,  # the account's identifier
            "Réinitialisation de votre mot de passe",
            "password_reset",
            {"link": link, "name": _full_name(user)},
            firm_id=user.firm_id,
        )
    except Exception:
        log.exception("password reset email failed user_id=%s", user.id)


def send_invitation(user: User, firm_name: str, token: str, valid_days: int = 7,
                    s: Session | None = None) -> OutboxEmail:
    """Queue the email that gives a new client the link to choose a password.
    The outbox worker sends it, retrying while the SMTP server refuses; the
    returned row tells whether it left (status, last_error)."""
    link = f"{settings.public_url}/activer?jeton={token}"
    return _queue(
        s,
        user.email,
        "Votre espace client est ouvert",
        "invitation",
        {
            "firm_name": firm_name,
            "client_name": _full_name(user),
            "identifier": user.email,
            "link": link,
            "valid_days": valid_days,
        },
        firm_id=user.firm_id,
        sender_name=firm_name,
    )


def send_security_notice(user: User, what: str, end_link: str, s: Session | None = None,
                         to: str | None = None) -> None:
    """Queue « Une méthode de connexion a été ajoutée / modifiée… Si ce n'est pas vous… »
    (services/accounts/step_up.py): what changed, and the one-time link that ends all
    the person's sessions."""
    _queue(
        s,
        to or user.email,  # the account's identifier
        "Sécurité de votre espace client : un changement sur votre compte",
        "security_notice",
        {"name": _full_name(user), "what": what, "end_link": end_link,
         "reset_link": f"{settings.public_url}/mot-de-passe-oublie"},
        firm_id=user.firm_id,
    )


def send_firm_security_notice(s: Session, to: str, name: str, what: str, advice: str, *, firm_id: int | None,
                              firm_name: str, end_link: str = "") -> None:
    """Queue the notice of a security change made on the firm's side (services/firm/
    security_changes.py): what changed and by whom, what to do if it is unexpected, and,
    for the person whose own access changed, the one-time link that ends all their
    sessions. In the caller's transaction (both or neither)."""
    _queue(
        s,
        to,
        f"Sécurité de votre espace : un changement fait par {firm_name}",
        "firm_security_notice",
        {"name": name, "what": what, "advice": advice, "end_link": end_link, "firm_name": firm_name},
        firm_id=firm_id,
        sender_name=firm_name,
    )
