"""WebAuthn routes used by assets/webauthn.js (passkeys).

The browser's WebAuthn API is asynchronous and works on binary buffers: a small
script calls it between two JSON requests here, rather than a round trip through
Reflex's websocket. These routes see the HttpOnly session cookie, and the login ones
can set the browser key cookie of the ticket exchange themselves (HttpOnly, so the
page never holds it).

- POST /api/webauthn/inscription/options, /api/webauthn/inscription: add a passkey to
  the session's account (Mon compte › Sécurité, or /double-authentification); only
  within the session's step-up (services/accounts/step_up.py), else 403 with its message.
- POST /api/webauthn/confirmation/options, /api/webauthn/confirmation: the step-up with
  the password and a passkey (body {"credential": …, "password": …}).
- POST /api/webauthn/connexion/options, /api/webauthn/connexion: passwordless login,
  or (body {"second_factor": true}) the second factor of the pending login whose token
  the login page put in the `espace_2fa` cookie (SameSite=Strict, path /api/webauthn).

All require the header `X-Requested-With: espace` (a cross-site form cannot send it)
and, when the browser sends one, an Origin or Sec-Fetch-Site of this site.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Literal

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from espace.config import settings
from espace.http import security as http_security
from espace.services.accounts import (
    auth,
    check_limits,
    client_address,
    hashing,
    login_guard,
    passkeys,
    step_up,
    step_up_proof,
)
from espace.services.accounts.cookies import (
    LOGIN_KEY_COOKIE,
    LOGIN_KEY_PATH,
    PENDING_COOKIE,
    PENDING_COOKIE_PATH,
    cookie_value,
    token_from_cookie_header,
)

log = logging.getLogger(__name__)

CSRF_HEADER = "x-requested-with"
CSRF_VALUE = "espace"
BODY_MAX = 64 * 1024

NOT_LOGGED_IN = "Votre session a expiré. Veuillez vous reconnecter."
FORBIDDEN = "Requête refusée."
INVALID = "Requête invalide."


def _json(data: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"Cache-Control": "no-store"})


def _error(status: int, message: str) -> JSONResponse:
    return _json({"ok": False, "error": message}, status)


def _client_ip(request: Request) -> str:
    """The client's address (X-Forwarded-For from TRUSTED_PROXIES only)."""
    return client_address.client_ip(request.client.host if request.client else "",
                                    request.headers.get("x-forwarded-for"))


def _same_origin(request: Request) -> bool:
    if request.headers.get(CSRF_HEADER, "").strip().lower() != CSRF_VALUE:
        return False
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") not in settings.allowed_origins:
        return False
    site = request.headers.get("sec-fetch-site")
    return site is None or site in ("same-origin", "none")


async def _body(request: Request) -> dict | None:
    try:
        if int(request.headers.get("content-length") or 0) > BODY_MAX:
            return None
    except ValueError:
        return None
    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > BODY_MAX:
                return None
    except ClientDisconnect:
        return None
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _token(request: Request) -> str | None:
    return token_from_cookie_header(request.headers.get("cookie"))


def _account_user(request: Request):
    """The session's user for adding a passkey: also while the firm still requires
    an enrolment; never before a temporary password is replaced."""
    user = auth.current_user(token_from_cookie_header(request.headers.get("cookie")))
    if user is None or user.must_change_password:
        return None
    return user


async def _member(request: Request, *, with_body: bool = False) -> tuple[Any, dict, Response | None]:
    """The logged-in person of a same-origin request (and its JSON body), or the refusal to answer."""
    if not _same_origin(request):
        return None, {}, _error(403, FORBIDDEN)
    user = await run_in_threadpool(_account_user, request)
    if user is None:
        return None, {}, _error(401, NOT_LOGGED_IN)
    body = await _body(request) if with_body else {}
    if body is None:
        return None, {}, _error(400, INVALID)
    return user, body, None


async def registration_options(request: Request) -> Response:
    user, _, refused = await _member(request)
    if refused is not None:
        return refused
    options = await run_in_threadpool(passkeys.registration_options, user, _token(request))
    if options is None:
        return _error(403, step_up.NEEDED)
    return _json({"ok": True, "options": options})


async def register(request: Request) -> Response:
    user, body, refused = await _member(request, with_body=True)
    if refused is not None:
        return refused
    result = await run_in_threadpool(passkeys.register, user, body.get("credential"), body.get("name"),
                                     _token(request))
    if not result.ok:
        return _error(403 if result.error == step_up.NEEDED else 400, result.error)
    return _json({"ok": True})


