import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from espace.config import settings

config = rx.Config(
    app_name="espace",
    db_url=settings.database_url,
    redis_url=settings.redis_url,
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
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium"))],
    disable_plugins=[SitemapPlugin],
)
