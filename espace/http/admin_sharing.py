"""Streaming upload of the firm's documents into a dossier (mounted beside the
Reflex app, like the clients' deposits in api_uploads.py).

`POST /api/admin/dossiers/{dossier_id}/documents`: the raw file as the body, its
name URL-encoded in `X-Filename`, the header `X-Requested-With: espace` (CSRF
defence) and a staff session cookie. The document is shared at once (the
clients are notified) unless the query has `?partager=0`.
"""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from espace.domain.ids import parse_id
from espace.http.uploads import (
    FORBIDDEN,
    NOT_FOUND,
    _client_filename,
    _error,
    _guard,
    declared_length,
    malformed_length,
)
from espace.models import Role
from espace.services import AccessDenied
from espace.services.firm import sharing

log = logging.getLogger(__name__)


async def upload(request: Request) -> Response:
    user, refused = _guard(request)
    if refused is not None:
        return refused
    if user.role not in (Role.admin, Role.lawyer, Role.staff):
        log.warning("admin upload refused: not a firm user user=%s path=%s", user.id, request.url.path)
        return _error(403, FORBIDDEN)
    dossier_id = parse_id(request.path_params["dossier_id"])
    name = _client_filename(request)
    if dossier_id is None:
        return _error(404, NOT_FOUND, name=name)
    try:
        declared = declared_length(request)
    except ValueError:
        return malformed_length(name)
    share_now = request.query_params.get("partager", "1").strip().lower() not in ("0", "non", "false")
    try:
        result = await sharing.upload_document(user, dossier_id, name, request.stream(), share_now=share_now,
                                               declared_size=declared)
    except AccessDenied:
        log.warning("admin upload refused: not a dossier of the firm user=%s dossier=%s", user.id, dossier_id)
        return _error(404, NOT_FOUND, name=name)
    body = {key: value for key, value in result.items() if key != "status"}  # the answer without its status
    return JSONResponse(body, status_code=result["status"], headers={"Cache-Control": "no-store"})


routes: list[Route] = [
    Route("/api/admin/dossiers/{dossier_id}/documents", upload, methods=["POST"]),
]
