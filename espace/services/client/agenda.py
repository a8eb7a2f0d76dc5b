"""A client's appointments in their own calendar: one RDV as an .ics file
(« Ajouter à mon agenda »), and a subscription address listing all their shared RDV.

The .ics of one RDV is read for the acting client only (a shared RDV of a dossier they
are linked to in their firm). The subscription address carries a random token (32
bytes); only its sha256 is stored (CalendarFeed), so the address is shown once. One
address per client at a time: creating one revokes the previous; a revoked or unknown
token reads nothing. Creating and revoking are in the audit trail."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import BigInteger, literal
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from espace.config import settings
from espace.db import read_scope, session_scope
from espace.domain.french import fdatetime
from espace.domain.ids import parse_id
from espace.domain.names import dossier_title
from espace.models import CalendarFeed, Dossier, Firm, Rdv, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.client import access
from espace.services.crypto import new_token, token_hash

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
DURATION = timedelta(hours=1)  # an RDV has no end: an hour in the calendar
FEED_LIMIT = 500  # the most recent RDV of a feed (upcoming ones included)
FEED_PATH = "/api/agenda/{token}.ics"


@dataclass(frozen=True, slots=True)
class IcsFile:
    filename: str
    body: bytes


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """The client's current subscription address (never its token: shown once)."""

    active: bool
    created: str = ""  # dd/mm/yyyy HH:mm, Paris
    last_used: str = ""


def _client_row(s: Connection, user: User | None) -> tuple[int, int]:
    """(client id, firm id) of the acting client (services/client/access.py)."""
    key = access.client_key(s, user)
    return key.id, key.firm_id


def _rdv_query(client_id: int, firm_id: int) -> Any:
    """The shared RDV of the dossiers of this client in its firm, with their dossier."""
    return (
        core_select(col(Rdv.id), col(Rdv.starts_at), col(Rdv.place), col(Rdv.subject), col(Rdv.shared_at),
                    col(Dossier.reference), col(Dossier.label), col(Firm.name).label("firm_name"))
        .join(Dossier, col(Dossier.id) == Rdv.dossier_id)
        .join(Firm, col(Firm.id) == Dossier.firm_id)
        .where(col(Rdv.dossier_id).in_(access.dossier_ids(literal(client_id), literal(firm_id))),
               col(Rdv.shared_at).is_not(None))
    )


def _host() -> str:
    return urlsplit(settings.public_url).hostname or "espace"


def _event(r: Any) -> Event:
    start = r.starts_at.astimezone(PARIS)
    event = Event.new(
        uid=f"rdv-{r.id}@{_host()}",  # stable: a calendar updates the event, never duplicates it
        start=start, end=start + DURATION,
        summary=r.subject,
        location=r.place or None,
        description=f"Dossier : {dossier_title(r)} — {r.firm_name}",
        stamp=datetime.now(UTC),
        last_modified=r.shared_at,
    )
    return event


def _calendar(rows: list[Any], name: str, uid: str, method: str | None) -> bytes:
    cal = Calendar.new(prodid="-//espace//Mon espace client//FR", name=name, method=method, uid=f"{uid}@{_host()}",
                       subcomponents=[_event(r) for r in rows])
    cal.add_missing_timezones()  # the VTIMEZONE of Europe/Paris
    return bytes(cal.to_ical())


def rdv_ics(user: User | None, rdv_id: object) -> IcsFile:
    """One RDV of the acting client as an .ics file; AccessDenied when it is not one of
    their shared RDV (unknown, another client's, another firm's, not shared, malformed)."""
    number = parse_id(rdv_id)
    if number is None:
        raise AccessDenied()
    with read_scope() as s:
        client_id, firm_id = _client_row(s, user)
        row = s.execute(_rdv_query(client_id, firm_id)
                        .where(col(Rdv.id) == literal(number, BigInteger))).first()
    if row is None:
        raise AccessDenied()
    return IcsFile(f"rendez-vous-{row.id}.ics", _calendar([row], f"Rendez-vous — {row.firm_name}",
                                                         f"agenda-rdv-{row.id}", "PUBLISH"))


# --------------------------------------------------------------------------- the subscription
def _active(s: Session, user: User) -> list[CalendarFeed]:
    return list(s.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                  col(CalendarFeed.revoked_at).is_(None))).all())


def _client_user(s: Session, user: User | None) -> User:
    _client_row(s.connection(), user)
    assert user is not None
    return user


def feed_status(user: User | None) -> FeedStatus:
    with session_scope() as s:
        me = _client_user(s, user)
        feeds = _active(s, me)
    if not feeds:
        return FeedStatus(False)
    feed = max(feeds, key=lambda f: f.created_at)
    return FeedStatus(True, fdatetime(feed.created_at), fdatetime(feed.last_used_at))


def feed_url(token: str) -> str:
    return settings.public_url + FEED_PATH.format(token=token)


def create_feed(user: User | None, ip: str = "") -> str:
    """A new subscription address (its full https URL, to show once); the previous one
    of this client, if any, stops working."""
    token = new_token()
    with session_scope() as s:
        me = _client_user(s, user)
        now = utcnow()
        for old in _active(s, me):
            old.revoked_at = now
            s.add(old)
        assert me.id is not None
        s.add(CalendarFeed(user_id=me.id, token_hash=token_hash(token), created_at=now))
        audit.record(s, me, "agenda_abonnement_cree", "adresse d'abonnement à l'agenda créée", ip)
        s.commit()
    log.info("calendar feed created user=%s", me.id)
    return feed_url(token)


def revoke_feed(user: User | None, ip: str = "") -> bool:
    """Revoke the client's subscription address; False when there was none."""
    with session_scope() as s:
        me = _client_user(s, user)
        feeds = _active(s, me)
        if not feeds:
            return False
        now = utcnow()
        for feed in feeds:
            feed.revoked_at = now
            s.add(feed)
        audit.record(s, me, "agenda_abonnement_revoque", "adresse d'abonnement à l'agenda révoquée", ip)
        s.commit()
    log.info("calendar feed revoked user=%s", me.id)
    return True


def feed_ics(token: object) -> bytes:
    """The calendar of a subscription address: every shared RDV of its client in the
    firm. AccessDenied for an unknown or revoked token, or a client no longer active."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise AccessDenied()
    with session_scope() as s:
        feed = s.exec(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token),
                                                 col(CalendarFeed.revoked_at).is_(None))).first()
        if feed is None:
            raise AccessDenied()
        user = s.get(User, feed.user_id)
        client_id, firm_id = _client_row(s.connection(), user)
        rows = list(s.connection().execute(
            _rdv_query(client_id, firm_id).order_by(col(Rdv.starts_at).desc(), col(Rdv.id).desc()).limit(FEED_LIMIT)
        ).all())
        firm = s.get(Firm, firm_id)
        feed.last_used_at = utcnow()
        s.add(feed)
        s.commit()
    return _calendar(rows, f"Mes rendez-vous — {firm.name if firm else ''}".rstrip(" —"),
                     f"agenda-{feed.user_id}", None)
