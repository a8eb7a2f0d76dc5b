"""Login, sessions, throttling, password change and reset, as a user or an attacker sees them."""
from __future__ import annotations

import email
import email.policy
import re
import warnings
from datetime import timedelta

from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.http import core as api
from espace.http import routes
from espace.models import AuthSession, OneTimeToken, User, utcnow
from espace.services import crypto as security
from espace.services.accounts import auth, login_guard
from espace.services.mail import outbox

CLIENT = ("academy@secib.fr", "a12RJ3d11P")


def _login(identifier=CLIENT[0], password=CLIENT[1], ip="10.0.0.1"):
    result = auth.login(identifier, password, ip)
    assert result.ok, result.error
    token, user = auth.open_session(result.ticket, result.browser_key)
    return token, user


def test_login_success_gives_a_session_through_a_single_use_ticket(demo):
    result = auth.login("  Academy@Secib.fr ", CLIENT[1], "1.2.3.4")
    assert result.ok and result.role.value == "client"
    opened = auth.open_session(result.ticket, result.browser_key)
    assert opened is not None
    token, user = opened
    assert len(token) >= 32 and user.email == "academy@secib.fr"
    assert auth.current_user(token).id == user.id
    # The ticket works once.
    assert auth.open_session(result.ticket, result.browser_key) is None
    # Only a hash of the token is stored.
    with session_scope() as s:
        rows = s.exec(select(AuthSession)).all()
    assert all(token not in r.token_hash for r in rows)
    assert any(r.token_hash == security.token_hash(token) for r in rows)


def test_wrong_password_and_unknown_identifier_get_the_same_answer(demo):
    wrong = auth.login(CLIENT[0], "mauvais", "1.2.3.4")
    unknown = auth.login("personne@example.com", "mauvais", "1.2.3.4")
    assert not wrong.ok and not unknown.ok
    assert wrong.error == unknown.error == auth.BAD_CREDENTIALS


def test_expired_ticket_is_refused(demo):
    result = auth.login(*CLIENT, "1.2.3.4")
    with session_scope() as s:
        row = s.exec(select(AuthSession)).one()
        row.ticket_expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert auth.open_session(result.ticket, result.browser_key) is None


def test_forged_and_expired_sessions_are_refused(demo):
    token, _ = _login()
    assert auth.current_user("forged-" + token) is None
    assert auth.current_user("") is None
    assert auth.current_user("x" * 5000) is None
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == security.token_hash(token))).one()
        row.last_seen_at = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
        s.add(row)
        s.commit()
    assert auth.current_user(token) is None, "idle expiry"
    token2, _ = _login()
    with session_scope() as s:
        row = s.exec(select(AuthSession).where(AuthSession.token_hash == security.token_hash(token2))).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert auth.current_user(token2) is None, "absolute expiry"


def test_logout_revokes(demo):
    token, _ = _login()
    auth.logout(token)
    assert auth.current_user(token) is None


def test_deactivated_user_loses_sessions_and_cannot_log_in(demo):
    token, user = _login()
    with session_scope() as s:
        u = s.get(User, user.id)
        u.active = False
        s.add(u)
        s.commit()
    assert auth.current_user(token) is None
    assert not auth.login(*CLIENT).ok


def test_brute_force_is_throttled_per_identifier_even_with_the_right_password(demo):
    for i in range(settings.login_max_failures):
        assert auth.login(CLIENT[0], f"essai{i}", f"10.0.0.{i}").error == auth.BAD_CREDENTIALS
    blocked = auth.login(*CLIENT, "10.0.1.1")
    assert not blocked.ok and blocked.error == auth.TOO_MANY
    # Unknown identifiers are throttled the same way (no existence leak).
    for i in range(settings.login_max_failures):
        auth.login("inconnu@example.com", "x", f"10.0.2.{i}")
    assert auth.login("inconnu@example.com", "x", "10.0.3.1").error == auth.TOO_MANY


def test_brute_force_is_throttled_per_address(demo):
    for i in range(settings.login_ip_max_failures):
        auth.login(f"user{i}@example.com", "x", "6.6.6.6")
    assert auth.login(*CLIENT, "6.6.6.6").error == auth.TOO_MANY
    assert auth.login(*CLIENT, "7.7.7.7").ok


