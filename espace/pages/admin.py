"""/admin: the firm's side (lawyers and staff)."""
import reflex as rx

from espace.components.layout import admin_page
from espace.state.admin import AdminState
from espace.state.session import SessionState


@admin_page("/admin", "Espace cabinet", AdminState.load)
def admin() -> rx.Component:
    return rx.cond(
        SessionState.user_name != "",
        rx.vstack(
            rx.heading("Espace cabinet", size="6", as_="h1"),
            rx.text("Connecté en tant que ", SessionState.user_name, "."),
            width="100%",
        ),
    )
