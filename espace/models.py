"""Database tables. Every row belongs (directly or through its dossier) to a firm."""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import ClassVar

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC now: SQLModel stores aware datetimes and returns them in UTC."""
    return datetime.now(timezone.utc)


class Role(str, Enum):
    client = "client"
    admin = "admin"  # « Administrateur du cabinet »: settings, Stripe keys, colleagues
    lawyer = "lawyer"  # « Avocat »
    staff = "staff"  # « Collaborateur »


class Direction(str, Enum):
    recu = "recu"  # shared by the firm
    depose = "depose"  # deposited by a client


class FactureStatus(str, Enum):
    a_regler = "a_regler"
    payee = "payee"


class Firm(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    sender_email: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Logo shown on the client pages (file under DATA_DIR/documents, served by /api/logo/<firm>).
    logo_key: str | None = None
    logo_content_type: str | None = None
    # Online payment (Stripe). Secrets are encrypted with the app secret (security.encrypt_secret).
    payments_enabled: bool = False
    stripe_publishable_key: str | None = None
    stripe_secret_key_enc: str | None = None
    stripe_webhook_secret_enc: str | None = None
    # Invitation flow: a one-time link (default) or the manual's temporary password.
    invite_with_temporary_password: bool = False


class User(SQLModel, table=True):
    """A person's membership in one firm: a client, a lawyer or a staff member of that
    firm. The login identifier and the password live on the person's Account (one
    account, one membership per firm it belongs to)."""

    __table_args__ = (UniqueConstraint("account_id", "firm_id", name="uq_user_account_firm"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # Where this firm writes to the person (lower-case); set only through
    # services/identities.py, which also moves the account's identifier when it may.
    email: str = Field(index=True)
    nom: str
    prenom: str
    role: Role = Field(sa_column=Column(SAEnum(Role, native_enum=False, length=10), nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None  # last login to THIS firm
    # First login to this firm (or password chosen from this membership's invitation):
    # until then the firm sees « Invitation en attente » / « Mot de passe provisoire ».
    activated_at: datetime | None = None
    # The last invitation of this membership was the manual's temporary password.
    temporary_password_invite: bool = False
    # Not a column: the account's flag, copied here by auth.current_user / open_session
    # (a temporary password must be replaced before anything else).
    must_change_password: ClassVar[bool] = False


class Client(SQLModel, table=True):
    """The contact details of a client user."""

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    email: str
    adresse: str = ""
    code_postal: str = ""
    ville: str = ""
    tel: str = ""
    mobile: str = ""


class Dossier(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("firm_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    reference: str
    label: str
    interlocutor_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class DossierClient(SQLModel, table=True):
    """A dossier can have several clients and a client several dossiers."""

    __tablename__ = "dossier_client"
    dossier_id: int = Field(foreign_key="dossier.id", primary_key=True)
    client_id: int = Field(foreign_key="client.id", primary_key=True, index=True)


class _SharedItem(SQLModel):
    """Common columns of what a firm shares into a dossier; shared_at null = hidden."""

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    shared_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Document(_SharedItem, table=True):
    __table_args__ = (Index("ix_document_dossier_shared", "dossier_id", "shared_at"),)

    direction: Direction = Field(
        sa_column=Column(SAEnum(Direction, native_enum=False, length=10), nullable=False)
    )
    name: str
    doc_date: date
    storage_key: str  # file name under DATA_DIR/documents, never the user's name
    size: int
    sha256: str
    content_type: str
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    opened_at: datetime | None = None  # first download by the firm (deposits)
    notified_at: datetime | None = None  # a client's deposit announced to the firm (once)


class Rdv(_SharedItem, table=True):
    __table_args__ = (Index("ix_rdv_dossier_shared", "dossier_id", "shared_at"),)

    starts_at: datetime
    place: str = ""
    subject: str


class Facture(_SharedItem, table=True):
    __table_args__ = (Index("ix_facture_dossier_shared", "dossier_id", "shared_at"),)

    number: str
    date: date
    amount_cents: int
    status: FactureStatus = Field(
        default=FactureStatus.a_regler,
        sa_column=Column(SAEnum(FactureStatus, native_enum=False, length=10), nullable=False),
    )
    due_date: date | None = None
    payable_online: bool = False
    paid_at: datetime | None = None


class Tache(_SharedItem, table=True):
    __table_args__ = (Index("ix_tache_dossier_shared", "dossier_id", "shared_at"),)

    date: date
    label: str
    done: bool = False


class TempsPasse(_SharedItem, table=True):
    __tablename__ = "temps_passe"
    __table_args__ = (Index("ix_temps_passe_dossier_shared", "dossier_id", "shared_at"),)

    date: date
    minutes: int
    description: str
    lawyer_id: int | None = Field(default=None, foreign_key="user.id")


class Frais(_SharedItem, table=True):
    __table_args__ = (Index("ix_frais_dossier_shared", "dossier_id", "shared_at"),)

    date: date
    amount_cents: int
    label: str


class AuthSession(SQLModel, table=True):
    """A server-side login session; only the sha256 of its token is stored."""

    __tablename__ = "auth_session"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    # The membership chosen for this session; null while a person with several
    # memberships has not yet chosen a firm (/choisir-cabinet).
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    token_hash: str = Field(unique=True)
    # One-time ticket that turns into the HttpOnly cookie (see api.open_session).
    ticket_hash: str | None = Field(default=None, unique=True)
    ticket_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    ip: str = ""
    # The browser that opened the session (shown in « Mon compte » as browser and system).
    user_agent: str = ""


class OneTimeToken(SQLModel, table=True):
    """Password reset (1 hour, per account) and invitation (7 days, per membership:
    user_id set) links; single use."""

    __tablename__ = "one_time_token"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    purpose: str  # "reset" | "invite"
    token_hash: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LoginAttempt(SQLModel, table=True):
    """Failed logins and reset requests, counted to throttle guessing."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_identifier_at", "identifier", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "login"  # "login" | "reset"
    identifier: str
    ip: str
    at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_firm_at", "firm_id", "at"),
        Index("ix_audit_subject_at", "subject_user_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    # The client concerned (for the per-client trail), when not the actor.
    subject_user_id: int | None = Field(default=None, foreign_key="user.id")
    action: str
    detail: str = ""
    ip: str = ""
    at: datetime = Field(default_factory=utcnow)


class ContactStatus(str, Enum):
    en_attente = "en_attente"  # waiting for the firm
    acceptee = "acceptee"  # applied to the client's details
    refusee = "refusee"
    remplacee = "remplacee"  # superseded by a newer request of the same client


class ContactRequest(SQLModel, table=True):
    """A client's request to change their contact details; applied only when the
    firm accepts it (the Client row and the User's names stay as they are until then)."""

    __tablename__ = "contact_request"
    __table_args__ = (Index("ix_contact_request_client_status", "client_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    client_id: int = Field(foreign_key="client.id")
    status: ContactStatus = Field(
        default=ContactStatus.en_attente,
        sa_column=Column(SAEnum(ContactStatus, native_enum=False, length=12), nullable=False),
    )
    nom: str
    prenom: str
    email: str
    adresse: str
    code_postal: str
    ville: str
    tel: str
    mobile: str
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    refusal_reason: str = ""


class MessageDirection(str, Enum):
    client = "client"  # written by a client to the firm
    cabinet = "cabinet"  # written by the firm to the client(s) of the dossier


class Message(SQLModel, table=True):
    """A message of a dossier's thread between its client(s) and the firm."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_dossier_created", "dossier_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    sender_id: int = Field(foreign_key="user.id")
    direction: MessageDirection = Field(
        sa_column=Column(SAEnum(MessageDirection, native_enum=False, length=10), nullable=False)
    )
    subject: str  # "Objet"
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None  # null = not yet read by the recipient side


class OutboxEmail(SQLModel, table=True):
    """Durable email queue: written in the same transaction as what it announces,
    delivered by the outbox worker, retried with backoff, sent once."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    to: str
    subject: str
    template: str
    context_json: str = "{}"
    reply_to: str | None = None
    sender_name: str | None = None
    status: str = "pending"  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ShareNotice(SQLModel, table=True):
    """One shared item waiting to be announced to one client; grouped per client
    into one email once the grouping window has passed (services/share_notices)."""

    __tablename__ = "share_notice"
    __table_args__ = (
        Index("ix_share_notice_pending", "notified_at", "client_id"),
        Index("ix_share_notice_item", "category", "item_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    client_id: int = Field(foreign_key="client.id")
    dossier_id: int = Field(foreign_key="dossier.id")
    category: str  # documents | rdv | factures | taches | temps-passes | frais
    item_id: int
    created_at: datetime = Field(default_factory=utcnow)
    notified_at: datetime | None = None


class Payment(SQLModel, table=True):
    """A Stripe PaymentIntent for an invoice: one open intent per invoice, reused."""

    __table_args__ = (Index("ix_payment_facture", "facture_id"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    facture_id: int = Field(foreign_key="facture.id")
    user_id: int = Field(foreign_key="user.id")
    stripe_payment_intent_id: str = Field(unique=True)
    amount_cents: int
    currency: str = "eur"
    status: str = "open"  # open | succeeded | failed | canceled
    created_at: datetime = Field(default_factory=utcnow)
    succeeded_at: datetime | None = None


class StripeEvent(SQLModel, table=True):
    """Stripe events already handled (webhook idempotency)."""

    __tablename__ = "stripe_event"
    id: str = Field(primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    type: str
    received_at: datetime = Field(default_factory=utcnow)


class LoginFailure(SQLModel, table=True):
    """A failed login as the lockout counts it (services/login_guard.py): `scope` is
    "device" (key: the nonce of a device cookie), "identifier" (failures of browsers
    without a device cookie of it) or "address" (failures from an untrusted address)."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_scope_key_at", "scope", "key", "at"),
                      Index("ix_login_failure_at", "at"))
    id: int | None = Field(default=None, primary_key=True)
    scope: str
    key: str
    at: datetime = Field(default_factory=utcnow)


class Account(SQLModel, table=True):
    """One person's identity: the login identifier and the password (and, later, the
    second factors). Its memberships (User rows, one per firm) decide where it may go."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)  # the login identifier, normalized (lower-case)
    password_hash: str | None = None
    password_changed_at: datetime | None = None
    # Set for a temporary password (manual's invitation flow): must be changed at first login.
    must_change_password: bool = False
    created_at: datetime = Field(default_factory=utcnow)


# --- Two-factor login (services/two_factor.py, services/passkeys.py) ---------------
# Second factors belong to the login identity (ACCOUNT_FK): the person, whatever firm.
ACCOUNT_FK = "account.id"


class TotpFactor(SQLModel, table=True):
    """An authenticator app (TOTP, RFC 6238). The secret is encrypted with the app
    secret; `pending_secret_enc` is an enrolment not yet confirmed by a code."""

    __tablename__ = "totp_factor"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key=ACCOUNT_FK, unique=True)
    secret_enc: str | None = None
    enabled_at: datetime | None = None
    # The last accepted 30-second step: a code is never accepted twice.
    last_step: int | None = None
    pending_secret_enc: str | None = None
    pending_at: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """Single-use recovery codes (10 per enrolment), stored as keyed hashes."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key=ACCOUNT_FK, index=True)
    code_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class Passkey(SQLModel, table=True):
    """A WebAuthn credential (passkey) of an account."""

    __tablename__ = "passkey"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key=ACCOUNT_FK, index=True)
    credential_id: str = Field(unique=True)  # base64url
    public_key: str  # COSE key, base64url
    sign_count: int = 0
    transports: str = ""  # comma-separated
    name: str
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None


class WebauthnChallenge(SQLModel, table=True):
    """A WebAuthn challenge given to a browser: single use, 2 minutes. `account_id`
    is set for a registration, `pending_login_id` for a second factor, neither for a
    passwordless login."""

    __tablename__ = "webauthn_challenge"
    id: int | None = Field(default=None, primary_key=True)
    challenge_hash: str = Field(unique=True)
    purpose: str  # "register" | "login" | "second_factor"
    account_id: int | None = Field(default=None, foreign_key=ACCOUNT_FK)
    pending_login_id: int | None = None
    expires_at: datetime = Field(index=True)


class PendingLogin(SQLModel, table=True):
    """A correct password waiting for its second factor: no session exists yet."""

    __tablename__ = "pending_login"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key=ACCOUNT_FK)
    token_hash: str = Field(unique=True)
    ip: str = ""
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


class FirmTwoFactorPolicy(SQLModel, table=True):
    """Whether a firm requires a second factor of its staff and/or of its clients."""

    __tablename__ = "firm_two_factor_policy"
    firm_id: int = Field(foreign_key="firm.id", primary_key=True)
    require_staff: bool = False
    require_clients: bool = False


class PaymentDecline(SQLModel, table=True):
    """A card declined while a client paid an invoice online: counted per client and
    per invoice over the last hour to stop card testing (services/payments.py)."""

    __tablename__ = "payment_decline"
    __table_args__ = (
        Index("ix_payment_decline_user_at", "user_id", "at"),
        Index("ix_payment_decline_facture_at", "facture_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    facture_id: int = Field(foreign_key="facture.id")
    user_id: int = Field(foreign_key="user.id")
    code: str = ""
    at: datetime = Field(default_factory=utcnow)