def test_change_password_requires_current_and_strength_and_revokes_other_sessions(demo):
    token, _ = _login()
    other, _ = _login(ip="10.9.9.9")
    r = auth.change_password(token, "faux", "Nouveau-Mot2passe", "Nouveau-Mot2passe")
    assert not r.ok and "actuel" in r.errors["current"]
    r = auth.change_password(token, CLIENT[1], "court", "court")
    assert not r.ok and "10 caractères" in r.errors["new"]
    r = auth.change_password(token, CLIENT[1], "Nouveau-Mot2passe", "Autre-Mot2passe")
    assert not r.ok and "identiques" in r.errors["confirm"]
    r = auth.change_password(token, CLIENT[1], "Nouveau-Mot2passe", "Nouveau-Mot2passe")
    assert r.ok
    assert auth.current_user(token) is not None
    assert auth.current_user(other) is None
    assert not auth.login(*CLIENT, "10.1.1.1").ok
    assert auth.login(CLIENT[0], "Nouveau-Mot2passe", "10.1.1.1").ok


def test_change_password_with_a_revoked_session_is_refused(demo):
    token, _ = _login()
    auth.logout(token)
    r = auth.change_password(token, CLIENT[1], "Nouveau-Mot2passe", "Nouveau-Mot2passe")
    assert not r.ok and "form" in r.errors


def _reset_link_from_outbox() -> str:
    outbox.run_once()  # the outbox worker writes the queued emails
    files = sorted(settings.outbox_dir.glob("*.eml"))
    assert files, "no email written"
    msg = email.message_from_bytes(files[-1].read_bytes(), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"jeton=([\w-]+)", body).group(1)


def test_reset_answers_identically_and_link_works_once(demo):
    known = auth.request_reset(CLIENT[0], "1.1.1.1")
    unknown = auth.request_reset("personne@example.com", "1.1.1.2")
    assert known.message == unknown.message == auth.RESET_SENT
    outbox.run_once()
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 1
    jeton = _reset_link_from_outbox()
    token, _ = _login()
    assert auth.reset_link_is_valid(jeton)
    assert not auth.reset_password(jeton, "faible", "faible").ok
    assert auth.reset_password(jeton, "Reinit-Mot2passe", "Reinit-Mot2passe").ok
    assert auth.current_user(token) is None, "sessions revoked by a reset"
    second = auth.reset_password(jeton, "Encore-Mot2passe", "Encore-Mot2passe")
    assert not second.ok and "form" in second.errors
    assert auth.login(CLIENT[0], "Reinit-Mot2passe", "1.1.1.3").ok


