"""The session cookie (open, close), authorised downloads, health; and who is acting
for the HTTP routes (`session_user`, `session_actor`). Every route of the app is
listed in espace/http/routes.py."""
from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from espace.config import settings
from espace.db import session_scope
from espace.domain.roles import is_staff
from espace.http import security as http_security
from espace.models import Direction, User
from espace.services import AccessDenied, audit, storage
from espace.services import health as health_checks
from espace.services.accounts import auth, client_address, login_guard
from espace.services.accounts.auth import home_path_for
from espace.services.accounts.cookies import (
    FIRM_LABEL_COOKIE,
    LOGIN_KEY_COOKIE,
    LOGIN_KEY_PATH,
    SESSION_COOKIE,
    cookie_value,
    firm_label_for,
    token_from_cookie_header,
)
from espace.services.accounts.factors import enrolment_required
from espace.services.client import dossier_view, news

log = logging.getLogger(__name__)

LOGIN_AGAIN = "/connexion?expire=1"

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


def session_user(request: Request) -> User | None:
    """The user behind the request's session cookie, for the API routes. A user who
    must still replace a temporary password gets nothing here until they have."""
    user = auth.current_user(token_from_cookie_header(request.headers.get("cookie")))
    if user is not None and (user.must_change_password or enrolment_required(user)):
        return None
    return user


def session_actor(request: Request) -> auth.Actor | None:
    """session_user's answer in one plain read, for the upload routes (run for every
    file of a drop)."""
    actor = auth.current_actor(token_from_cookie_header(request.headers.get("cookie")))
    if actor is not None and (actor.must_change_password or enrolment_required(actor)):
        return None
    return actor


def client_ip(request: Request) -> str:
    """The client's address: the socket peer, or X-Forwarded-For from a TRUSTED_PROXIES peer."""
    return client_address.client_ip(request.client.host if request.client else "",
                                    request.headers.get("x-forwarded-for"))


_client_ip = client_ip


def _exchange(request: Request, ticket: str) -> tuple[str, User | None] | None:
    """The login ticket and this browser's key cookie for the session token (None: refused)."""
    opened = auth.open_session(ticket, cookie_value(request.headers.get("cookie"), LOGIN_KEY_COOKIE),
                               user_agent=request.headers.get("user-agent", ""), ip=_client_ip(request))
    if opened is None:
        log.warning("login ticket refused (unknown, used, expired or without its browser key) ip=%s",
                    _client_ip(request))
    return opened


async def _with_session_cookies(request: Request, response: Response, token: str, user: User | None) -> Response:
    """The login's cookies on `response`: the HttpOnly session cookie, the firm's label,
    the device cookie; the ticket's browser key cleared."""
    response.delete_cookie(LOGIN_KEY_COOKIE, path=LOGIN_KEY_PATH)
    # The firm's name in the header from the first paint (web/components/layout.py).
    label = await run_in_threadpool(firm_label_for, user.firm_id if user else None)
    if label:
        response.set_cookie(FIRM_LABEL_COOKIE, label, samesite="lax", secure=http_security.secure_cookies(),
                            path="/", max_age=settings.session_max_hours * 3600)
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
        secure=http_security.secure_cookies(),
        path="/",
        max_age=settings.device_cookie_days * 86400,
    )
    return response


async def open_session(request: Request) -> Response:
    """Turn the one-time login ticket into the HttpOnly session cookie, by a full
    navigation (the passkey login; the login page when its fetch below cannot be
    used). The ticket counts only with the browser key cookie the login page set
    (login CSRF)."""
    opened = _exchange(request, request.query_params.get("ticket", ""))
    if opened is None:
        response = RedirectResponse(LOGIN_AGAIN, status_code=303)
        response.delete_cookie(LOGIN_KEY_COOKIE, path=LOGIN_KEY_PATH)
        return response
    token, user = opened
    return await _with_session_cookies(request, RedirectResponse(home_path_for(user), status_code=303), token, user)


