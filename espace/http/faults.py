"""A part of the portal that fails, as an HTTP answer: the database unavailable (stopped,
restarting, unreachable, no free connection: `db.database_unavailable`) answers 503 with
`Retry-After` and the French message of the tabs (domain/faults.py) — JSON for the API's
callers and the upload widget (`{"ok": false, "error": …}`, what assets/depot.js shows the
client), a small French page for a browser's navigation (a download link) — never a bare
`500 Internal Server Error`. Registered on both Starlette apps of http/routes.py."""
from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from espace.db import database_unavailable
from espace.domain import faults
from espace.http.core import client_ip

log = logging.getLogger("espace.http.faults")

RETRY_AFTER = "5"  # seconds: what a caller should wait before trying again
HEADERS = {"Cache-Control": "no-store", "Retry-After": RETRY_AFTER}

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service momentanément indisponible — Mon espace client</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>Service momentanément indisponible</h1>
<p>{message}</p>
<p><a href="">Réessayer</a></p>
</body></html>
"""


def wants_html(request: Request) -> bool:
    """A browser's navigation (a link, the address bar) rather than a script or a program."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.headers.get("x-requested-with") is None


def database_down(request: Request) -> Response:
    """The 503 of a request the database could not serve."""
    if wants_html(request):
        return HTMLResponse(PAGE.format(message=html.escape(faults.DATABASE_DOWN)), status_code=503,
                            headers=HEADERS)
    return JSONResponse({"ok": False, "error": faults.DATABASE_DOWN}, status_code=503, headers=HEADERS)


async def on_database_error(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for the database's errors: 503 when it is unavailable
    (any other database error is a bug: raised again, a 500 with its traceback in the log)."""
    if not database_unavailable(exc):
        raise exc
    log.warning("database unavailable during %s %s ip=%s: %s: %s", request.method, request.url.path,
                client_ip(request), type(exc).__name__, exc)
    return database_down(request)


# For Starlette(exception_handlers=...).
EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    OperationalError: on_database_error,
    InterfaceError: on_database_error,
    PoolTimeout: on_database_error,
}