def test_reset_link_expires_after_one_hour(demo):
    auth.request_reset(CLIENT[0], "1.1.1.1")
    jeton = _reset_link_from_outbox()
    with session_scope() as s:
        row = s.exec(select(OneTimeToken)).one()
        assert abs((row.expires_at - row.created_at) - timedelta(minutes=60)) < timedelta(seconds=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    assert not auth.reset_link_is_valid(jeton)
    assert not auth.reset_password(jeton, "Reinit-Mot2passe", "Reinit-Mot2passe").ok


def test_reset_requests_are_throttled_without_revealing_it(demo):
    for _ in range(6):
        assert auth.request_reset(CLIENT[0], "1.1.1.1").message == auth.RESET_SENT
    outbox.run_once()
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 3


def test_a_new_password_expires_every_pending_reset_link(demo):
    auth.request_reset(CLIENT[0], "1.1.1.1")
    first = _reset_link_from_outbox()
    token, _ = _login()
    assert auth.change_password(token, CLIENT[1], "Nouveau-Mot2passe", "Nouveau-Mot2passe").ok
    assert not auth.reset_link_is_valid(first)


def test_identifiers_lose_control_characters_before_being_logged(demo):
    assert auth.normalize_identifier(" X\nINFO forged@line\r ") == "xinfo forged@line"


def test_a_ticket_opens_the_session_only_with_its_browser_key(demo):
    """Login CSRF: an attacker logs in to their own account and sends the ticket in a
    link; the victim's browser has no browser key cookie, so nothing opens. The
    refusals do not use up the ticket of the browser that logged in."""
    result = auth.login(*CLIENT, "1.2.3.4")
    other = auth.login(*CLIENT, "1.2.3.4")
    assert result.browser_key and result.browser_key != other.browser_key
    assert auth.open_session(result.ticket, None) is None
    assert auth.open_session(result.ticket, "") is None
    assert auth.open_session(result.ticket, other.browser_key) is None
    assert auth.open_session(result.ticket, result.browser_key[:-1]) is None
    opened = auth.open_session(result.ticket, result.browser_key)
    assert opened is not None and opened[1].email == CLIENT[0]


def test_the_ticket_route_sets_the_session_cookie_only_with_the_browser_key(demo):
    with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    result = auth.login(*CLIENT, "1.2.3.4")
    url = f"/api/session/ouvrir?ticket={result.ticket}"
    with TestClient(routes.api, follow_redirects=False) as http:
        forged = http.get(url)  # a link followed by a browser that did not log in
        assert forged.status_code == 303 and forged.headers["location"] == "/connexion?expire=1"
        assert "espace_session=" not in forged.headers.get("set-cookie", "")
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key, path=api.LOGIN_KEY_PATH)
        real = http.get(url)
    assert real.status_code == 303 and real.headers["location"] == "/accueil"
    cookies = real.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("espace_session="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert any(c.startswith(f"{api.LOGIN_KEY_COOKIE}=") and "Max-Age=0" in c for c in cookies)
    token = session.split(";")[0].split("=", 1)[1]
    assert auth.current_user(token).email == CLIENT[0]


def test_the_login_pages_fetch_gets_the_same_cookies_from_its_own_page_only(demo):
    """POST /api/session/ouvrir (the login page's fetch, no page load): the ticket in a
    JSON body, the CSRF header and the browser's same-origin word required, the browser
    key still needed; the same HttpOnly session cookie as the navigation's, and the page
    to open."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    result = auth.login(*CLIENT, "1.2.3.4")
    body = {"ticket": result.ticket}
    own = {"X-Requested-With": "espace", "Sec-Fetch-Site": "same-origin", "Origin": settings.public_url}
    with TestClient(routes.api, follow_redirects=False) as http:
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key, path=api.LOGIN_KEY_PATH)
        # Another site's page (its fetch cannot add the header without a refused
        # preflight; with it, the browser still says where the page is from).
        for headers in ({"Sec-Fetch-Site": "same-origin"},
                        {**own, "Sec-Fetch-Site": "cross-site"},
                        {**own, "Sec-Fetch-Site": "same-site"},
                        {**own, "Origin": "https://evil.example"}):
            refused = http.post("/api/session/ouvrir", json=body, headers=headers)
            assert refused.status_code == 403 and "espace_session=" not in refused.headers.get("set-cookie", "")
        assert http.post("/api/session/ouvrir", content=b"x", headers=own).status_code == 400
        assert http.post("/api/session/ouvrir", json={"ticket": ["x"]}, headers=own).status_code == 400
        assert http.post("/api/session/ouvrir", content=b"{" * 2000, headers=own).status_code == 400
        http.cookies.clear()
        no_key = http.post("/api/session/ouvrir", json=body, headers=own)
        assert no_key.status_code == 401 and no_key.json() == {"next": "/connexion?expire=1"}
        http.cookies.set(api.LOGIN_KEY_COOKIE, result.browser_key, path=api.LOGIN_KEY_PATH)
        real = http.post("/api/session/ouvrir", json=body, headers=own)
        again = http.post("/api/session/ouvrir", json=body, headers=own)
    assert real.status_code == 200 and real.json() == {"next": "/accueil"}
    assert real.headers["cache-control"] == "no-store"
    cookies = real.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("espace_session="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower() and "Path=/" in session
    assert any(c.startswith(f"{api.LOGIN_KEY_COOKIE}=") and "Max-Age=0" in c for c in cookies)
    assert any(c.startswith(f"{login_guard.DEVICE_COOKIE}=") and "HttpOnly" in c for c in cookies)
    assert auth.current_user(session.split(";")[0].split("=", 1)[1]).email == CLIENT[0]
    assert again.status_code == 401  # the ticket works once
