"""Two-factor login: TOTP window and reuse, recovery codes, the pending login, the
firm policy, as a user or an attacker sees them."""
from __future__ import annotations

import re
import time

import pyotp
from sqlmodel import select

from espace.db import session_scope
from espace.models import AuthSession, LoginFailure, PendingLogin, RecoveryCode, Role, TotpFactor, User
from espace.services import crypto as security
from espace.services.accounts import auth, step_up, two_factor
from espace.services.firm import settings as firm_settings
from tests.services.accounts.step_up_helpers import session_for

CLIENT = ("academy@secib.fr", "a12RJ3d11P")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")


def _user(email=CLIENT[0]) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.email == email)).one()


def _enrol(user: User) -> tuple[str, list[str]]:
    token = session_for(user)
    enrolment = two_factor.start_totp(user, token).value
    # The code of the previous step: the login's own code (current step) is still fresh.
    previous = pyotp.TOTP(enrolment.secret).at(time.time() - 30)
    result = two_factor.confirm_totp(user, previous, token)
    assert result.ok, result.error
    return enrolment.secret, result.value


def test_enrolment_shows_a_qr_code_and_the_secret_and_stores_it_encrypted(demo):
    user = _user()
    token = session_for(user)
    enrolment = two_factor.start_totp(user, token).value
    assert re.fullmatch(r"[A-Z2-7]{32}", enrolment.secret)
    assert enrolment.uri.startswith("otpauth://totp/") and f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.svg.startswith("<svg") and "<path" in enrolment.svg
    # Not active until confirmed: the login still needs only the password.
    assert auth.login(*CLIENT).ok
    assert not two_factor.confirm_totp(user, "000000", token).ok or pyotp.TOTP(enrolment.secret).now() == "000000"
    # A session without a fresh step-up cannot confirm it (a QR code left on a screen).
    assert two_factor.confirm_totp(user, pyotp.TOTP(enrolment.secret).now(),
                                   session_for(user, stepped_up=False)).error == step_up.NEEDED
    result = two_factor.confirm_totp(user, pyotp.TOTP(enrolment.secret).now(), token)
    assert result.ok and len(result.value) == 10 and len(set(result.value)) == 10
    with session_scope() as s:
        row = s.exec(select(TotpFactor).where(TotpFactor.account_id == two_factor.account_of(user))).one()
        stored = s.exec(select(RecoveryCode)).all()
    assert enrolment.secret not in row.secret_enc and security.decrypt_secret(row.secret_enc) == enrolment.secret
    assert all(c.replace("-", "") not in r.code_hash for c in result.value for r in stored)


def test_password_alone_no_longer_opens_a_session(demo):
    user = _user()
    secret, _ = _enrol(user)
    with session_scope() as s:
        before = s.exec(select(AuthSession)).all()  # the enrolment's own session (step_up_helpers)
    result = auth.login(*CLIENT, "10.0.0.1")
    assert not result.ok and result.pending and not result.ticket and not result.error
    with session_scope() as s:
        assert s.exec(select(AuthSession)).all() == before
        pending = s.exec(select(PendingLogin)).one()
    assert pending.token_hash == security.token_hash(result.pending)  # only the hash is stored
    done = two_factor.complete_login(result.pending, pyotp.TOTP(secret).now(), "totp", "10.0.0.1")
    assert done.ok and done.ticket
    _token, opened = auth.open_session(done.ticket, done.browser_key)
    assert opened.id == user.id
    # The pending login is spent.
    again = two_factor.complete_login(result.pending, pyotp.TOTP(secret).now(), "totp", "10.0.0.1")
    assert not again.ok and again.error == two_factor.EXPIRED


def test_totp_window_is_one_step_either_side(demo):
    user = _user()
    secret, _ = _enrol(user)
    totp, now = pyotp.TOTP(secret), time.time()
    with session_scope() as s:
        assert not two_factor.verify_totp(s, two_factor.account_of(user), totp.at(now - 90), now)  # 3 steps old
        assert not two_factor.verify_totp(s, two_factor.account_of(user), totp.at(now + 60), now)  # 2 steps ahead
        assert two_factor.verify_totp(s, two_factor.account_of(user), totp.at(now + 30), now)  # next step: clock drift
        s.commit()


