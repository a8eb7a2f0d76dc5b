"""Streaming upload of the firm's documents into a dossier (mounted beside the
Reflex app, like the clients' deposits in http/uploads.py).

`POST /api/admin/dossiers/{dossier_id}/documents`: the raw file as the body, its
name URL-encoded in `X-Filename`, the header `X-Requested-With: espace` (CSRF
defence) and a staff session cookie. The document is shared at once (the
clients are notified) unless the query has `?partager=0`.
"""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from espace.domain.roles import STAFF_ROLES
from espace.http.uploads import (
    FORBIDDEN,
    NOT_FOUND,
    settled,
    upload_error,
    upload_guard,
    upload_target,
)
from espace.services import AccessDenied
from espace.services.firm import sharing

log = logging.getLogger(__name__)


async def upload(request: Request) -> Response:
    user, refused = upload_guard(request)
    if refused is not None:
        return refused
    if user.role not in STAFF_ROLES:
        log.warning("admin upload refused: not a firm user user=%s path=%s", user.id, request.url.path)
        return upload_error(403, FORBIDDEN)
    target = upload_target(request)
    if isinstance(target, Response):
        return target
    share_now = request.query_params.get("partager", "1").strip().lower() not in ("0", "non", "false")
    chunks = request.stream()
    try:
        result = await sharing.upload_document(user, target.dossier_id, target.name, chunks,
                                               share_now=share_now, declared_size=target.declared, key=target.key)
    except AccessDenied:
        log.warning("admin upload refused: not a dossier of the firm user=%s dossier=%s", user.id, target.dossier_id)
        return upload_error(404, NOT_FOUND, name=target.name)
    return await settled(chunks, result)


routes: list[Route] = [
    Route("/api/admin/dossiers/{dossier_id}/documents", upload, methods=["POST"]),
]