async def step_up_options(request: Request) -> Response:
    user, _, refused = await _member(request)
    if refused is not None:
        return refused
    options = await run_in_threadpool(step_up_proof.passkey_options, _token(request), user)
    if options is None:
        return _error(400, "Aucune clé d'accès n'est enregistrée pour ce compte.")
    return _json({"ok": True, "options": options})


async def step_up_confirm(request: Request) -> Response:
    """The password and a passkey: the session's step-up (argon2 in the hashing pool)."""
    user, body, refused = await _member(request, with_body=True)
    if refused is not None:
        return refused
    ip = _client_ip(request)
    account = f"compte:{user.account_id}"
    if not check_limits.allow_check(account, ip):  # the same limits as every password check
        return _error(429, check_limits.TOO_MANY)
    try:  # argon2 in the hashing pool, keyed like the handlers' checks
        result = await hashing.run_for(account, step_up_proof.confirm_with_passkey, _token(request), user,
                                       body.get("password"), body.get("credential"), ip)
    except hashing.Busy:
        return _error(503, hashing.BUSY)
    if not result.ok:
        return _error(400, result.error)
    return _json({"ok": True, "message": result.message})


def _pending_token(request: Request, body: dict) -> str | Literal[False] | None:
    """None for a passwordless login; the pending token for a second factor; False
    when a second factor is asked without one."""
    if body.get("second_factor") is not True:
        return None
    token = cookie_value(request.headers.get("cookie"), PENDING_COOKIE)
    return token if token and len(token) <= 200 else False


async def _login_call(request: Request) -> tuple[dict, str | None] | Response:
    """The body and pending token of a passkey login call (same origin, JSON body, a
    second factor with its pending login); the refusal to answer otherwise."""
    if not _same_origin(request):
        return _error(403, FORBIDDEN)
    body = await _body(request)
    if body is None:
        return _error(400, INVALID)
    pending = _pending_token(request, body)
    if pending is False:
        return _error(401, passkeys.EXPIRED)
    return body, pending


async def login_options(request: Request) -> Response:
    call = await _login_call(request)
    if isinstance(call, Response):
        return call
    pending = call[1]
    # Per address, or per device cookie for a browser that has one: never a global cap,
    # so a flood from one address leaves every other address served (check_limits.py).
    if not check_limits.allow_passkey_options(
            _client_ip(request), cookie_value(request.headers.get("cookie"), login_guard.DEVICE_COOKIE)):
        log.warning("passkey login options throttled ip=%s", _client_ip(request))
        return _error(429, auth.TOO_MANY)
    options = await run_in_threadpool(passkeys.login_options, pending)
    if options is None:
        return _error(401, "Votre connexion a expiré. Veuillez saisir à nouveau votre identifiant et votre mot "
                           "de passe.")
    return _json({"ok": True, "options": options})


async def login(request: Request) -> Response:
    call = await _login_call(request)
    if isinstance(call, Response):
        return call
    body, pending = call
    result = await run_in_threadpool(passkeys.authenticate, body.get("credential"), pending, _client_ip(request))
    if not result.ok:
        return _error(400, result.error)
    response = _json({"ok": True, "next": f"{LOGIN_KEY_PATH}/ouvrir?ticket={result.ticket}"})
    # The ticket's browser key, as the login page sets it, but HttpOnly from here.
    response.set_cookie(LOGIN_KEY_COOKIE, result.browser_key, max_age=auth.TICKET_SECONDS, path=LOGIN_KEY_PATH,
                        httponly=True, samesite="strict", secure=http_security.secure_cookies())
    response.delete_cookie(PENDING_COOKIE, path=PENDING_COOKIE_PATH)
    return response


routes: list[Route] = [
    Route("/api/webauthn/inscription/options", registration_options, methods=["POST"]),
    Route("/api/webauthn/inscription", register, methods=["POST"]),
    Route("/api/webauthn/confirmation/options", step_up_options, methods=["POST"]),
    Route("/api/webauthn/confirmation", step_up_confirm, methods=["POST"]),
    Route("/api/webauthn/connexion/options", login_options, methods=["POST"]),
    Route("/api/webauthn/connexion", login, methods=["POST"]),
]
