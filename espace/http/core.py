"""Starlette routes beside the Reflex app: the session cookie, authorised
downloads, health; and a middleware adding security headers to every answer."""
from __future__ import annotations

import logging
import re
from http.cookies import SimpleCookie

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from espace.http import security as http_security
from espace.config import settings
from espace.db import session_scope
from espace.models import Direction, Role, User
from espace.services import AccessDenied, audit, storage
from espace.services.accounts import auth, client_address, login_guard, two_factor
from espace.services.client import portal

log = logging.getLogger(__name__)

SESSION_COOKIE = "espace_session"
# Set by the login page (state/login.py) for the ticket exchange only.
LOGIN_KEY_COOKIE = "espace_connexion"
LOGIN_KEY_PATH = "/api/session"
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
}
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain"}


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed header carries no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def token_from_cookie_header(cookie_header: str | None) -> str | None:
    return cookie_value(cookie_header, SESSION_COOKIE)


def session_user(request: Request) -> User | None:
    """The user behind the request's session cookie, for the API routes. A user who
    must still replace a temporary password gets nothing here until they have."""
    user = auth.current_user(token_from_cookie_header(request.headers.get("cookie")))
    if user is not None and (user.must_change_password or two_factor.enrolment_required(user)):
        return None
    return user


def session_actor(request: Request) -> auth.Actor | None:
    """session_user's answer in one plain read, for the upload routes (run for every
    file of a drop)."""
    actor = auth.current_actor(token_from_cookie_header(request.headers.get("cookie")))
    if actor is not None and (actor.must_change_password or two_factor.enrolment_required(actor)):
        return None
    return actor


def home_path_for(user: User | None) -> str:
    """Where a session lands: None = a person with several memberships who has not
    chosen a firm yet (the chooser)."""
    if user is None:
        return "/choisir-cabinet"
    if user.must_change_password:
        return "/premiere-connexion"
    if two_factor.enrolment_required(user):
        return "/double-authentification"  # the firm requires a second factor first
    return "/accueil" if user.role == Role.client else "/admin"


def client_ip(request: Request) -> str:
    """The client's address: the socket peer, or X-Forwarded-For from a TRUSTED_PROXIES peer."""
    return client_address.client_ip(request.client.host if request.client else "",
                                    request.headers.get("x-forwarded-for"))


_client_ip = client_ip


async def open_session(request: Request) -> Response:
    """Turn the one-time login ticket into the HttpOnly session cookie. The ticket
    counts only with the browser key cookie the login page set (login CSRF)."""
    opened = auth.open_session(request.query_params.get("ticket", ""),
                              cookie_value(request.headers.get("cookie"), LOGIN_KEY_COOKIE),
                              user_agent=request.headers.get("user-agent", ""), ip=_client_ip(request))
    if opened is None:
        log.warning("login ticket refused (unknown, used, expired or without its browser key) ip=%s",
                    _client_ip(request))
        response = RedirectResponse("/connexion?expire=1", status_code=303)
        response.delete_cookie(LOGIN_KEY_COOKIE, path=LOGIN_KEY_PATH)
        return response
    token, user = opened
    response = RedirectResponse(home_path_for(user), status_code=303)
    response.delete_cookie(LOGIN_KEY_COOKIE, path=LOGIN_KEY_PATH)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=http_security.secure_cookies(),
        path="/",
        max_age=settings.session_max_hours * 3600,
    )
    # This browser now knows the password of the account: its own failures, not a
    # stranger's, decide whether it may keep trying (services/login_guard.py).
    response.set_cookie(
        login_guard.DEVICE_COOKIE,
        login_guard.issue_device_cookie(cookie_value(request.headers.get("cookie"), login_guard.DEVICE_COOKIE),
                                        auth.account_identifier(token)),
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=settings.device_cookie_days * 86400,
    )
    return response


