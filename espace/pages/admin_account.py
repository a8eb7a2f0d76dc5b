"""/admin/compte: Mon compte of a firm user: Sécurité (double authentification), Mot de passe."""
import reflex as rx

from espace.components.forms import banner, field
from espace.components.layout import admin_page
from espace.state.admin_account import StaffAccountState as S


@admin_page("/admin/compte", "Mon compte", S.load)
def admin_account() -> rx.Component:
    return rx.vstack(
        rx.heading("Mon compte", size="6", as_="h1"),
        rx.card(
            rx.heading("Sécurité", size="4", as_="h2", margin_bottom="8px"),
            rx.text("Double authentification : application d'authentification, codes de secours, clés d'accès.",
                    size="2", margin_bottom="8px"),
            rx.link(rx.button("Gérer la double authentification", variant="soft"), href="/admin/compte/securite"),
            width="100%",
        ),
        rx.card(
            rx.heading("Mot de passe", size="4", as_="h2", margin_bottom="8px"),
            banner(S.message),
            banner(S.errors.get("form", ""), "red"),
            rx.form(
                field("Mot de passe actuel", "current", type="password", autocomplete="current-password",
                      error=S.errors.get("current", ""), max_length=1024),
                field("Nouveau mot de passe", "new", type="password", autocomplete="new-password",
                      error=S.errors.get("new", ""), max_length=1024),
                field("Confirmation du nouveau mot de passe", "confirm", type="password", autocomplete="new-password",
                      error=S.errors.get("confirm", ""), max_length=1024),
                rx.text("Au moins 10 caractères, avec trois types parmi minuscules, majuscules, chiffres et symboles.",
                        size="1", color="var(--gray-11)", margin_bottom="8px"),
                rx.button("Modifier mon mot de passe", type="submit", size="3"),
                on_submit=S.change_password,
                key=S.form_key,
                width="100%",
            ),
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
