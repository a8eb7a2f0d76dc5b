"""The cookies of a login, by name, and reading them from a `Cookie` header.

The Reflex states (the websocket handshake's headers) and the HTTP routes read the
same cookies the same way: from here. The device cookie is login_guard's."""
from __future__ import annotations

import functools
from http.cookies import SimpleCookie
from urllib.parse import quote

# The HttpOnly session cookie (set by /api/session/ouvrir).
SESSION_COOKIE = "espace_session"
# Set by the login page (web/public/login/state.py) for the ticket exchange only.
LOGIN_KEY_COOKIE = "espace_connexion"
LOGIN_KEY_PATH = "/api/session"
# The pending login's token for a passkey as second factor (SameSite=Strict, /api/webauthn only).
PENDING_COOKIE = "espace_2fa"
PENDING_COOKIE_PATH = "/api/webauthn"


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a `Cookie` header; None when absent or malformed."""
    if not cookie_header:
        return None
    if len(cookie_header) > _HEADER_KEPT:
        return _parse(cookie_header, name)
    return _parsed(cookie_header, name)


_HEADER_KEPT = 4096  # a tab sends the same header with every event: parsed once, kept


@functools.lru_cache(maxsize=2048)
def _parsed(cookie_header: str, name: str) -> str | None:
    return _parse(cookie_header, name)


def _parse(cookie_header: str, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed header carries no cookie (whatever the parser raises)
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    """The session token of a `Cookie` header (None without one)."""
    return cookie_value(cookie_header, SESSION_COOKIE)


# Not secret, not HttpOnly: the firm's name (and whether it has a logo) for the page
# frame's header at the first paint after login, before the websocket has answered
# (web/components/layout.py reads it in the browser). Set at login and at a change of
# space, cleared at logout.
FIRM_LABEL_COOKIE = "espace_cabinet"


def firm_label_value(firm_name: str, has_logo: bool) -> str:
    """The cookie's value: « 1|name » (logo) or « 0|name », percent-encoded (no quoting needed)."""
    return quote(f"{1 if has_logo else 0}|{firm_name[:120]}", safe="")


def firm_label_for(firm_id: int | None) -> str:
    """The label cookie's value for a member of firm `firm_id` ("" when there is none)."""
    from espace.db import session_scope
    from espace.models import Firm

    if not firm_id:
        return ""
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        return firm_label_value(firm.name, bool(firm.logo_key)) if firm else ""
