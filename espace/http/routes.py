"""THE index of the app's HTTP routes (the Reflex pages and their websocket aside).

Each module of espace/http declares its own `routes`; this index lists them all and
says how each is served:
- BEHIND Reflex: in the Starlette app `api`, which Reflex mounts its own app into
  (`api_transformer`): Reflex's CORS, then the security headers, then the route.
- DIRECT: answered in front of all of Reflex's layers. Those (context, CORS, error
  pages, mounts) cost about 1 ms a request, measured, paid for every file of a drop:
  the upload routes are served directly. They keep the security headers; a cross-site
  request cannot pass their CSRF header check (its CORS preflight gets 405).

The attack suite (tests/attack/test_attack_suite.py) reads ROUTES: a route missing here
is a route the app does not serve.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from espace.http import admin, admin_sharing, agenda, core, faults, payments, uploads, webauthn
from espace.http import security as http_security

BEHIND = "behind Reflex"
DIRECT = "direct"


@dataclass(frozen=True)
class Served:
    """One route of the index and how it is served (BEHIND or DIRECT)."""

    route: Route
    how: str


def _served(how: str, routes: list[Route]) -> list[Served]:
    return [Served(r, how) for r in routes]


INDEX: list[Served] = [
    *_served(BEHIND, core.routes),           # session cookie (open, close), document downloads, health
    *_served(BEHIND, agenda.routes),         # the client's RDV: one .ics (cookie), the subscription feed (token)
    *_served(BEHIND, admin.routes),          # the firm's logo (upload, show)
    *_served(BEHIND, payments.routes),       # Stripe's webhook
    *_served(BEHIND, webauthn.routes),       # passkeys: registration, login
    *_served(DIRECT, uploads.routes),        # a client's deposits (streamed, one request a file)
    *_served(DIRECT, admin_sharing.routes),  # the firm's documents added to a dossier (idem)
]
ROUTES: list[Route] = [s.route for s in INDEX]


# The production build's scripts and styles: their names carry a hash of their content, so
# a browser keeps them for a year without asking again (a visit revalidated 18 files).
HASHED_ASSETS = "/assets/"
IMMUTABLE = b"public, max-age=31536000, immutable"


@functools.lru_cache(maxsize=512)
def _built_page_dir(path: str) -> bool:
    """`path` (no trailing slash) is a page the production build wrote as `path/index.html`."""
    if not path.startswith("/") or path.startswith(("/api/", "/_", HASHED_ASSETS)) or "." in path or len(path) > 100:
        return False
    return (http_security.static_dir() / path.strip("/") / "index.html").is_file()


def _page_without_redirect(scope: Scope) -> Scope:
    """`/accueil` served as `/accueil/` at once: the static files would first answer a
    307 redirect to it (one more round trip on every page opened by its address)."""
    path = scope["path"]
    if scope.get("method") in ("GET", "HEAD") and path != "/" and not path.endswith("/") and _built_page_dir(path):
        return {**scope, "path": path + "/", "raw_path": (path + "/").encode()}
    return scope


def security_headers(app: ASGIApp) -> ASGIApp:
    """Add the security headers (espace/http/security.py) to every HTTP answer, 404s
    included; refuse Reflex's public upload route."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        immutable = scope["path"].startswith(HASHED_ASSETS)

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = list(http_security.security_headers())
                if immutable and message.get("status") == 200:
                    extra.append((b"cache-control", IMMUTABLE))
                headers = list(message.get("headers", []))
                if http_security.secure_cookies():  # every cookie, whoever sets it
                    headers = [(k, http_security.with_secure(v) if k.lower() == b"set-cookie" else v)
                               for k, v in headers]
                message["headers"] = headers + [(k, v) for k, v in extra if k not in names]
            await send(message)

        scope = _page_without_redirect(scope)
        if scope["path"].startswith("/_upload"):
            await PlainTextResponse("Introuvable.", status_code=404)(scope, receive, send_with_headers)
            return
        await app(scope, receive, send_with_headers)

    return wrapped


def direct_routes(routes: list[Route]) -> Callable[[ASGIApp], ASGIApp]:
    """Wraps an ASGI app to serve `routes` itself (a plain Starlette app, with the
    security headers) and pass every other request on to the app."""
    direct = security_headers(Starlette(routes=routes, exception_handlers=dict(faults.EXCEPTION_HANDLERS)))
    prefixes = tuple(sorted({r.path.split("{", 1)[0] for r in routes}))

    def transformer(app: ASGIApp) -> ASGIApp:
        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(prefixes):
                await direct(scope, receive, send)
            else:
                await app(scope, receive, send)

        return dispatch

    return transformer


# The routes behind Reflex: Reflex mounts its app at "" after them (App(api_transformer=...)).
# A database outage answers a French 503 on every route (http/faults.py).
api = Starlette(routes=[s.route for s in INDEX if s.how == BEHIND], exception_handlers=dict(faults.EXCEPTION_HANDLERS))
# For App(api_transformer=...): `api` (Reflex adds its CORS), then the headers around it.
API_TRANSFORMERS: list[Starlette | Callable[[ASGIApp], ASGIApp]] = [api, security_headers]
# Wraps the whole ASGI app Reflex builds (EspaceApp.__call__): the direct routes first.
in_front = direct_routes([s.route for s in INDEX if s.how == DIRECT])
