"""Stripe's webhook: `POST /api/stripe/webhook/{firm_id}` (mounted beside the Reflex app).

Each firm registers this address, with its own id, in its Stripe account; the event
is verified with that firm's webhook secret (services/payments.handle_webhook).
Answers: 400 when the signature or body is not valid (nothing changed), 200 once
handled or deliberately ignored, 500 on an unexpected error (Stripe retries)."""
from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from espace.http.core import client_ip
from espace.services import payments

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024  # Stripe events are a few kilobytes


def _answer(status: int, **body) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def stripe_webhook(request: Request) -> Response:
    firm_id = request.path_params["firm_id"]
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return _answer(413, ok=False, error="too large")
    payload = b""
    async for chunk in request.stream():
        payload += chunk
        if len(payload) > MAX_BODY:
            return _answer(413, ok=False, error="too large")
    try:
        outcome = await run_in_threadpool(
            payments.handle_webhook, payload, request.headers.get("stripe-signature", ""), firm_id)
    except payments.WebhookRejected as exc:
        log.warning("stripe webhook rejected firm=%s reason=%s ip=%s", firm_id, exc,
                    client_ip(request))
        return _answer(400, ok=False, error="invalid event")
    except Exception:
        log.exception("stripe webhook failed firm=%s", firm_id)
        return _answer(500, ok=False, error="error")
    return _answer(200, ok=True, outcome=outcome)


routes = [Route("/api/stripe/webhook/{firm_id:int}", stripe_webhook, methods=["POST"])]
