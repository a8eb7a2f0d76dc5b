"""The durable email outbox: `enqueue` writes an email row in the caller's
transaction; the outbox worker delivers it (mailer.send), retrying with backoff."""
from __future__ import annotations

import json

from sqlmodel import Session

from espace.models import OutboxEmail


def enqueue(s: Session, to: str, subject: str, template: str, context: dict, *, firm_id: int | None = None,
            reply_to: str | None = None, sender_name: str | None = None) -> OutboxEmail:
    """Queue one email; it is sent only if the caller's transaction commits."""
    row = OutboxEmail(firm_id=firm_id, to=to, subject=subject, template=template,
                      context_json=json.dumps(context, ensure_ascii=False, default=str),
                      reply_to=reply_to, sender_name=sender_name)
    s.add(row)
    return row
