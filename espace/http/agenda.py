"""The client's appointments for their calendar app: one RDV as an .ics download
(« Ajouter à mon agenda », with the session cookie) and the subscription address
(`/api/agenda/<token>.ics`, no cookie: calendar apps fetch it on their own; the token
is the credential). Anything not the client's, or a revoked token, is a 404."""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from espace.http.core import session_user
from espace.services import AccessDenied
from espace.services.client import agenda

log = logging.getLogger(__name__)

ICS = "text/calendar; charset=utf-8"
NO_STORE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


async def rdv_ics(request: Request) -> Response:
    user = await run_in_threadpool(session_user, request)
    if user is None:
        return PlainTextResponse("Veuillez vous connecter pour ajouter ce rendez-vous à votre agenda.", status_code=401)
    try:
        ics = await run_in_threadpool(agenda.rdv_ics, user, request.path_params["rdv_id"])  # ids.parse_id
    except AccessDenied:
        log.warning("rdv ics refused user=%s rdv=%r", user.id, request.path_params["rdv_id"][:40])
        return PlainTextResponse("Rendez-vous introuvable.", status_code=404)
    return Response(ics.body, media_type=ICS,
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{ics.filename}"'})


async def feed_ics(request: Request) -> Response:
    try:
        body = await run_in_threadpool(agenda.feed_ics, request.path_params["token"])
    except AccessDenied:
        log.info("calendar feed refused (unknown or revoked token)")
        return PlainTextResponse("Agenda introuvable.", status_code=404)
    return Response(body, media_type=ICS, headers=NO_STORE)


routes: list[Route] = [
    Route("/api/rdv/{rdv_id}/agenda.ics", rdv_ics, methods=["GET"]),
    Route("/api/agenda/{token}.ics", feed_ics, methods=["GET"]),
]