async def close_session(request: Request) -> Response:
    """Déconnexion: revoke the session and clear the cookie (POST only, same origin:
    a cross-site form cannot log anyone out)."""
    if not http_security.same_origin(request):
        log.warning("logout refused: cross-origin request origin=%s sec-fetch-site=%s ip=%s",
                    request.headers.get("origin"), request.headers.get("sec-fetch-site"), _client_ip(request))
        return PlainTextResponse("Requête refusée.", status_code=403)
    auth.logout(token_from_cookie_header(request.headers.get("cookie")))
    response = RedirectResponse("/connexion?deconnecte=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _download_name(name: str, content_type: str) -> str:
    safe = re.sub(r"[^\w\- .()]+", "_", name, flags=re.UNICODE).strip(" .") or "document"
    ext = EXTENSIONS.get(content_type, "")
    if ext and not safe.lower().endswith(ext):
        safe += ext
    return safe[:150]


async def download_document(request: Request) -> Response:
    user = session_user(request)
    if user is None:
        return PlainTextResponse("Veuillez vous connecter pour accéder à ce document.", status_code=401)
    try:
        doc = portal.document_for_download(user, request.path_params["document_id"])  # ids.parse_id
        path = storage.path_for(doc.storage_key)
    except (AccessDenied, ValueError):
        log.warning("download refused user=%s document=%r", user.id, request.path_params["document_id"][:40])
        return PlainTextResponse("Document introuvable.", status_code=404)
    if not path.exists():
        log.error("document file missing document=%s key=%s", doc.id, doc.storage_key)
        return PlainTextResponse("Document introuvable.", status_code=404)
    with session_scope() as s:
        audit.record(s, user, "telechargement", f"document {doc.id} {doc.name}", _client_ip(request))
        if user.role in (Role.admin, Role.lawyer, Role.staff) and doc.direction == Direction.depose:
            from espace.services.firm.sharing import mark_deposit_opened

            mark_deposit_opened(s, user, doc)  # clears the deposit's « Nouveau » marker
        s.commit()
    inline = doc.content_type in INLINE_TYPES and request.query_params.get("telecharger") is None
    return FileResponse(
        path,
        media_type=doc.content_type if doc.content_type in EXTENSIONS else "application/octet-stream",
        filename=_download_name(doc.name, doc.content_type),
        content_disposition_type="inline" if inline else "attachment",
        headers={"Cache-Control": "private, no-store", "Content-Security-Policy": "sandbox"},
    )


async def health(request: Request) -> Response:
    from sqlalchemy import text

    try:
        with session_scope() as s:
            s.exec(text("SELECT 1"))
    except Exception:
        log.exception("health check failed")
        return JSONResponse({"status": "error"}, status_code=503)
    return JSONResponse({"status": "ok"})


api = Starlette(
    routes=[
        Route("/api/session/ouvrir", open_session, methods=["GET"]),
        Route("/api/session/fermer", close_session, methods=["POST"]),
        Route("/api/documents/{document_id}", download_document, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
    ]
)


def direct_routes(routes: list[Route]):
    """Wraps an ASGI app to serve `routes` itself (a plain Starlette app, with the
    security headers) and pass every other request on to the app."""
    direct = security_headers(Starlette(routes=routes))
    prefixes = tuple(sorted({r.path.split("{", 1)[0] for r in routes}))

    def transformer(app: ASGIApp) -> ASGIApp:
        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(prefixes):
                await direct(scope, receive, send)
            else:
                await app(scope, receive, send)

        return dispatch

    return transformer


def security_headers(app: ASGIApp) -> ASGIApp:
    """Add the security headers (espace/http_security.py) to every HTTP answer, 404s
    included; refuse Reflex's public upload route."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in http_security.security_headers() if k not in names
                ]
            await send(message)

        if scope["path"].startswith("/_upload"):
            await PlainTextResponse("Introuvable.", status_code=404)(scope, receive, send_with_headers)
            return
        await app(scope, receive, send_with_headers)

    return wrapped
