"""Firm-side API routes beside the Reflex app: the firm logo.

`POST /api/admin/logo`: the image as the raw request body (PNG, JPEG or WEBP by
content, 2 MB max); an administrator's session (« Administrateur du cabinet ») and the header
`X-Requested-With: espace` (CSRF defence) are required.
`GET /api/logo`: the logo of the logged-in user's own firm (client or lawyer)."""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from espace.http.core import session_user
from espace.services import AccessDenied, storage
from espace.services.access import NotAdmin
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


routes: list[Route] = [
    Route("/api/admin/logo", upload_logo, methods=["POST"]),
    Route("/api/logo", firm_logo, methods=["GET"]),
]
