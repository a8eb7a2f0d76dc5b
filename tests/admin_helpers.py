"""Helpers shared by the service tests (people of the demo, sessions, queued and sent emails)."""
from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.demo import LEROY_EMAIL, PAUL_EMAIL
from espace.models import Account, Client, OutboxEmail, User
from espace.services.accounts import auth
from espace.services.mail import outbox


def user_by_email(email: str) -> User:
    with session_scope() as s:
        # The person's first membership (one identity may have several, one per firm).
        return s.exec(select(User).where(User.email == email).order_by(User.id)).first()


def account_by_email(email: str) -> Account:
    """The person's account (login identifier, password) behind an address."""
    with session_scope() as s:
        return s.exec(select(Account).where(Account.email == email)).one()


def user(user_id: int) -> User:
    with session_scope() as s:
        return s.get(User, user_id)


def claire() -> User:
    return user_by_email(LEROY_EMAIL)


def people(demo: dict) -> dict[str, User]:
    """The demo firm's lawyer, its client Luce, and the other firm's lawyer Claire."""
    return {"lawyer": user(demo["lawyer_id"]), "luce": user(demo["client_user_id"]), "claire": claire()}


def paul_client_id() -> int:
    with session_scope() as s:
        return s.exec(select(Client.id).join(User, User.id == Client.user_id).where(User.email == PAUL_EMAIL)).one()


def session_token(identifier: str, password: str) -> str:
    result = auth.login(identifier, password, "127.0.0.1")
    assert result.ok, result.error
    opened = auth.open_session(result.ticket, result.browser_key)
    assert opened is not None
    return opened[0]


def queued(to: str) -> list[tuple[OutboxEmail, dict]]:
    """The emails queued for `to` (outbox rows), oldest first, with their context."""
    with session_scope() as s:
        rows = s.exec(select(OutboxEmail).where(OutboxEmail.to == to).order_by(OutboxEmail.id)).all()
        return [(r, json.loads(r.context_json)) for r in rows]


def sent_emails() -> list[Path]:
    """The emails written by one run of the outbox worker (DATA_DIR/outbox/*.eml), by name."""
    outbox.run_once()
    return sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []


def recount() -> None:
    """After rows written directly (not through the services): the clients' maintained
    counts recomputed, as `python -m espace recount --repair` does."""
    from espace.services.shared import counters

    with session_scope() as s:
        counters.recount(s.connection())
        s.commit()
