"""A navigation forgets the page the tab left, without an event of its own (web/navigation.py):
what the browser now sends for a route change is Reflex's on_load_internal alone, over the
real websocket (tests/attack/conftest.py's `server`)."""
from __future__ import annotations

import time

from tests.attack.conftest import LUCE
from tests.attack.reflex_socket import ROOT, ReflexSocket, login_cookie
from tests.attack.test_round_trips import HOME, LIST

ON_LOAD_INTERNAL = f"{ROOT}.reflex___state____on_load_internal_state.on_load_internal"
LOADED = "loaded_rx_state_"


def _loaded_flips(sock: ReflexSocket, start: int) -> list[tuple[str, bool]]:
    """(state, loaded) in the order the updates set them."""
    return [(name, delta[LOADED]) for update in sock.updates[start:]
            for name, delta in (update.get("delta") or {}).items() if LOADED in delta]


def _quiet(sock: ReflexSocket) -> None:
    """Until the server has nothing more to send for what was sent so far (ReflexSocket's
    markers themselves change the router data, and a navigation's chain outruns them)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sock._receive(0.4) is None:
            return
    raise TimeoutError("the server kept sending")


def _navigate(sock: ReflexSocket, page: str) -> list[tuple[str, bool]]:
    """What the browser sends on a route change (on_load_internal alone, nothing from the
    page left), until the new page is hydrated: the `loaded` flips, in order."""
    _quiet(sock)
    start = len(sock.updates)
    sock.send(ON_LOAD_INTERNAL, {}, page)

    def hydrated(_frame) -> bool:
        flips = [u.get("delta", {}).get(ROOT, {}).get("is_hydrated_rx_state_") for u in sock.updates[start:]]
        return flips[-1:] == [True] and False in flips

    sock._until(hydrated, 30)
    return _loaded_flips(sock, start)


def test_the_page_left_is_forgotten_before_the_next_one_loads(server):
    sock = ReflexSocket(server.url, login_cookie(server.url, *LUCE, origin=server.origin), "/accueil",
                        origin=server.origin)
    try:
        assert (HOME, True) in _loaded_flips(sock, 0)
        # /accueil -> /documents: home forgotten first, then the list loaded.
        assert _navigate(sock, "/documents") == [(HOME, False), (LIST, True)]
        # Another route with the same state (/rdv): the list is forgotten, then loaded again.
        assert _navigate(sock, "/rdv") == [(LIST, False), (LIST, True)]
        # The same route again (another page of the list): nothing forgotten, as no page unmounted.
        assert (LIST, False) not in _navigate(sock, "/rdv?page=1")
        # A reconnect's hydrate on the page shown forgets nothing either (what was typed survives).
        _quiet(sock)
        start = len(sock.updates)
        sock.hydrate("/rdv?page=1")
        _quiet(sock)
        assert (LIST, False) not in _loaded_flips(sock, start)
        # Back home: the list forgotten (its rows with it), home loaded again.
        assert _navigate(sock, "/accueil") == [(LIST, False), (HOME, True)]
    finally:
        sock.close()


def test_a_hostile_route_forgets_only_the_tabs_own_page(server):
    """Any route name an attacker sends is the tab's own business: its page state is
    forgotten, nothing else happens (no error, no other state)."""
    sock = ReflexSocket(server.url, login_cookie(server.url, *LUCE, origin=server.origin), "/accueil",
                        origin=server.origin)
    try:
        _quiet(sock)
        start = len(sock.updates)
        sock.send(ON_LOAD_INTERNAL, {}, "/../admin/clients?x=" + "A" * 5000)  # no such page: no load
        _quiet(sock)
        assert _loaded_flips(sock, start) == [(HOME, False)]
        assert _navigate(sock, "/accueil") == [(HOME, True)]
    finally:
        sock.close()


SECURITY = (f"{ROOT}.espace___web___session____session_state"
            ".espace___web___account___security___state____security_state")


def test_the_authenticator_secret_is_gone_once_the_security_page_is_left(server):
    """The secret of an authenticator being added is shown once: leaving the page (for
    home) forgets it in the navigation's own update, as the frame's `leave` did."""
    sock = ReflexSocket(server.url, login_cookie(server.url, *LUCE, origin=server.origin), "/mon-compte/securite",
                        origin=server.origin)
    try:
        _quiet(sock)
        start = len(sock.updates)
        sock.send(f"{SECURITY}.start_totp", {}, "/mon-compte/securite")
        _quiet(sock)
        shown = [d for u in sock.updates[start:] for d in [(u.get("delta") or {}).get(SECURITY, {})]]
        assert any(d.get("secret_text_rx_state_") for d in shown)
        start = len(sock.updates)
        flips = _navigate(sock, "/accueil")
        assert flips == [(SECURITY, False), (HOME, True)]
        left = [(u.get("delta") or {}).get(SECURITY, {}) for u in sock.updates[start:]]
        assert {"secret_text_rx_state_": "", "qr_svg_rx_state_": ""}.items() <= next(d for d in left if d).items()
    finally:
        sock.close()
