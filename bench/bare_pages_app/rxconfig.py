"""The floor of bench/pages.py: a bare Reflex app (same Reflex as espace), one page
whose on_load does nothing. Run from this folder with `reflex run --env prod
--backend-only --backend-port P` (bench/pages.py does)."""
import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="bare_pages_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    plugins=[],
    disable_plugins=[SitemapPlugin],
)
