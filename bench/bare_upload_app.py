"""The reference for bench/upload.py: a bare Starlette endpoint that streams the
request body to a temporary file on disk and fsyncs it, as espace/services/storage/pipeline.py
does (plain writes from the async handler, one fsync at the end), with nothing else.

    granian --interface asgi --host 127.0.0.1 --port N bench.bare_upload_app:app

Files go to BARE_UPLOAD_DIR (default: the system temporary directory).
"""
from __future__ import annotations

import os
import tempfile

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

UPLOAD_DIR = os.environ.get("BARE_UPLOAD_DIR") or tempfile.gettempdir()


async def upload(request: Request) -> JSONResponse:
    size = 0
    with tempfile.NamedTemporaryFile(dir=UPLOAD_DIR, prefix="bare-", suffix=".part", delete=False) as fh:
        async for chunk in request.stream():
            size += len(chunk)
            fh.write(chunk)
        fh.flush()
        os.fsync(fh.fileno())
    return JSONResponse({"ok": True, "size": size})


app = Starlette(routes=[Route("/upload", upload, methods=["POST"])])
