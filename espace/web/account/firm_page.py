"""/admin/compte: « Mon compte » of the firm's people — Sécurité (double authentification), password, open sessions."""
import reflex as rx

from espace.web.account.page import password_card, security_card
from espace.web.account.sessions_panel import sessions_section
from espace.web.account.state import AccountState
from espace.web.components.layout import admin_page


@admin_page("/admin/compte", "Mon compte", AccountState.load)
def admin_account() -> rx.Component:
    return rx.vstack(
        rx.heading("Mon compte", size="6", as_="h1"),
        security_card("/admin/compte/securite"),
        password_card(),
        sessions_section(),
        spacing="4",
        width="100%",
    )
