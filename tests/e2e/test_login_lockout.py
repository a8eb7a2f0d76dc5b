"""An attacker cannot lock a client out: after wrong passwords for Luce's identifier from
many addresses (behind the trusted reverse proxy), the browser she logged in with before
still logs in at once, while new browsers, a device cookie of another identifier and a
forged one are refused. Its own app: the lockout must not leak into other test files."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import start_app, stop_app
from tests.e2e.conftest import LUCE, MARC, VIEWPORTS, login, nav

DEVICE_COOKIE = "espace_appareil"
TOO_MANY = re.compile("Trop de tentatives")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("lockout")
    # The app behind a reverse proxy on 127.0.0.1: X-Forwarded-For names the client.
    srv, proc = start_app(data_dir, extra_env={"TRUSTED_PROXIES": "127.0.0.1, ::1", "LOGIN_IP_MAX_FAILURES": "30"})
    yield srv
    stop_app(proc)


def _browser(browser, srv, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=srv.url,
                                  extra_http_headers=headers)
    context.set_default_timeout(20000)
    return context, context.new_page()


def _logs_in(page, who) -> None:
    login(page, *who)
    expect(page).to_have_url(re.compile("/accueil"))
    # The tiles come with the page's load: the page is live (a click on « Déconnexion »
    # before that may wait for the connection on a loaded machine).
    expect(page.get_by_role("link", name=re.compile(r"\(\d+\)")).first).to_be_visible()


def _log_out(page) -> None:
    nav(page, "Déconnexion")
    expect(page.get_by_text("Vous êtes déconnecté de votre espace.")).to_be_visible()


def _device_cookie(context) -> dict:
    return next(c for c in context.cookies() if c["name"] == DEVICE_COOKIE)


def test_an_attacker_cannot_lock_out_the_browser_luce_logged_in_with(browser, guarded):
    luce_ctx, luce = _browser(browser, guarded, "198.51.100.20")
    _logs_in(luce, LUCE)
    cookie = _device_cookie(luce_ctx)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert LUCE[0] not in cookie["value"]
    _log_out(luce)
    marc_ctx, marc = _browser(browser, guarded, "198.51.100.30")
    _logs_in(marc, MARC)
    _log_out(marc)

    # The attacker: wrong passwords for Luce's identifier, each from another address,
    # without any device cookie.
    answers = []
    for i in range(7):
        ctx, attacker = _browser(browser, guarded, f"203.0.113.{i + 1}")
        login(attacker, LUCE[0], f"devine-{i}")
        message = attacker.get_by_role("alert")
        expect(message).to_be_visible()
        answers.append(message.inner_text())
        ctx.close()
    assert all("incorrect" in a for a in answers[:5]), answers
    assert all("Trop de tentatives" in a for a in answers[5:]), answers
    refused_from = {ip for (ip,) in guarded.sql("SELECT ip FROM audit_event WHERE action = 'connexion_refusee'")}
    assert refused_from == {f"203.0.113.{i}" for i in range(1, 6)}, "the addresses behind the proxy were counted"

    # Luce's browser logs in at once with her password, from anywhere.
    _logs_in(luce, LUCE)
    expect(luce.get_by_role("link", name="Documents (45)")).to_be_visible()

    # A new browser, even with her right password, is refused while the attack lasts.
    new_ctx, new = _browser(browser, guarded, "198.51.100.40")
    login(new, *LUCE)
    expect(new.get_by_text(TOO_MANY)).to_be_visible()
    expect(new).to_have_url(re.compile("/connexion"))
    # Marc's browser holds a device cookie, for his identifier only.
    login(marc, *LUCE)
    expect(marc.get_by_text(TOO_MANY)).to_be_visible()
    # A forged cookie: Luce's nonce with a tampered signature, or made up.
    value = cookie["value"]
    for forged in (value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"),
                   "n" * 22 + "." + "s" * 43):
        new_ctx.clear_cookies()
        new_ctx.add_cookies([{"name": DEVICE_COOKIE, "value": forged, "url": guarded.url}])
        login(new, *LUCE)
        expect(new.get_by_text(TOO_MANY)).to_be_visible()
    new_ctx.close()
    marc_ctx.close()
    luce_ctx.close()


def test_a_flood_of_login_events_from_one_tab_is_refused_before_any_check(browser, guarded):
    ctx, page = _browser(browser, guarded, "198.51.100.50")
    page.goto("/connexion")
    page.get_by_label("Identifiant").fill("quelquun@example.com")
    page.get_by_label("Mot de passe").fill("faux")
    for _ in range(12):  # more than LOGIN_EVENTS_PER_CONNECTION (10) in a minute
        page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page.get_by_text(TOO_MANY)).to_be_visible()
    ctx.close()


def _address_of_this_session(page) -> str:
    nav(page, "Mon compte")
    current = page.get_by_role("list", name="Sessions ouvertes").get_by_role("listitem").filter(
        has_text="Cette session")
    expect(current).to_contain_text("Adresse : ")
    return re.search(r"Adresse : (\S+)", current.inner_text()).group(1)


def test_a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored(browser, server):
    """The default app trusts no proxy: whatever a browser puts in X-Forwarded-For, the
    session and the audit trail record the socket peer."""
    ctx, page = _browser(browser, server, "203.0.113.66")
    try:
        _logs_in(page, MARC)
        assert _address_of_this_session(page) in ("127.0.0.1", "::1")
        expect(page.get_by_text("203.0.113.66")).to_have_count(0)
    finally:
        ctx.close()


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_appended(browser, guarded):
    """Behind the proxy (TRUSTED_PROXIES=127.0.0.1): a client-prepended address is not
    believed, the one the proxy appended is."""
    ctx, page = _browser(browser, guarded, "203.0.113.66, 198.51.100.77")
    try:
        _logs_in(page, MARC)
        assert _address_of_this_session(page) == "198.51.100.77"
        expect(page.get_by_text("203.0.113.66")).to_have_count(0)
    finally:
        ctx.close()
