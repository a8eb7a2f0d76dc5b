"""What second factors an account has, and what its firm requires: the reads that the
login, the pending login, passkeys and Mon compte › Sécurité share.

Second factors belong to the account (the login identity): `account_id` everywhere.
A firm may require a second factor of its staff and/or its clients: a person without
one is then sent to /double-authentification before any page."""
from __future__ import annotations

from typing import Protocol

from sqlmodel import Session, col, func, select

from espace.db import session_scope
from espace.models import Account, FirmTwoFactorPolicy, Passkey, RecoveryCode, Role, TotpFactor, User
from espace.services.accounts import recent_reads
from espace.services.accounts.session_store import stored_id

LAST_FACTOR_REQUIRED = ("Votre cabinet exige la double authentification : ajoutez une autre méthode "
                        "avant de retirer celle-ci.")


class Member(Protocol):
    """A membership as the services see it: a User row or an auth.Actor."""

    @property
    def id(self) -> int | None: ...
    @property
    def firm_id(self) -> int: ...
    @property
    def role(self) -> Role: ...


def account_of(user: User | Account) -> int:
    """The account (login identity) of a User row (a membership), or of an Account."""
    return stored_id(user) if isinstance(user, Account) else user.account_id


def account_id_of(s: Session, user: Member) -> int | None:
    """account_of, also for an auth.Actor (which carries the membership's id only)."""
    if isinstance(user, (User, Account)):
        return account_of(user)
    return s.exec(select(User.account_id).where(col(User.id) == user.id)).first()


def totp_row(s: Session, account_id: int) -> TotpFactor | None:
    return s.exec(select(TotpFactor).where(col(TotpFactor.account_id) == account_id)).first()


def totp_enabled(s: Session, account_id: int) -> bool:
    row = totp_row(s, account_id)
    return bool(row and row.secret_enc)


def factor_count(s: Session, account_id: int) -> tuple[bool, int]:
    """(authenticator app enabled, number of passkeys)."""
    totp = totp_enabled(s, account_id)
    keys = s.exec(select(func.count()).select_from(Passkey).where(col(Passkey.account_id) == account_id)).one()
    return totp, keys


def has_second_factor(s: Session, account_id: int) -> bool:
    totp, keys = factor_count(s, account_id)
    return totp or keys > 0


def recovery_codes_left(s: Session, account_id: int) -> int:
    return s.exec(select(func.count()).select_from(RecoveryCode)
                  .where(col(RecoveryCode.account_id) == account_id, col(RecoveryCode.used_at).is_(None))).one()


def policy_for_firm(s: Session, firm_id: int) -> FirmTwoFactorPolicy:
    return s.get(FirmTwoFactorPolicy, firm_id) or FirmTwoFactorPolicy(firm_id=firm_id)


def required_for(s: Session, user: Member) -> bool:
    """Whether the user's firm requires a second factor for the user's role."""
    p = s.get(FirmTwoFactorPolicy, user.firm_id)
    if p is None:
        return False
    return bool(p.require_clients) if user.role == Role.client else bool(p.require_staff)


def enrolment_required(user: Member | None) -> bool:
    """True when the firm requires a second factor and the account has none yet: the
    person may reach only /double-authentification. `user`: a User or an auth.Actor."""
    if user is None:
        return False
    return recent_reads.remembered(("enrolment", user.id, user.firm_id, user.role), lambda: _enrolment_required(user))


def _enrolment_required(user: Member) -> bool:
    with session_scope() as s:
        if not required_for(s, user):
            return False
        account_id = account_id_of(s, user)
        return account_id is not None and not has_second_factor(s, account_id)
