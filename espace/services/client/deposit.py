"""A client deposits files into one of their dossiers (streamed by
services/deposits/receive.py), and the firm hears of them by ONE email per drop, not
one per file."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterable
from datetime import timedelta

from sqlmodel import col, update

from espace.config import settings
from espace.db import session_scope
from espace.domain import french
from espace.domain.names import full_name
from espace.models import Direction, Document, User, utcnow
from espace.services.client import access
from espace.services.client.recipients import firm_recipients
from espace.services.deposits.filenames import sanitize_filename
from espace.services.deposits.receive import DepositResult, receive_document
from espace.services.mail import outbox

log = logging.getLogger("espace.services.deposits")

BATCH_MAX = 200  # names listed in one notification email
BATCH_WINDOW = timedelta(hours=24)  # a notified name must be a deposit of the last 24 h


async def deposit_stream(user: User, dossier_id: object, filename: str, chunks: AsyncIterable[bytes],
                         declared_size: int | None = None, key: str | None = None) -> DepositResult:
    """Store one file deposited by a client into their dossier.

    Authorises first (AccessDenied before any chunk is read), then streams with the
    size limit enforced while reading. Done with the Upload (name, id), or refused
    (« « name » : raison », too large, unsupported or failed) leaving no file and no row. The same
    idempotency `key` again answers the first deposit made with it (receive_document)."""
    return await receive_document(user, dossier_id, filename, chunks, scope=access.client_dossier_ref,
                                  direction=Direction.depose, shared=True, action="depot",
                                  declared_size=declared_size, key=key)


def notify_batch(user: User, dossier_id: object, names: list[str]) -> None:
    """Tell the firm, in ONE email, about the files a client just deposited into a
    dossier. Only names of this client's deposits of the last 24 hours in that
    dossier that were not announced yet are listed (the list comes from the
    browser, which may send it again); nothing is sent if none remains. Mail
    failures are logged, never raised."""
    if not names:
        return
    wanted = [sanitize_filename(n) for n in list(names)[:BATCH_MAX] if isinstance(n, str) and n.strip()]
    if not wanted:
        return
    with session_scope() as s:
        d = access.client_dossier(s, user, dossier_id)
        # Claim the deposits to announce in one statement: each is announced once,
        # whatever the browser sends again (or at the same time).
        claimed = s.execute(
            update(Document)
            .where(
                col(Document.dossier_id) == d.id,
                col(Document.direction) == Direction.depose,
                col(Document.uploaded_by_id) == user.id,
                col(Document.created_at) >= utcnow() - BATCH_WINDOW,
                col(Document.notified_at).is_(None),
                col(Document.name).in_(set(wanted)),
            )
            .values(notified_at=utcnow())
            .returning(col(Document.name))
        ).scalars().all()
        listed = sorted(claimed, key=lambda n: (wanted.index(n), n))
        if not listed:
            s.rollback()
            log.warning("deposit notice skipped: nothing new to announce user=%s dossier=%s names=%r",
                        user.id, d.id, wanted)
            return
        recipients = [(p.id, p.email) for p in firm_recipients(s, d)]
        firm = d.firm_id
        reference, label = d.reference, d.label
        client_name = full_name(user)
        context = {
            "client_name": client_name,
            "dossier_reference": reference,
            "dossier_label": label,
            "names": listed,
            "admin_link": f"{settings.public_url}/admin",
        }
        count = len(listed)
        subject = f"{client_name} a déposé {french.count(count, 'document')} — {reference}"
        if not recipients:
            log.warning("deposit notice: nobody to notify firm=%s dossier=%s", firm, dossier_id)
        try:
            for _, email in recipients:
                outbox.enqueue(s, email, subject, "deposit_notice", context, firm_id=firm)
            s.commit()
        except Exception:
            log.exception("deposit notice not queued user=%s dossier=%s", user.id, dossier_id)
            return
    log.info("deposit notice queued user=%s dossier=%s to=%s files=%s",
             user.id, dossier_id, [p for p, _ in recipients], count)