async def open_session_in_place(request: Request) -> Response:
    """The same exchange for the login page's fetch() (web/public/login/state.py): the
    same cookies, set by the server, on a JSON answer naming the page to go to, which
    the page opens without reloading. The ticket comes in the body (not in a URL, not
    in the history). Only from the portal's own pages: the CSRF header and the
    browser's word that the page is ours (http/security.py own_page_fetch)."""
    if not http_security.own_page_fetch(request):
        log.warning("login ticket refused: not the portal's own page origin=%s sec-fetch-site=%s ip=%s",
                    request.headers.get("origin"), request.headers.get("sec-fetch-site"), _client_ip(request))
        return JSONResponse({"next": LOGIN_AGAIN}, status_code=403)
    ticket = await _ticket_of(request)
    if ticket is None:
        return JSONResponse({"next": LOGIN_AGAIN}, status_code=400)
    opened = await run_in_threadpool(_exchange, request, ticket)
    if opened is None:
        response = JSONResponse({"next": LOGIN_AGAIN}, status_code=401)
        response.delete_cookie(LOGIN_KEY_COOKIE, path=LOGIN_KEY_PATH)
        return response
    token, user = opened
    answer = JSONResponse({"next": home_path_for(user)}, headers={"Cache-Control": "no-store"})
    return await _with_session_cookies(request, answer, token, user)


TICKET_BODY_MAX = 512


async def _ticket_of(request: Request) -> str | None:
    """The ticket of a `{"ticket": "..."}` body; None when the body is anything else."""
    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > TICKET_BODY_MAX:
                return None
        data = json.loads(raw)
    except (ClientDisconnect, ValueError):
        return None
    ticket = data.get("ticket") if isinstance(data, dict) else None
    return ticket if isinstance(ticket, str) and ticket else None


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
    response.delete_cookie(FIRM_LABEL_COOKIE, path="/")
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
        doc = dossier_view.document_for_download(user, request.path_params["document_id"])  # ids.parse_id
    except (AccessDenied, ValueError):
        log.warning("download refused user=%s document=%r", user.id, request.path_params["document_id"][:40])
        return PlainTextResponse("Document introuvable.", status_code=404)
    try:
        # Opened before anything is recorded; read as it is sent (no whole file in memory).
        chunks = await run_in_threadpool(storage.open_chunks, doc.storage_key)
    except (storage.Missing, ValueError):
        log.error("document file missing document=%s key=%s", doc.id, doc.storage_key)
        return PlainTextResponse("Document introuvable.", status_code=404)
    try:
        with session_scope() as s:
            if is_staff(user.role) and doc.direction == Direction.depose:
                from espace.services.firm.sharing import mark_deposit_opened

                mark_deposit_opened(s, user, doc)  # clears the deposit's « Nouveau » marker
            elif doc.direction == Direction.recu:
                news.mark_seen(s, user, "documents", [doc.id])  # the client's « Nouveau », the firm's receipt
            audit.record(s, user, "telechargement", f"document {doc.id} {doc.name}", _client_ip(request))
            s.commit()
    except BaseException:
        chunks.close()
        raise
    inline = doc.content_type in INLINE_TYPES and request.query_params.get("telecharger") is None
    media_type = doc.content_type if doc.content_type in EXTENSIONS else "application/octet-stream"
    disposition = "inline" if inline else "attachment"
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={"Content-Length": str(chunks.size),
                 "Content-Disposition": _content_disposition(disposition, _download_name(doc.name, doc.content_type)),
                 "Cache-Control": "private, no-store", "Content-Security-Policy": "sandbox"},
    )


def _content_disposition(kind: str, filename: str) -> str:
    """As Starlette's FileResponse writes it (RFC 6266: an RFC 5987 name when not ASCII)."""
    quoted = quote(filename)
    if quoted != filename:
        return f"{kind}; filename*=utf-8''{quoted}"
    return f'{kind}; filename="{filename}"'


async def health(request: Request) -> Response:
    """The readiness probe: 200 `{"status": "ok"}`, or 503 `{"status": "error", "down": [...]}`
    naming the parts that do not answer ("database", "redis", "storage"; services/health.py)."""
    down = await health_checks.down_parts()
    headers = {"Cache-Control": "no-store"}
    if down:
        return JSONResponse({"status": "error", "down": down}, status_code=503, headers=headers)
    return JSONResponse({"status": "ok"}, headers=headers)


routes: list[Route] = [
    Route("/api/session/ouvrir", open_session, methods=["GET"]),
    Route("/api/session/ouvrir", open_session_in_place, methods=["POST"]),
    Route("/api/session/fermer", close_session, methods=["POST"]),
    Route("/api/documents/{document_id}", download_document, methods=["GET"]),
    Route("/api/health", health, methods=["GET"]),
]
