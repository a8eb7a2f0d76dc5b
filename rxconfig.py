import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from espace.config import settings
from espace.web.same_origin import SameOriginBackend

config = rx.Config(
    app_name="espace",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
    # One worker (no Redis): tab states in memory. Reflex's default "disk" manager also
    # pickles them to .states/ and rescans that folder every ~2 s, a cost that grows with
    # the connected clients (issue 11); a restart loses nothing a page cannot reload.
    # With Redis (several workers), the states live there.
    state_manager_mode="redis" if settings.redis_url else "memory",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    frontend_port=settings.port,
    backend_port=settings.port,
    api_url=settings.public_url,
    deploy_url=settings.public_url,
    # Not Reflex's default "*": no other site may call the backend with our cookie.
    cors_allowed_origins=settings.allowed_origins,
    # Reflex would take X-Forwarded-For from any peer: the client address comes from
    # espace.services.accounts.client_address (TRUSTED_PROXIES) instead.
    trusted_proxy_hops=0,
    # The bundle talks to its page's own origin (espace/web/same_origin.py): one build serves
    # every port and host, so it is built once and reused (espace/frontend.py).
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
             SameOriginBackend()],
    disable_plugins=[SitemapPlugin],
)
