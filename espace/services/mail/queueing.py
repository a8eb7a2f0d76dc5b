"""Writing an email into the durable outbox (services/mail/outbox.py delivers it).

Apart from the outbox so that what queues emails (share notices, notifications)
does not import the worker that calls it back (share_notices.flush_due)."""
from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from espace.models import OutboxEmail


def enqueue(s: Session, to: str, subject: str, template: str, context: dict[str, Any], *,
            firm_id: int | None = None, reply_to: str | None = None, sender_name: str | None = None) -> OutboxEmail:
    """Queue one email; it is sent only if the caller's transaction commits."""
    row = OutboxEmail(firm_id=firm_id, to=to, subject=subject, template=template,
                      context_json=json.dumps(context, ensure_ascii=False, default=str),
                      reply_to=reply_to, sender_name=sender_name)
    s.add(row)
    return row