def test_a_code_is_never_accepted_twice(demo):
    user = _user()
    secret, _ = _enrol(user)
    code = pyotp.TOTP(secret).now()
    first = auth.login(*CLIENT, "10.0.0.1")
    assert two_factor.complete_login(first.pending, code, "totp", "10.0.0.1").ok
    # Someone who saw the code over the shoulder, within the same 30 seconds.
    second = auth.login(*CLIENT, "10.0.0.2")
    replay = two_factor.complete_login(second.pending, code, "totp", "10.0.0.2")
    assert not replay.ok and replay.error == two_factor.WRONG_CODE
    # And an older code than the last accepted one neither.
    older = pyotp.TOTP(secret).at(time.time() - 30)
    assert not two_factor.complete_login(second.pending, older, "totp", "10.0.0.2").ok


def test_recovery_code_works_once(demo):
    user = _user()
    _, codes = _enrol(user)
    first = auth.login(*CLIENT)
    assert two_factor.complete_login(first.pending, codes[3].lower().replace("-", " "), "recovery").ok
    second = auth.login(*CLIENT)
    reused = two_factor.complete_login(second.pending, codes[3], "recovery")
    assert not reused.ok and reused.error == two_factor.WRONG_RECOVERY
    assert two_factor.complete_login(second.pending, codes[4], "recovery").ok
    with session_scope() as s:
        assert two_factor.recovery_codes_left(s, two_factor.account_of(user)) == 8


def test_wrong_codes_count_as_failed_logins_and_end_the_pending_login(demo):
    user = _user()
    secret, _ = _enrol(user)
    result = auth.login(*CLIENT, "10.0.0.9")
    for _ in range(two_factor.PENDING_MAX_ATTEMPTS):
        wrong = two_factor.complete_login(result.pending, "123456" if pyotp.TOTP(secret).now() != "123456"
                                          else "654321", "totp", "10.0.0.9")
        assert not wrong.ok
    with session_scope() as s:
        failures = s.exec(select(LoginFailure).where(LoginFailure.scope == "identifier",
                                                      LoginFailure.key == CLIENT[0])).all()
    assert len(failures) == two_factor.PENDING_MAX_ATTEMPTS
    # The right code is now refused: this pending login is spent, and the identifier is throttled.
    late = two_factor.complete_login(result.pending, pyotp.TOTP(secret).now(), "totp", "10.0.0.9")
    assert not late.ok and late.error == two_factor.EXPIRED
    assert auth.login(*CLIENT, "10.0.0.9").error == auth.TOO_MANY


def test_a_forged_or_foreign_pending_token_gives_nothing(demo):
    _enrol(_user())
    assert not two_factor.complete_login("x" * 43, "123456", "totp").ok
    assert not two_factor.complete_login(["liste"], "123456", "totp").ok
    assert two_factor.pending_methods("") is None


def test_reenrolment_replaces_the_secret_and_the_codes(demo):
    user = _user()
    old_secret, old_codes = _enrol(user)
    token = session_for(user)
    new = two_factor.start_totp(user, token).value
    # Until confirmed, the old secret still works.
    with session_scope() as s:
        assert two_factor.verify_totp(s, two_factor.account_of(user), pyotp.TOTP(old_secret).now())
        s.commit()
    confirmed = two_factor.confirm_totp(user, pyotp.TOTP(new.secret).now(), token)
    assert confirmed.ok and set(confirmed.value).isdisjoint(old_codes)
    pending = auth.login(*CLIENT).pending
    assert not two_factor.complete_login(pending, old_codes[0], "recovery").ok
    with session_scope() as s:
        assert not two_factor.verify_totp(s, two_factor.account_of(user), pyotp.TOTP(old_secret).at(time.time() + 30))
    assert two_factor.complete_login(pending, confirmed.value[0], "recovery").ok


def test_disabling_needs_a_fresh_step_up(demo):
    user = _user()
    _enrol(user)
    for token in ("", "forged", session_for(user, stepped_up=False), session_for(user, minutes_ago=6),
                  session_for(_user(LAWYER[0]))):  # none, unknown, never confirmed, expired, someone else's
        refused = two_factor.disable_totp(user, token)
        assert not refused.ok and refused.error in (step_up.NEEDED, step_up.EXPIRED)
    assert auth.login(*CLIENT).pending  # still on
    assert two_factor.disable_totp(user, session_for(user, minutes_ago=4)).ok
    assert auth.login(*CLIENT).ok  # password alone again
    with session_scope() as s:
        assert s.exec(select(RecoveryCode)).all() == []


