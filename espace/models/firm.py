"""The firm and its people: firms, memberships (User), accounts, clients' details, the audit trail."""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import ClassVar

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from espace.models.base import utcnow


class Role(str, Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member stay "Class.member")
    client = "client"
    admin = "admin"  # « Administrateur du cabinet »: settings, Stripe keys, colleagues
    lawyer = "lawyer"  # « Avocat »
    staff = "staff"  # « Collaborateur »


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
    # After a password change or reset (or « ce n'est pas moi »): the passkeys no longer
    # open a session without the password until the person confirms them (step_up.py).
    passkeys_to_confirm: bool = False


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
    # The login before the last one: the home's « depuis votre dernière visite » (issue 13).
    previous_login_at: datetime | None = None
    # First login to this firm (or password chosen from this membership's invitation):
    # until then the firm sees « Invitation en attente » / « Mot de passe provisoire ».
    activated_at: datetime | None = None
    # The last invitation of this membership was the manual's temporary password.
    temporary_password_invite: bool = False
    # A firm that added a person who already had an account waits for their consent:
    # "pending" until they accept (then None), "refused" if they refuse; until then
    # nothing of this membership is open to them (services/accounts/identities.py).
    consent: str | None = Field(default=None, max_length=10)
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
