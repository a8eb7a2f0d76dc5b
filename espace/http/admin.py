"""Firm-side API routes beside the Reflex app: the firm logo.

`POST /api/admin/logo`: the image as the raw request body (PNG, JPEG or WEBP by
content, 2 MB max); an administrator's session (« Administrateur du cabinet ») and the header
`X-Requested-With: espace` (CSRF defence) are required.
`GET /api/logo`: the logo of the logged-in user's own firm (client or lawyer).
`GET /favicon.ico`: that logo as the tab's icon when the firm has one, a default icon
otherwise (never a 404)."""
from __future__ import annotations

import logging
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from espace.http.core import session_user
from espace.services import AccessDenied, storage
from espace.services.access import NotAdmin
from espace.services.accounts.cookies import FIRM_LABEL_COOKIE, cookie_value
from espace.services.firm import settings as firm_settings

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=NO_STORE)


async def upload_logo(request: Request) -> Response:
    if request.headers.get("x-requested-with", "").strip().lower() != "espace":
        log.warning("logo upload without x-requested-with")
        return _error(403, "Requête refusée.")
    user = await run_in_threadpool(session_user, request)
    if user is None:
        return _error(401, "Votre session a expiré. Veuillez vous reconnecter.")
    try:
        await run_in_threadpool(firm_settings.require_editor, user)
    except NotAdmin as exc:
        log.warning("logo upload refused: not an administrator user=%s", user.id)
        return _error(403, exc.message)
    except AccessDenied:
        log.warning("logo upload refused: not staff user=%s", user.id)
        return _error(403, "Requête refusée.")
    limit = firm_settings.LOGO_MAX_BYTES
    too_big = _error(413, "Logo trop volumineux (2 Mo maximum).")
    try:
        if int(request.headers.get("content-length") or 0) > limit:
            return too_big
    except ValueError:
        return _error(400, "Requête invalide.")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return too_big
    except ClientDisconnect:
        return Response(status_code=400)
    try:
        saved = await run_in_threadpool(firm_settings.save_logo, user, bytes(body))
    except NotAdmin as exc:
        return _error(403, exc.message)
    except AccessDenied:
        return _error(403, "Requête refusée.")
    if not saved.ok:
        return _error(400, saved.error)
    return JSONResponse({"ok": True}, headers=NO_STORE)


async def firm_logo(request: Request) -> Response:
    user = await run_in_threadpool(session_user, request)
    found = await run_in_threadpool(firm_settings.logo_for, user)
    if found is None:
        return PlainTextResponse("Logo introuvable.", status_code=404, headers=NO_STORE)
    key, ctype = found
    try:
        chunks = await run_in_threadpool(storage.open_chunks, key)
    except (storage.Missing, ValueError):
        log.error("logo file missing firm=%s key=%s", user.firm_id if user else None, key)
        return PlainTextResponse("Logo introuvable.", status_code=404, headers=NO_STORE)
    return StreamingResponse(chunks, media_type=ctype,
                             headers={"Content-Length": str(chunks.size), "Cache-Control": "private, no-cache",
                                      "Content-Security-Policy": "sandbox"})


# The default tab icon: the header's indigo with a white « e ».
DEFAULT_FAVICON = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
                   b'<rect width="32" height="32" rx="6" fill="#3e63dd"/>'
                   b'<text x="16" y="23" font-family="Arial,sans-serif" font-size="20" font-weight="700" '
                   b'fill="#fff" text-anchor="middle">e</text></svg>')


async def favicon(request: Request) -> Response:
    """The firm's logo when the visitor's session has one, the default icon otherwise. The
    label cookie says whether there is a logo: without « 1| », no database read."""
    label = unquote(cookie_value(request.headers.get("cookie"), FIRM_LABEL_COOKIE) or "")
    user = await run_in_threadpool(session_user, request) if label.startswith("1|") else None
    found = await run_in_threadpool(firm_settings.logo_for, user) if user is not None else None
    if found is not None:
        key, ctype = found
        try:
            chunks = await run_in_threadpool(storage.open_chunks, key)
            return StreamingResponse(chunks, media_type=ctype,
                                     headers={"Content-Length": str(chunks.size), "Cache-Control": "private, no-cache",
                                              "Content-Security-Policy": "sandbox"})
        except (storage.Missing, ValueError):
            log.error("logo file missing (favicon) firm=%s key=%s", user.firm_id if user else None, key)
    return Response(DEFAULT_FAVICON, media_type="image/svg+xml",
                    headers={"Cache-Control": "private, no-cache", "Content-Security-Policy": "sandbox"})


routes: list[Route] = [
    Route("/api/admin/logo", upload_logo, methods=["POST"]),
    Route("/api/logo", firm_logo, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
]
