"""Announcing new shares: each shared item leaves one notice per client of its
dossier; the outbox worker groups a client's notices into one email once the
grouping window has passed (see `due_groups`)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, delete, select

from espace.config import settings
from espace.domain import items as registry
from espace.domain.names import dossier_title, full_name
from espace.models import Client, Dossier, DossierClient, Firm, Role, ShareNotice, User, utcnow
from espace.services.mail import queueing

log = logging.getLogger("espace.share_notices")


def record(s: Session, firm_id: int, item: Any) -> None:
    """Call in the transaction that shares `item` (shared_at just set)."""
    category = registry.kind_of(item).key
    client_ids = s.exec(select(DossierClient.client_id).where(DossierClient.dossier_id == item.dossier_id)).all()
    for client_id in client_ids:
        s.add(ShareNotice(firm_id=firm_id, client_id=client_id, dossier_id=item.dossier_id,
                          category=category, item_id=item.id))


def forget(s: Session, item: Any) -> None:
    """Call in the transaction that unshares `item`: a pending notice is dropped."""
    category = registry.kind_of(item).key
    s.exec(delete(ShareNotice).where(col(ShareNotice.category) == category, col(ShareNotice.item_id) == item.id,
                                     col(ShareNotice.notified_at).is_(None)))


# --------------------------------------------------------------------------- grouping
SUBJECT = "Nouveaux éléments dans votre espace client"

def count_label(category: str, n: int) -> str:
    """"1 document", "3 documents", "2 rendez-vous", "2 temps passés"… (the registry's words)."""
    kind = registry.kind(category)
    if kind is None:
        raise KeyError(category)
    return f"{n} {kind.one if n <= 1 else kind.many}"


def _window() -> timedelta:
    return timedelta(minutes=settings.share_group_minutes)


def due_groups(s: Session, now: datetime | None = None) -> list[int]:
    """Ids of the clients whose oldest un-notified notice is older than the
    grouping window (SHARE_GROUP_MINUTES)."""
    cutoff = (now or utcnow()) - _window()
    return list(
        s.exec(
            select(ShareNotice.client_id)
            .where(col(ShareNotice.notified_at).is_(None))
            .group_by(col(ShareNotice.client_id))
            .having(func.min(ShareNotice.created_at) <= cutoff)
            .order_by(col(ShareNotice.client_id))
        ).all()
    )


def flush_due(s: Session, now: datetime | None = None) -> int:
    """For each due client, mark ALL their un-notified notices and queue ONE email,
    in one transaction per client (committed here): a crash loses nothing and a
    concurrent worker cannot announce the same notices twice. Returns the number
    of emails queued."""
    now = now or utcnow()
    queued = 0
    for client_id in due_groups(s, now):
        try:
            queued += _flush_client(s, client_id, now)
        except Exception:
            s.rollback()
            log.exception("share notice failed client=%s", client_id)
    return queued


def _still_shared(s: Session, client: Client, notices: Sequence[ShareNotice]) -> tuple[dict[str, int], set[int]]:
    """Of the notices, what is still shared in a dossier of the client's firm still
    linked to the client: the count per kind and the dossiers it is in."""
    linked = set(
        s.exec(
            select(DossierClient.dossier_id).join(Dossier, col(Dossier.id) == DossierClient.dossier_id)
            .where(DossierClient.client_id == client.id, Dossier.firm_id == client.firm_id)
        ).all()
    )
    wanted: dict[str, set[tuple[int, int]]] = {}
    for n in notices:
        if n.firm_id == client.firm_id and n.dossier_id in linked and registry.kind(n.category) is not None:
            wanted.setdefault(n.category, set()).add((n.item_id, n.dossier_id))
    counts: dict[str, int] = {}
    dossier_ids: set[int] = set()
    for category, pairs in wanted.items():
        kind = registry.kind(category)
        assert kind is not None  # filtered above
        model = kind.model
        rows = s.exec(
            select(model.id, model.dossier_id).where(col(model.id).in_([i for i, _ in pairs]),
                                                     col(model.shared_at).is_not(None))
        ).all()
        still = {(item_id, dossier_id) for item_id, dossier_id in rows} & pairs
        if still:
            counts[category] = len(still)
            dossier_ids.update(d for _, d in still)
    return counts, dossier_ids


def _flush_client(s: Session, client_id: int, now: datetime) -> int:
    notices = s.exec(
        select(ShareNotice).where(ShareNotice.client_id == client_id, col(ShareNotice.notified_at).is_(None))
        .order_by(col(ShareNotice.id))
    ).all()
    if not notices:
        return 0
    ids = [n.id for n in notices]
    # Take the notices: another worker doing the same gets fewer rows and backs off.
    taken = s.exec(
        update(ShareNotice).where(col(ShareNotice.id).in_(ids), col(ShareNotice.notified_at).is_(None))
        .values(notified_at=now)
    )
    if taken.rowcount != len(ids):
        s.rollback()
        log.info("share notices of client=%s taken by another worker", client_id)
        return 0
    client = s.get(Client, client_id)
    user = s.get(User, client.user_id) if client else None
    if client is None or user is None or not user.active or user.role != Role.client:
        s.commit()
        log.info("share notice skipped: inactive client=%s notices=%s", client_id, len(ids))
        return 0

    counts, dossier_ids = _still_shared(s, client, notices)
    if not counts:
        s.commit()
        log.info("share notice: nothing left to announce client=%s notices=%s", client_id, len(ids))
        return 0

    dossiers = s.exec(select(Dossier).where(col(Dossier.id).in_(dossier_ids)).order_by(col(Dossier.reference))).all()
    firm = s.get(Firm, client.firm_id)
    context = {
        "client_name": full_name(user),
        "firm_name": firm.name if firm else "",
        "items": [count_label(k.key, counts[k.key]) for k in registry.kinds() if k.key in counts],
        "dossiers": [dossier_title(d) for d in dossiers],
        "link": f"{settings.public_url}/connexion",
    }
    row = queueing.enqueue(s, user.email, SUBJECT, "share_notice", context, firm_id=client.firm_id,
                         sender_name=firm.name if firm else None, reply_to=firm.sender_email if firm else None)
    s.commit()
    log.info("share notice queued client=%s email=%s notices=%s items=%s", client_id, row.id, len(ids),
             context["items"])
    return 1
