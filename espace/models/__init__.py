"""Database tables. Every row belongs (directly or through its dossier) to a firm.

One module per domain; every table is re-exported here (`from espace.models import X`),
and importing this package registers all the tables on SQLModel.metadata (alembic/env.py).
"""
from __future__ import annotations

from espace.models.auth import (
    ACCOUNT_FK,
    AuthSession,
    FirmTwoFactorPolicy,
    LoginAttempt,
    LoginFailure,
    OneTimeToken,
    Passkey,
    PendingLogin,
    RecoveryCode,
    TotpFactor,
    WebauthnChallenge,
)
from espace.models.base import utcnow
from espace.models.dossiers import (
    Direction,
    Document,
    Dossier,
    DossierClient,
    Facture,
    FactureStatus,
    Frais,
    Rdv,
    Tache,
    TempsPasse,
)
from espace.models.firm import Account, AuditEvent, Client, Firm, Role, User
from espace.models.messages import (
    CalendarFeed,
    ClientCount,
    ContactRequest,
    ContactStatus,
    ItemSeen,
    Message,
    MessageDirection,
    OutboxEmail,
    ShareNotice,
)
from espace.models.payments import Payment, PaymentDecline, StripeEvent

__all__ = [
    "ACCOUNT_FK",
    "Account",
    "AuditEvent",
    "AuthSession",
    "CalendarFeed",
    "Client",
    "ClientCount",
    "ContactRequest",
    "ContactStatus",
    "Direction",
    "Document",
    "Dossier",
    "DossierClient",
    "Facture",
    "FactureStatus",
    "Firm",
    "FirmTwoFactorPolicy",
    "Frais",
    "ItemSeen",
    "LoginAttempt",
    "LoginFailure",
    "Message",
    "MessageDirection",
    "OneTimeToken",
    "OutboxEmail",
    "Passkey",
    "Payment",
    "PaymentDecline",
    "PendingLogin",
    "Rdv",
    "RecoveryCode",
    "Role",
    "ShareNotice",
    "StripeEvent",
    "Tache",
    "TempsPasse",
    "TotpFactor",
    "User",
    "WebauthnChallenge",
    "utcnow",
]
