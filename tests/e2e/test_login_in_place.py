"""The login opens the session without loading a page: the login page posts its ticket,
the server sets the HttpOnly session cookie on the answer, and the tab starts afresh (a
new Reflex token, a new websocket that carries the cookie) and goes home by a client-side
navigation (espace/web/public/login/state.py OPEN_IN_PLACE)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, login

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »).
pytestmark = pytest.mark.embedded


def _login_watched(page, who) -> tuple[list[str], list[str], str]:
    """Log in; the page loads (documents) and websockets opened from the click on, and
    the Reflex token the tab had before."""
    page.goto("/connexion")
    page.locator("form[data-hydrated='true']").wait_for()
    before = page.evaluate("window.sessionStorage.getItem('token')")
    documents: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.get_by_label("Identifiant").fill(who[0])
    page.get_by_label("Mot de passe").fill(who[1])
    page.get_by_role("button", name="Se connecter", exact=True).click()
    return documents, sockets, before


def test_the_client_gets_home_without_a_page_load_and_with_a_fresh_tab(desktop):
    page = desktop
    documents, sockets, before = _login_watched(page, LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("link", name="Documents (45)")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Cabinet DELMAS")
    assert documents == [], documents  # no page was loaded
    assert len(sockets) == 1, sockets  # one new websocket: its handshake carried the cookie
    after = page.evaluate("window.sessionStorage.getItem('token')")
    assert after and before and after != before  # a new Reflex token: a fresh state tree
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["espace_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/"
    assert "espace_connexion" not in cookies  # the ticket's browser key is gone
    assert "espace_session" not in page.evaluate("document.cookie")  # no script sees the token
    # The session is the tab's: a reload stays home, another page works.
    page.reload()
    expect(page.get_by_role("link", name="Documents (45)")).to_be_visible()


def test_a_lawyer_gets_the_firms_space_the_same_way(desktop):
    page = desktop
    documents, _, _ = _login_watched(page, LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    assert documents == [], documents


def test_a_wrong_password_stays_on_the_login_page(desktop):
    page = desktop
    login(page, LUCE[0], "mauvais-mot-de-passe")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    assert "espace_session" not in {c["name"] for c in page.context.cookies()}
