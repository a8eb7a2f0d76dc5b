"""Streaming deposit routes (mounted beside the Reflex app by the API module).

The browser sends each file as the raw request body with XMLHttpRequest (to show
progress and allow cancelling): `POST /api/depots/{dossier_id}` with the file name
URL-encoded in `X-Filename`, then `POST /api/depots/{dossier_id}/termine` with
{"names": [...]} once the drop is done, so the firm gets one email per drop.

Both require the session cookie and the header `X-Requested-With: espace`, which a
cross-site form cannot set (CSRF defence).

An upload may carry `Idempotency-Key` (16–64 letters, digits, « - », « _ »; the widget
sends a random one per file it sends): sent again with the same key by the same person, it
answers the first upload's result and stores nothing (receive.py). A database that does not
answer gives a French 503 (http/faults.py); a full documents' disk 507 with a French message,
after the body was read to its end so that the browser gets to read the answer.
"""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from espace.domain.ids import parse_id
from espace.domain.outcome import Outcome, Refusal
from espace.http.core import client_ip, session_actor
from espace.services import AccessDenied
from espace.services.client import deposit
from espace.services.deposits.filenames import sanitize_filename
from espace.services.deposits.filetypes import REASON_FAILED
from espace.services.deposits.receive import DepositResult, idempotency_key

log = logging.getLogger(__name__)

CSRF_HEADER = "x-requested-with"
CSRF_VALUE = "espace"
FILENAME_HEADER_MAX = 2000
BATCH_BODY_MAX = 256 * 1024

NOT_LOGGED_IN = "Votre session a expiré. Veuillez vous reconnecter."
FORBIDDEN = "Requête refusée."
NOT_FOUND = "Dossier introuvable."


def upload_error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, **extra}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def upload_guard(request: Request):
    """(user, None) when the request may proceed, else (None, error response). The
    session is one indexed read (about 0.1 ms): done here, cheaper than a thread hop."""
    if request.headers.get(CSRF_HEADER, "").strip().lower() != CSRF_VALUE:
        log.warning("deposit request without %s path=%s ip=%s", CSRF_HEADER, request.url.path, client_ip(request))
        return None, upload_error(403, FORBIDDEN)
    user = session_actor(request)
    if user is None:
        return None, upload_error(401, NOT_LOGGED_IN)
    return user, None


def client_filename(request: Request) -> str:
    raw = request.headers.get("x-filename", "")[:FILENAME_HEADER_MAX]
    return sanitize_filename(unquote(raw, errors="replace"))


def declared_length(request: Request) -> int | None:
    """The body's declared Content-Length (None when absent); ValueError when malformed.
    The services refuse an oversized one with 413 before reading a byte."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def malformed_length(name: str) -> Response:
    return upload_error(400, f"« {name} » : {REASON_FAILED}", name=name)


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """What an upload request names: the dossier, the file's name, its declared size, its
    idempotency key."""
    dossier_id: int
    name: str
    declared: int | None
    key: str | None = None


def upload_target(request: Request) -> UploadTarget | Response:
    """The dossier (from the path), the file name (X-Filename) and the declared size of
    an upload; a French JSON refusal when the id or the length is malformed."""
    dossier_id = parse_id(request.path_params["dossier_id"])
    name = client_filename(request)
    if dossier_id is None:
        return upload_error(404, NOT_FOUND, name=name)
    try:
        declared = declared_length(request)
    except ValueError:
        return malformed_length(name)
    try:
        key = idempotency_key(request.headers.get("idempotency-key"))
    except ValueError:
        return upload_error(400, f"« {name} » : clé d'envoi (Idempotency-Key) mal formée.", name=name)
    return UploadTarget(dossier_id, name, declared, key)


# The HTTP status of a refused service outcome (a refusal without a kind is a bad request).
STATUS: dict[Refusal, int] = {
    Refusal.invalid: 400,
    Refusal.failed: 400,
    Refusal.not_found: 404,
    Refusal.conflict: 409,
    Refusal.too_large: 413,
    Refusal.unsupported: 415,
    Refusal.throttled: 429,
    Refusal.unavailable: 503,
    Refusal.storage_full: 507,
}


def status_of(outcome: Outcome[Any]) -> int:
    """200 for a done outcome, else the status of its refusal."""
    if outcome.ok:
        return 200
    return STATUS.get(outcome.refusal, 400) if outcome.refusal is not None else 400


def upload_answer(result: DepositResult) -> Response:
    """The JSON answer of a stored or refused upload: {"ok", "id", "name"} or
    {"ok", "name", "error"}, with the status of the outcome."""
    upload = result.value
    name = upload.name if upload is not None else ""
    body: dict[str, object] = ({"ok": True, "id": upload.id if upload is not None else None, "name": name}
                               if result.ok else {"ok": False, "name": name, "error": result.error})
    return JSONResponse(body, status_code=status_of(result), headers={"Cache-Control": "no-store"})


async def settled(chunks: AsyncIterator[bytes], result: DepositResult) -> Response:
    """upload_answer(result), once the rest of the body is read (and dropped) when the disk had
    no room for it: a browser still sending would otherwise see the connection cut, not the
    message. (The body is at most MAX_UPLOAD_MB: a larger one was refused before.)"""
    if result.refusal is Refusal.storage_full:
        try:
            async for _ in chunks:
                pass
        except ClientDisconnect:
            pass
    return upload_answer(result)


async def upload(request: Request) -> Response:
    user, refused = upload_guard(request)
    if refused is not None:
        return refused
    target = upload_target(request)
    if isinstance(target, Response):
        return target
    chunks = request.stream()
    try:
        result = await deposit.deposit_stream(user, target.dossier_id, target.name, chunks,
                                               declared_size=target.declared, key=target.key)
    except AccessDenied:
        log.warning("deposit refused: not the client's dossier user=%s dossier=%s ip=%s", user.id, target.dossier_id,
                    client_ip(request))
        return upload_error(404, NOT_FOUND, name=target.name)
    return await settled(chunks, result)


async def finished(request: Request) -> Response:
    user, refused = upload_guard(request)
    if refused is not None:
        return refused
    dossier_id = parse_id(request.path_params["dossier_id"])
    if dossier_id is None:
        return upload_error(404, NOT_FOUND)
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        declared = 0
    if declared > BATCH_BODY_MAX:
        return upload_error(413, "Requête trop volumineuse.")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > BATCH_BODY_MAX:
                return upload_error(413, "Requête trop volumineuse.")
    except ClientDisconnect:
        return Response(status_code=400)
    try:
        names = json.loads(body or b"{}").get("names", [])
    except (ValueError, AttributeError):
        return upload_error(400, "Requête invalide.")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return upload_error(400, "Requête invalide.")
    try:
        await run_in_threadpool(deposit.notify_batch, user, dossier_id, names)
    except AccessDenied:
        return upload_error(404, NOT_FOUND)
    return JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})


routes: list[Route] = [
    Route("/api/depots/{dossier_id}", upload, methods=["POST"]),
    Route("/api/depots/{dossier_id}/termine", finished, methods=["POST"]),
]
