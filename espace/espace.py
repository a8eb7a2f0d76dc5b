"""The Reflex app: pages, HTTP routes (espace/http/routes.py) and middleware, French connection banner."""
import logging
from pathlib import Path

import reflex as rx

from espace.config import settings
from espace.http import routes
from espace.private_files import restrict_umask
from espace.services import storage
from espace.services.mail import outbox
from espace.web import (
    pages,  # noqa: F401  (registers the pages)
    redis_watch,
    tab_watch,
)
from espace.web.components.banner import french_error_boundary, french_overlay
from espace.web.errors import backend_exception_handler, frontend_exception_handler
from espace.web.payload_guard import PayloadGuardMiddleware
from espace.web.tab_identity import TabIdentityMiddleware

# The frame's first-paint script, inlined (one request less before the first paint).
CADRE_JS = (Path(__file__).resolve().parents[1] / "assets" / "cadre.js").read_text(encoding="utf-8").split("*/", 1)[1]

restrict_umask()  # a worker started without `python -m espace` writes private files too (private_files.py)
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


class EspaceApp(rx.App):
    """The Reflex app, with the routes the index marks DIRECT (the uploads) served in
    front of it (espace/http/routes.py says why)."""

    def __call__(self):
        return routes.in_front(super().__call__())


app = EspaceApp(
    html_lang="fr",
    api_transformer=routes.API_TRANSFORMERS,
    head_components=[
        rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
        # Inline in the built pages' <head> (rx.script would be inserted later by Helmet): it runs
        # before the body is painted (the firm's name at the first paint, assets/cadre.js).
        rx.el.script(CADRE_JS),
        rx.script(src="/depot.js", defer=True),
        rx.script(src="/webauthn.js", defer=True),
        rx.script(src="/onglets.js", defer=True),  # the open dossier tab in the window's title
    ],
    stylesheets=["/depot.css", "/listes.css"],
    # French messages with a reference id instead of Reflex's English toast (espace/errors.py).
    backend_exception_handler=backend_exception_handler,
    frontend_exception_handler=frontend_exception_handler,
)
# Replace Reflex's English connection toaster by a French banner.
app.app_wraps[(5, "Overlay")] = lambda stateful: french_overlay() if stateful else None
# And its English error page (a rendering error) by a French one.
app.app_wraps[(55, "ErrorBoundary")] = french_error_boundary
# Before every event: a tab whose session ended or changed user forgets all its states.
app.add_middleware(TabIdentityMiddleware(), index=0)
# Then every event's payload is checked against its handler's signature (French refusal).
app.add_middleware(PayloadGuardMiddleware(), index=1)
# One email outbox worker per backend process (claims are safe across processes).
app.register_lifespan_task(outbox.app_worker)
if settings.redis_url:
    # Reflex's Redis subscribers and keyspace notifications back right after a Redis restart.
    app.register_lifespan_task(redis_watch.watch)
# A tab whose session ends (revoked, expired, deactivated) is sent to /connexion at once.
app.register_lifespan_task(tab_watch.watch)
# At every start of a backend process: the leftovers of uploads a crash interrupted are removed.
app.register_lifespan_task(storage.app_sweep)
