"""The audit trail: who did what, when, from where."""
from __future__ import annotations

import logging

from sqlmodel import Session

from espace.models import AuditEvent, User

log = logging.getLogger("espace.audit")


def record(session: Session, user: User | None, action: str, detail: str = "", ip: str = "") -> None:
    session.add(
        AuditEvent(
            firm_id=user.firm_id if user else None,
            user_id=user.id if user else None,
            action=action,
            detail=detail[:500],
            ip=ip[:64],
        )
    )
    log.info("audit action=%s user=%s detail=%s ip=%s", action, user.id if user else None, detail, ip)