def test_regenerating_codes_needs_a_step_up_and_kills_the_old_ones(demo):
    user = _user()
    _, codes = _enrol(user)
    assert two_factor.regenerate_codes(user, session_for(user, stepped_up=False)).error == step_up.NEEDED
    fresh = two_factor.regenerate_codes(user, session_for(user))
    assert fresh.ok and len(fresh.value) == 10
    pending = auth.login(*CLIENT).pending
    assert not two_factor.complete_login(pending, codes[0], "recovery").ok
    assert two_factor.complete_login(pending, fresh.value[0], "recovery").ok


def test_changing_the_phone_needs_a_step_up(demo):
    """The finding: « Changer de téléphone » from any open session replaced the app."""
    user = _user()
    old_secret, old_codes = _enrol(user)
    refused = two_factor.start_totp(user, session_for(user, stepped_up=False))
    assert not refused.ok and refused.error == step_up.NEEDED
    # Nothing pending: the attacker has no secret to confirm, the old app still works.
    assert two_factor.confirm_totp(user, pyotp.TOTP(old_secret).now(), session_for(user)).error \
        == "Cette activation a expiré. Recommencez."
    pending = auth.login(*CLIENT).pending
    assert two_factor.complete_login(pending, old_codes[0], "recovery").ok


def test_firm_policy_requires_enrolment_by_role(demo):
    lawyer, client = _user(LAWYER[0]), _user()
    assert not two_factor.enrolment_required(lawyer) and not two_factor.enrolment_required(client)
    firm_settings.set_two_factor_policy(lawyer, True, False, token=session_for(lawyer))
    assert two_factor.get_policy(lawyer) == {"require_staff": True, "require_clients": False}
    assert two_factor.enrolment_required(lawyer) and not two_factor.enrolment_required(client)
    firm_settings.set_two_factor_policy(lawyer, False, True, token=session_for(lawyer))
    assert not two_factor.enrolment_required(lawyer) and two_factor.enrolment_required(client)
    # Another firm's policy is its own.
    with session_scope() as s:
        paul = s.exec(select(User).where(User.firm_id != client.firm_id, User.role == Role.client)).first()
    assert not two_factor.enrolment_required(paul)
    # Once enrolled, the client passes; the last factor cannot be removed while required.
    _enrol(client)
    assert not two_factor.enrolment_required(client)
    refused = two_factor.disable_totp(client, session_for(client))
    assert not refused.ok and refused.error == two_factor.LAST_FACTOR_REQUIRED


def test_a_client_cannot_set_the_firm_policy(demo):
    import pytest

    from espace.services import AccessDenied

    with pytest.raises(AccessDenied):
        firm_settings.set_two_factor_policy(_user(), True, True, token=session_for(_user()))
    with pytest.raises(AccessDenied):
        two_factor.get_policy(_user())


def test_cli_reset_removes_the_second_factors(demo):
    from espace.__main__ import main

    user = _user()
    _enrol(user)
    assert auth.login(*CLIENT).pending
    assert main(["reset-2fa", "--email", CLIENT[0].upper()]) == 0
    assert auth.login(*CLIENT).ok
    assert main(["reset-2fa", "--email", "personne@example.com"]) == 2


def test_second_factors_belong_to_the_account_across_firms(demo):
    """Sophie NOEL: one account, a membership in each demo firm."""
    with session_scope() as s:
        sophie = s.exec(select(User).where(User.email == "sophie.noel@example.com")).all()
    assert len(sophie) == 2 and sophie[0].account_id == sophie[1].account_id
    first, second = sophie
    leroy = _user("claire.leroy@example.com")
    firm_settings.set_two_factor_policy(leroy, False, True, token=session_for(leroy))  # the other firm requires it of its clients
    membership_there = first if first.firm_id == leroy.firm_id else second
    membership_here = second if membership_there is first else first
    assert two_factor.enrolment_required(membership_there) and not two_factor.enrolment_required(membership_here)
    # Enrolled from the firm that does not require it: satisfies the other one too.
    _, codes = _enrol(membership_here)
    assert not two_factor.enrolment_required(membership_there)
    # And the login (of the account) asks for it before any firm is chosen.
    pending = auth.login("sophie.noel@example.com", "Noel-Demo-2024").pending
    assert pending
    assert two_factor.complete_login(pending, codes[0], "recovery").ok
