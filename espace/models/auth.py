"""Login and sessions: sessions, one-time links, throttling and lockout counts, second
factors (TOTP, recovery codes, passkeys) and the firms' two-factor policy."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from espace.models.base import utcnow


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
    # Step-up (services/accounts/step_up.py): until when this session may change a login
    # method (its person proved the password, and a second factor when they have one),
    # and its wrong confirmations (the session is closed at the fifth).
    step_up_until: datetime | None = None
    step_up_failures: int = 0


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


# --- Two-factor login (services/accounts/two_factor.py, services/accounts/passkeys.py) ---
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
