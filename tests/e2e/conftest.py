"""Browser tests: the real app (`python -m espace serve`, demo data, own DATA_DIR) driven
by Playwright in Debian's Chromium, on desktop and at 375 px. The app runs on the
production path (PostgreSQL + a private Redis + 2 workers) unless ESPACE_E2E_PATH=embedded
(SQLite, one process: what `make run` serves), see tests/e2e/appserver.py. `make
test-browser` runs every test on the production path, then the files marked `embedded` on
the embedded path."""
from __future__ import annotations

import os
import re
import time

os.environ.setdefault("ESPACE_E2E_PATH", "production")

import pytest
from playwright.sync_api import expect

from espace.services.accounts.cookies import FIRM_LABEL_COOKIE, SESSION_COOKIE
from tests.e2e.appserver import Server, start_app, stop_app
from tests.localstripe_helper import start_localstripe

expect.set_options(timeout=15000)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The tests' browser: Debian's Chromium headless shell (`make chromium` installs it): the
# same Blink and DevTools protocol without the full browser's headless mode, about a fifth
# less CPU for the whole test run (app and test process included; docs/testing.md). The full
# Chromium where the shell is not installed.
CHROMIUM_SHELL = os.environ.get("CHROMIUM_SHELL_PATH", "/usr/bin/chromium-headless-shell")
TEST_BROWSER = CHROMIUM_SHELL if os.access(CHROMIUM_SHELL, os.X_OK) else CHROMIUM
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
        srv.close_sessions()
        stop_app(proc)
    finally:
        stripe.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": TEST_BROWSER,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    }


# Every width on the production path; on the embedded path, which re-runs the files that
# depend on the server's topology (not on the width), the phone's alone.
WIDTHS = ["mobile"] if os.environ["ESPACE_E2E_PATH"] == "embedded" else list(VIEWPORTS)

# The files that take longest (seconds measured in CI, 2026-12-07) go first, so that the two
# test processes (pytest-xdist) end together instead of one waiting for the other's last file.
LONGEST_FIRST = ["test_accessibility.py", "test_faults.py", "test_share_notice_email.py", "test_login_lockout.py",
                 "test_two_factor.py", "test_firm_scenario.py", "test_shared_storage.py", "test_payment.py",
                 "test_supervised_server.py", "test_server_faults.py", "test_xss.py", "test_bad_input.py", "test_admin_sharing.py",
                 "test_team_and_sessions.py", "test_upload_crash.py"]


def pytest_collection_modifyitems(config, items):
    """Longest files first; the tests of a file whose fixtures start apps for the module
    (faults, shared storage, supervised server, lockout) stay on one test process (xdist's
    `loadgroup`), every other test goes to whichever process is free."""
    order = {name: i for i, name in enumerate(LONGEST_FIRST)}
    for item in items:
        defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        if any(d.scope in ("module", "class", "package") for ds in defs.values() for d in ds):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    items.sort(key=lambda item: order.get(item.path.name, len(order)))


@pytest.fixture(params=WIDTHS)
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


def sign_in(page, server, identifier: str, password: str) -> None:
    """Logged in as `identifier` on its home page, for a test that needs someone logged in
    but does not test the login (`login` does, as a person does it): the session is made by
    the services as the login makes it (server.open_session), its HttpOnly cookie and the
    firm's label cookie set in the browser as the login's response sets them, then the home
    page opened. Saves the login page's load, its two events and the redirect."""
    opened = server.open_session(identifier, password, page.evaluate("navigator.userAgent"))
    cookies = [{"name": SESSION_COOKIE, "value": opened["token"], "url": server.url, "httpOnly": True,
                "sameSite": "Lax"}]
    if opened["label"]:
        cookies.append({"name": FIRM_LABEL_COOKIE, "value": opened["label"], "url": server.url, "sameSite": "Lax"})
    page.context.add_cookies(cookies)
    page.goto(opened["home"])


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


# Every wait in a browser test waits for a state the page shows (a heading, a row, a URL,
# an enabled button, `data-hydrated`) or for a condition polled with a deadline, never for
# a time: see docs/testing.md « Every wait waits for a visible state ».

# A delta setting is_hydrated to true, in a websocket frame: the page's load has answered.
HYDRATED = re.compile(r'is_hydrated_rx_state_\\?"\s*:\s*true')

# Kept on the window by an init script (`watch_sockets`): the tab's websockets, each
# marked `hydrated` once a delta with is_hydrated = true (the page's load done) came on it,
# and the count of such deltas (one per page load, in-app navigation or reconnect).
SOCKET_WATCH = r"""(() => {
  const Native = window.WebSocket;
  const opened = (window.__espaceSockets = []);
  window.__espaceHydrations = 0;
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      this.hydrated = false;
      opened.push(this);
      this.addEventListener("message", (e) => {
        if (typeof e.data === "string" && /is_hydrated_rx_state_\\?"\s*:\s*true/.test(e.data)) {
          this.hydrated = true;
          window.__espaceHydrations += 1;
        }
      });
    }
  }
  window.WebSocket = Watched;
})();"""


def watch_sockets(page) -> None:
    """From the next navigation on, the page's websockets are watched (for `reconnect`)."""
    page.add_init_script(SOCKET_WATCH)


def wait_live(page) -> None:
    """Until the page's state is live on its current websocket: its on_load handlers have
    answered (Reflex sets is_hydrated after them, and unsets it while a reconnect
    rehydrates). Needs `watch_sockets` before the page was opened."""
    page.wait_for_function("() => window.__espaceSockets?.at(-1)?.readyState === 1"
                           " && window.__espaceSockets.at(-1).hydrated")


def reconnect(page) -> None:
    """The tab's websocket drops (as on a network cut or a proxy's idle timeout) and Reflex
    reconnects: returns once the new connection is open and the page's load, which Reflex
    runs again on a reconnect, has answered on it. Needs `watch_sockets`."""
    wait_live(page)
    count = page.evaluate("window.__espaceSockets.length")
    page.evaluate("window.__espaceSockets.at(-1).close()")
    page.wait_for_function("n => window.__espaceSockets.length > n", arg=count)
    wait_live(page)


def hydrations(page) -> int:
    """How many times a page's load has answered in this tab so far (`watch_sockets`)."""
    return page.evaluate("window.__espaceHydrations")


def wait_hydrated_after(page, count: int) -> None:
    """Until a page's load answered after the `count`-th: the navigation in progress
    has its state (`watch_sockets`)."""
    page.wait_for_function("n => window.__espaceHydrations > n", arg=count)


def wait_until(page, condition, what: str, timeout: float = 15) -> None:
    """Polls a condition fed by the page's events (a routed websocket's messages, the
    console) until it holds, with a deadline. Each round trip to the page (one animation
    frame) lets Playwright deliver the events that arrived meanwhile."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"after {timeout} s, still waiting for {what}"
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")


class HeldReplies:
    """The server's websocket replies to `page` held back while `on` is true (the page's
    state on its way, as on a slow network); `release()` lets them through, in order."""

    def __init__(self, page, on: bool):
        self.on = on
        self.messages: list = []
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws) -> None:
        to_server = ws.connect_to_server()
        ws.on_message(lambda message: to_server.send(message))

        def from_server(message):
            if self.on:
                self.messages.append((ws, message))
            else:
                ws.send(message)

        to_server.on_message(from_server)

    def release(self) -> None:
        self.on = False
        for ws, message in self.messages:
            ws.send(message)
