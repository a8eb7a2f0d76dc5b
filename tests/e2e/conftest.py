"""Browser tests: the real app (`python -m espace serve`, demo data, own DATA_DIR) driven
by Playwright in Debian's Chromium, on desktop and at 375 px. The app runs on the
production path (PostgreSQL + a private Redis + 2 workers) unless ESPACE_E2E_PATH=embedded
(SQLite, one process: what `make run` serves), see tests/e2e/appserver.py. `make
test-browser` runs every test on the production path, then the files marked `embedded` on
the embedded path."""
from __future__ import annotations

import os

os.environ.setdefault("ESPACE_E2E_PATH", "production")

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import Server, start_app, stop_app
from tests.localstripe_helper import start_localstripe

expect.set_options(timeout=15000)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORTS = {"bureau": {"width": 1280, "height": 800}, "mobile": {"width": 375, "height": 740}}
LUCE = ("academy@secib.fr", "a12RJ3d11P")
MARC = ("marc.bertrand@example.com", "Bertrand-Demo-2024")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    data_dir = tmp_path_factory.mktemp("data")
    # A local Stripe-compatible server; `python -m espace demo` turns the demo firm's
    # online payment on against it and registers the firm's webhook there.
    stripe = start_localstripe(data_dir / "localstripe.log")
    try:
        srv, proc = start_app(data_dir, extra_env=stripe.env)
        srv.stripe = stripe
        yield srv
        stop_app(proc)
    finally:
        stripe.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    }


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(browser, server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def desktop(browser, server):
    """A desktop page, for tests where the viewport does not matter."""
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


def login(page, identifier: str, password: str) -> None:
    page.goto("/connexion")
    # Typed only once the page is live: on a loaded machine, text typed into the server-
    # rendered form before the state arrives could be lost (CI, stop 16).
    page.locator("form[data-hydrated='true']").wait_for()
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()


def assert_no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"


def nav(page, label: str) -> None:
    """Go to a header destination (or « Déconnexion »): the header's link or button, or on
    a phone the item of the firm's compact « Menu » (web/components/layout.py)."""
    page.locator("nav[aria-label='Navigation principale']").first.wait_for(state="attached")
    menu = page.get_by_role("button", name="Menu", exact=True)
    if menu.is_visible():
        menu.click()
        page.get_by_role("menuitem", name=label, exact=True).click()
    elif label == "Déconnexion":
        page.get_by_role("button", name="Déconnexion").click()
    else:
        page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name=label, exact=True).click()
