"""Step-up for every security change (issue 22, item 1), as the person and an attacker
holding an open session see it: the proof asked, its 5 minutes on that session only, the
e-mail and its « déconnecter toutes mes sessions » link, the audit trail, and what a
password change or reset does to the sessions and the passkeys."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pyotp
from sqlmodel import col, select, update

from espace.db import session_scope
from espace.models import Account, AuditEvent, AuthSession, OneTimeToken, OutboxEmail, User, utcnow
from espace.services.accounts import auth, passkeys, step_up, step_up_proof, two_factor
from tests.services.accounts.step_up_helpers import session_for
from tests.services.accounts.test_passkeys import SoftAuthenticator

CLIENT = ("academy@secib.fr", "a12RJ3d11P")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")


def _user(email=CLIENT[0]) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.email == email)).one()


def _login(identifier=CLIENT[0], password=CLIENT[1]) -> str:
    result = auth.login(identifier, password)
    assert result.ok, result.error
    return auth.open_session(result.ticket, result.browser_key)[0]


def _notices(to=CLIENT[0]) -> list[dict]:
    with session_scope() as s:
        rows = s.exec(select(OutboxEmail).where(OutboxEmail.to == to, OutboxEmail.template == "security_notice")
                      .order_by(col(OutboxEmail.id))).all()
        return [{"subject": r.subject, **json.loads(r.context_json)} for r in rows]


def _actions(user: User) -> list[str]:
    with session_scope() as s:
        return list(s.exec(select(AuditEvent.action).where(AuditEvent.user_id == user.id)
                           .order_by(col(AuditEvent.id))).all())


def _live(token: str) -> bool:
    return auth.current_user(token) is not None


def _link(notice: dict) -> str:
    return notice["end_link"].split("jeton=", 1)[1]


def test_a_session_without_step_up_changes_no_login_method(demo):
    """The finding: any open session replaced the app, added or removed a passkey."""
    luce = _user()
    token = session_for(luce)
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Clé", token).ok
    key_id = two_factor.overview(luce.account_id).passkeys[0].id
    stolen = session_for(luce, stepped_up=False)  # a computer left open
    for refused in (two_factor.start_totp(luce, stolen), two_factor.regenerate_codes(luce, stolen),
                    passkeys.remove(luce, key_id, stolen), step_up.confirm_passkeys(luce, stolen)):
        assert not refused.ok and refused.error == step_up.NEEDED
    assert passkeys.registration_options(luce, stolen) is None
    assert len(two_factor.overview(luce.account_id).passkeys) == 1


def test_the_proof_is_the_password_then_a_code_and_lasts_five_minutes_on_that_session(demo):
    luce = _user()
    token = session_for(luce, stepped_up=False)
    other = session_for(luce, stepped_up=False)
    assert step_up_proof.confirm(token, luce, "mauvais").error == step_up_proof.WRONG
    assert step_up_proof.confirm(token, luce, CLIENT[1]).ok  # no second factor: the password
    assert step_up.confirmed(token, luce) and not step_up.confirmed(other, luce)
    # Luce's proof does not serve Marc, and Marc's session cannot confirm as Luce.
    marc = _user("marc.bertrand@example.com")
    assert not step_up.confirmed(token, marc)
    assert step_up_proof.confirm(session_for(marc, stepped_up=False), luce, CLIENT[1]).error == step_up.EXPIRED
    # Five minutes later it is gone.
    with session_scope() as s:
        s.exec(update(AuthSession).where(col(AuthSession.token_hash) != "").values(
            step_up_until=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert not step_up.confirmed(token, luce)
    assert "identite_confirmee" in _actions(luce) and "confirmation_identite_refusee" in _actions(luce)


def test_with_a_second_factor_the_password_alone_is_not_enough(demo):
    luce = _user()
    first = session_for(luce)
    enrolment = two_factor.start_totp(luce, first).value
    codes = two_factor.confirm_totp(luce, pyotp.TOTP(enrolment.secret).at(time.time() - 30), first).value
    token = session_for(luce, stepped_up=False)
    assert step_up_proof.confirm(token, luce, CLIENT[1]).error == step_up_proof.CODE_NEEDED
    assert step_up_proof.confirm(token, luce, CLIENT[1], "000000").error == step_up_proof.WRONG \
        or pyotp.TOTP(enrolment.secret).now() == "000000"
    assert step_up_proof.confirm(token, luce, "faux", pyotp.TOTP(enrolment.secret).now()).error == step_up_proof.WRONG
    assert step_up_proof.confirm(token, luce, CLIENT[1], pyotp.TOTP(enrolment.secret).now()).ok
    # A recovery code works too, once.
    again = session_for(luce, stepped_up=False)
    assert step_up_proof.confirm(again, luce, CLIENT[1], codes[0]).ok
    assert step_up_proof.confirm(session_for(luce, stepped_up=False), luce, CLIENT[1], codes[0]).error \
        == step_up_proof.WRONG


def test_five_wrong_proofs_close_the_session(demo):
    luce = _user()
    token = _login()
    for _ in range(step_up_proof.MAX_FAILURES - 1):
        assert step_up_proof.confirm(token, luce, "devine").error == step_up_proof.WRONG
    assert step_up_proof.confirm(token, luce, "devine").error == step_up_proof.CLOSED
    assert not _live(token)
    assert step_up_proof.confirm(token, luce, CLIENT[1]).error == step_up.EXPIRED


def test_a_login_with_the_password_counts_a_passwordless_one_does_not(demo):
    luce = _user()
    token = _login()
    assert step_up.confirmed(token, luce)
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Clé", token).ok
    done = passkeys.authenticate(device.get(passkeys.login_options()), None)
    assert done.ok
    passwordless, _ = auth.open_session(done.ticket, done.browser_key)
    assert _live(passwordless) and not step_up.confirmed(passwordless, luce)
    # The passkey confirms with the password (the step-up's passkey way).
    options = step_up_proof.passkey_options(passwordless, luce)
    assert step_up_proof.confirm_with_passkey(passwordless, luce, "faux", device.get(options)).error \
        == step_up_proof.WRONG
    options = step_up_proof.passkey_options(passwordless, luce)
    assert step_up_proof.confirm_with_passkey(passwordless, luce, CLIENT[1], device.get(options)).ok
    assert step_up.confirmed(passwordless, luce)


def test_every_change_emails_the_person_and_is_in_the_audit_trail(demo):
    luce = _user()
    token = session_for(luce)
    enrolment = two_factor.start_totp(luce, token).value
    assert two_factor.confirm_totp(luce, pyotp.TOTP(enrolment.secret).now(), token).ok
    assert two_factor.regenerate_codes(luce, token).ok
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Tél<b>", token).ok
    key_id = two_factor.overview(luce.account_id).passkeys[0].id
    assert passkeys.remove(luce, key_id, token).ok
    assert two_factor.disable_totp(luce, token).ok
    whats = [n["what"] for n in _notices()]
    assert whats == [
        "Une méthode de connexion a été ajoutée à votre compte : l'application d'authentification.",
        "Vos codes de secours ont été remplacés par de nouveaux codes : les précédents ne fonctionnent plus.",
        "Une méthode de connexion a été ajoutée à votre compte : la clé d'accès « Tél<b> ».",
        "Une méthode de connexion a été retirée de votre compte : la clé d'accès « Tél<b> ».",
        "Une méthode de connexion a été retirée de votre compte : l'application d'authentification.",
    ]
    assert all("/fermer-les-sessions?jeton=" in n["end_link"] for n in _notices())
    assert [a for a in _actions(luce) if a != "identite_confirmee"][-5:] == [
        "double_authentification_activee", "codes_de_secours_regeneres", "double_authentification_activee",
        "double_authentification_desactivee", "double_authentification_desactivee"]


def test_the_emailed_link_ends_every_session_once_without_being_logged_in(demo):
    luce = _user()
    token = _login()
    assert two_factor.regenerate_codes(luce, token).error  # no factor yet: refused, no email
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Clé", token).ok
    other = session_for(luce, stepped_up=False)  # another browser
    link = _link(_notices()[-1])
    assert step_up.link_is_valid(link) and not step_up.link_is_valid(link[:-1] + "x")
    ended = step_up.end_all_sessions(link, "203.0.113.9")
    assert ended.ok and not _live(token) and not _live(other)
    assert not step_up.end_all_sessions(link).ok  # single use
    # The passkey no longer logs in without the password; the password (and the key) do.
    refused = passkeys.authenticate(device.get(passkeys.login_options()), None)
    assert not refused.ok and refused.error == passkeys.TO_CONFIRM
    pending = auth.login(*CLIENT).pending
    assert passkeys.authenticate(device.get(passkeys.login_options(pending)), pending).ok
    assert "sessions_fermees_par_lien" in _actions(luce)
    # An expired link does nothing.
    token = session_for(luce)
    assert passkeys.remove(luce, two_factor.overview(luce.account_id).passkeys[0].id, token).ok
    with session_scope() as s:
        s.exec(update(OneTimeToken).where(col(OneTimeToken.purpose) == step_up.LINK_PURPOSE)
               .values(expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert not step_up.end_all_sessions(_link(_notices()[-1])).ok and _live(token)


def test_a_password_change_ends_the_other_sessions_and_puts_the_passkeys_to_confirm(demo):
    luce = _user()
    token, elsewhere = _login(), _login()
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Clé", token).ok
    assert auth.change_password(token, CLIENT[1], "Nouveau-Mot2passe", "Nouveau-Mot2passe").ok
    assert _live(token) and not _live(elsewhere)
    assert _notices()[-1]["what"].startswith("Le mot de passe de votre compte a été modifié.")
    assert two_factor.overview(luce.account_id).passkeys_to_confirm
    assert passkeys.authenticate(device.get(passkeys.login_options()), None).error == passkeys.TO_CONFIRM
    # Confirming them needs a fresh step-up, then they log in alone again.
    stale = session_for(luce, stepped_up=False)
    assert step_up.confirm_passkeys(luce, stale).error == step_up.NEEDED
    assert step_up.confirm_passkeys(luce, token).ok  # the change was within the login's minutes
    assert passkeys.authenticate(device.get(passkeys.login_options()), None).ok
    assert "cles_acces_confirmees" in _actions(luce)


def test_a_reset_by_email_ends_every_session_and_keeps_the_app_asked(demo):
    luce = _user()
    token = _login()
    enrolment = two_factor.start_totp(luce, token).value
    assert two_factor.confirm_totp(luce, pyotp.TOTP(enrolment.secret).at(time.time() - 30), token).ok
    device = SoftAuthenticator()
    assert passkeys.register(luce, device.create(passkeys.registration_options(luce, token)), "Clé", token).ok
    with session_scope() as s:
        account = s.get(Account, luce.account_id)
        from espace.services.accounts.one_time_links import issue_one_time_token
        link = issue_one_time_token(s, account, "reset", timedelta(hours=1))
        s.commit()
    assert auth.reset_password(link, "Reinit-Mot2passe", "Reinit-Mot2passe").ok
    assert not _live(token)
    assert _notices()[-1]["what"].startswith("Le mot de passe de votre compte a été réinitialisé.")
    # The app is still asked after the new password; the passkey is to confirm.
    result = auth.login(CLIENT[0], "Reinit-Mot2passe")
    assert not result.ok and result.pending
    assert passkeys.authenticate(device.get(passkeys.login_options()), None).error == passkeys.TO_CONFIRM
    assert two_factor.complete_login(result.pending, pyotp.TOTP(enrolment.secret).now(), "totp").ok
