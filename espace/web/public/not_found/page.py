"""Reflex's 404 page (« 404: Page not found », English, unstyled) replaced by a French
page in the portal's frame: the header with the firm's name when known, a way back."""
import reflex as rx

from espace.web import styles
from espace.web.components.layout import brand


@rx.page(route="404", title="Page introuvable — Mon espace client")
def not_found() -> rx.Component:
    return rx.box(
        rx.el.header(
            rx.flex(brand(), max_width=styles.MAX_WIDTH, margin="0 auto", padding_x=styles.PAGE_PADDING,
                    padding_y="10px", min_height="52px", align="center"),
            style={"background": styles.HEADER_BG},
        ),
        rx.el.main(
            rx.vstack(
                rx.heading("Page introuvable", size="6", as_="h1"),
                rx.text("L'adresse demandée n'existe pas ou n'est plus disponible. "
                        "Vérifiez le lien, ou revenez à votre espace."),
                # /connexion sends a logged-in person to their own home (client or firm).
                rx.link("Revenir à mon espace", href="/connexion", size="3", weight="medium", underline="always"),
                spacing="4",
            ),
            max_width=styles.MAX_WIDTH, margin="0 auto", padding=styles.PAGE_PADDING, width="100%",
        ),
        min_height="100vh",
    )
