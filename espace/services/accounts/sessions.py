"""The open sessions of one account (« Mon compte » → Sessions ouvertes), for
clients and the firm's people alike: list them, close one, close all the others.

Every function takes the caller's own session token (the HttpOnly cookie read on
the server), never a user id: what it lists or closes is scoped to the user of that
session. A session id sent by a browser is range-checked; an id of another user's
session changes nothing. A closed session is refused at its next event or request
(auth.current_user checks `revoked_at` every time)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlmodel import Session, col, select, update
from ua_parser import parse

from espace.config import settings
from espace.db import session_scope
from espace.domain import french
from espace.domain.french import fdatetime
from espace.domain.ids import parse_id
from espace.domain.outcome import Outcome
from espace.models import AuthSession, User, utcnow
from espace.services import AccessDenied, audit
from espace.services import crypto as security
from espace.services.accounts.session_store import live_session

log = logging.getLogger(__name__)

# ua-parser compiles its rules at the first parse (~0.3 s, seconds on a busy machine):
# done here, when the app starts, rather than inside the first page event that lists
# sessions (a tab's events run one after the other: it would hold up the page's guard).
parse("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")

EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."
NOT_FOUND = "Cette session est déjà fermée."
CURRENT = "C'est la session de cet appareil : utilisez « Déconnexion »."


@lru_cache(maxsize=512)
def describe_device(user_agent: str) -> str:
    """« Chrome 131 — Windows 10 », from a User-Agent (« Appareil inconnu » without one)."""
    if not user_agent:
        return "Appareil inconnu"
    try:
        result = parse(user_agent)
    except Exception:  # a hostile header must not break the page
        log.warning("user agent not parsed: %r", user_agent[:120])
        return "Appareil inconnu"
    agent, system_ua = result.user_agent, result.os
    browser = agent.family if agent else ""
    if browser == "HeadlessChrome":
        browser = "Chrome"
    if agent and browser and browser != "Other" and agent.major:
        browser = f"{browser} {agent.major}"
    system = system_ua.family if system_ua else ""
    if system_ua and system and system != "Other" and system_ua.major and system not in ("Linux", "Ubuntu"):
        system = f"{system} {system_ua.major}"
    parts = [p for p in (browser, system) if p and not p.startswith("Other")]
    return " — ".join(parts) or "Appareil inconnu"


@dataclass(frozen=True, slots=True)
class SessionRow:
    """An open session as « Sessions ouvertes » lists it."""

    id: str
    device: str  # « Chrome 131 — Windows 10 »
    ip: str
    last_seen: str  # dd/mm/yyyy HH:mm, Paris
    current: bool  # this browser's own session


def _live_rows(s: Session, account_id: int) -> list[AuthSession]:
    """The person's open sessions, in every firm (one identity: services/identities.py)."""
    now = utcnow()
    idle = now - timedelta(minutes=settings.session_idle_minutes)
    return list(
        s.exec(
            select(AuthSession)
            .where(col(AuthSession.account_id) == account_id, col(AuthSession.revoked_at).is_(None),
                   col(AuthSession.expires_at) > now,
                   col(AuthSession.last_seen_at) > idle, col(AuthSession.ticket_hash).is_(None))
            .order_by(col(AuthSession.last_seen_at).desc(), col(AuthSession.id).desc())
        ).all()
    )


def list_sessions(token: str | None) -> list[SessionRow]:
    """The open sessions of the token's person (all their firms), the current one first."""
    with session_scope() as s:
        me = live_session(s, token or "")
        user = s.get(User, me.user_id) if me else None
        if me is None or user is None or not user.active:
            raise AccessDenied()
        rows = _live_rows(s, me.account_id)
        rows.sort(key=lambda r: r.id != me.id)  # stable: the current session first
        return [
            SessionRow(
                id=str(r.id),
                device=describe_device(r.user_agent or ""),
                ip=r.ip or "Adresse inconnue",
                last_seen=fdatetime(r.last_seen_at),
                current=r.id == me.id,
            )
            for r in rows
        ]


def revoke_session(token: str | None, session_id: object) -> Outcome[None]:
    """Close one other session of the token's user. An id that is not one of this
    user's open sessions (another user's, closed, malformed) changes nothing."""
    with session_scope() as s:
        me = live_session(s, token or "")
        user = s.get(User, me.user_id) if me else None
        if me is None or user is None or not user.active:
            return Outcome.refused({"form": EXPIRED})
        sid = parse_id(session_id)
        if sid is None:
            log.warning("session revoke: malformed id user=%s id=%r", user.id, str(session_id)[:40])
            return Outcome.refused({"form": NOT_FOUND})
        if sid == me.id:
            return Outcome.refused({"form": CURRENT})
        closed = s.exec(
            update(AuthSession)
            .where(col(AuthSession.id) == sid, col(AuthSession.account_id) == me.account_id,
                   col(AuthSession.revoked_at).is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        if closed != 1:
            log.warning("session revoke refused (not an open session of this user) user=%s id=%s", user.id, sid)
            return Outcome.refused({"form": NOT_FOUND})
        audit.record(s, user, "session_fermee", f"session {sid}")
        s.commit()
        log.info("session revoked from account page user=%s session=%s", user.id, sid)
        return Outcome.done(message="La session a été déconnectée.")


def revoke_other_sessions(token: str | None) -> Outcome[None]:
    """Close every session of the token's user except this one."""
    with session_scope() as s:
        me = live_session(s, token or "")
        user = s.get(User, me.user_id) if me else None
        if me is None or user is None or not user.active:
            return Outcome.refused({"form": EXPIRED})
        closed = s.exec(
            update(AuthSession)
            .where(col(AuthSession.account_id) == me.account_id, col(AuthSession.revoked_at).is_(None),
                   col(AuthSession.token_hash) != security.token_hash(token or ""))
            .values(revoked_at=utcnow())
        ).rowcount
        audit.record(s, user, "autres_sessions_fermees", french.count(closed, "session"))
        s.commit()
        log.info("other sessions revoked user=%s count=%s", user.id, closed)
        if closed == 0:
            return Outcome.done(message="Aucune autre session n'était ouverte.")
        return Outcome.done(message="Toutes les autres sessions ont été déconnectées.")
