"""The Reflex app: pages, API routes and middleware, French connection banner."""
import logging

import reflex as rx

from espace.web import pages  # noqa: F401  (registers the pages)
from espace.http.core import api, direct_routes, security_headers
from espace.http.admin import routes as admin_routes
from espace.http.uploads import routes as upload_routes
from espace.http.payments import routes as payment_routes
from espace.http.admin_sharing import routes as admin_sharing_routes
from espace.http.webauthn import routes as webauthn_routes
from espace.web.components.banner import french_error_boundary, french_overlay
from espace.services.mail import outbox
from espace.web.errors import backend_exception_handler, frontend_exception_handler
from espace.web.payload_guard import PayloadGuardMiddleware
from espace.web.tab_identity import TabIdentityMiddleware

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

api.routes.extend(admin_routes)
api.routes.extend(payment_routes)
api.routes.extend(webauthn_routes)


class EspaceApp(rx.App):
    """The Reflex app, with the upload routes served in front of it: Reflex's own
    layers (context, CORS, error pages, mounts) cost about 1 ms a request, for every
    file of a drop. They keep the security headers; a cross-site request cannot pass
    their CSRF header check (its preflight gets 405)."""

    def __call__(self):
        return direct_routes(upload_routes + admin_sharing_routes)(super().__call__())


app = EspaceApp(
    html_lang="fr",
    api_transformer=[api, security_headers],
    head_components=[
        rx.el.meta(name="viewport", content="width=device-width, initial-scale=1"),
        rx.script(src="/depot.js", defer=True),
        rx.script(src="/webauthn.js", defer=True),
    ],
    stylesheets=["/depot.css"],
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
