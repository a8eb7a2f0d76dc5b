"""What second factors an account has, and what its firm requires: the reads that the
login, the pending login, passkeys and Mon compte › Sécurité share.

Second factors belong to the account (the login identity): `account_id` everywhere.
A firm may require a second factor of its staff and/or its clients: a person without
one is then sent to /double-authentification before any page."""
from __future__ import annotations

import time
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from espace.db import get_engine, session_scope
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
    person may reach only /double-authentification. `user`: a User or an auth.Actor.
    Every event runs it: the firm's rule comes from this process's copy (firm_rule), and
    the account's factors are read only in a firm that requires them."""
    if user is None:
        return False
    staff_rule, clients_rule = firm_rule(user.firm_id)
    if not (clients_rule if user.role == Role.client else staff_rule):
        return False
    return recent_reads.remembered(("enrolment", user.id, user.firm_id, user.role), lambda: _lacks_factor(user))


def _lacks_factor(user: Member) -> bool:
    with session_scope() as s:
        account_id = account_id_of(s, user)
        return account_id is not None and not has_second_factor(s, account_id)


# --------------------------------------------------------------------------- the firm's rule, per process
# The rule is the firm's, changed by an administrator a few times in the firm's life,
# while every event of every member asks for it: each process keeps it per firm for
# RULE_FOR_SECONDS. A change made in this process (settings.set_two_factor_policy, or any write naming the
# table) is seen by the very next event. A change made in another worker (production
# runs several) is seen there within RULE_FOR_SECONDS: a short TTL rather than a shared
# version counter — the same window as the session reads (recent_reads.READ_FOR_SECONDS),
# not more: an administrator who requires a second factor expects the very next page of a
# member without one to ask for it, whichever worker serves that page (5 s was tried: the
# browser test of the firm's policy, on two workers, then reached /admin/clients and the
# API without enrolling). The person already holds a live session (checked at every event,
# web/tab_identity.py); revocation never depends on this rule.
RULE_FOR_SECONDS = recent_reads.READ_FOR_SECONDS
_RULE_TABLE = FirmTwoFactorPolicy.__tablename__
# firm id -> (the engine it was read from, monotonic time, require staff, require clients)
_rules: dict[int, tuple[Engine, float, bool, bool]] = {}


def firm_rule(firm_id: int) -> tuple[bool, bool]:
    """(require a second factor of the staff, of the clients) for the firm."""
    engine, now = get_engine(), time.monotonic()
    hit = _rules.get(firm_id)
    if hit is not None and hit[0] is engine and now - hit[1] <= RULE_FOR_SECONDS:
        return hit[2], hit[3]  # the engine too: tests (and a restore) point at another database
    with session_scope() as s:
        p = s.get(FirmTwoFactorPolicy, firm_id)
        staff_rule, clients_rule = (bool(p.require_staff), bool(p.require_clients)) if p else (False, False)
    _rules[firm_id] = (engine, now, staff_rule, clients_rule)
    return staff_rule, clients_rule


def forget_rules() -> None:
    """After a change of a firm's rule in this process (settings.set_two_factor_policy, once committed)."""
    _rules.clear()


@event.listens_for(Engine, "after_cursor_execute")
def _forget_rules_after_writes(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if _rules and _RULE_TABLE in statement and not statement.lstrip()[:6].upper().startswith("SELECT"):
        _rules.clear()
