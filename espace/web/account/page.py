"""/mon-compte: Coordonnées, Sécurité, Agenda (subscription address of the RDV), Mot de passe → Modifier mon mot de passe, Sessions ouvertes."""
import reflex as rx

from espace.web.account.agenda_panel import agenda_section
from espace.web.account.sessions_panel import sessions_section
from espace.web.account.state import AccountState
from espace.web.components.actions import link_button
from espace.web.components.forms import banner, field
from espace.web.components.layout import client_page


def password_card() -> rx.Component:
    """Mot de passe → Modifier mon mot de passe (also on the firm's /admin/compte)."""
    return rx.card(
        rx.heading("Mot de passe", size="4", as_="h2", margin_bottom="8px"),
        banner(AccountState.message),
        banner(AccountState.errors.get("form", ""), "red"),
        rx.form(
            field("Mot de passe actuel", "current", type="password", autocomplete="current-password",
                  error=AccountState.errors.get("current", ""), max_length=1024),
            field("Nouveau mot de passe", "new", type="password", autocomplete="new-password",
                  error=AccountState.errors.get("new", ""), max_length=1024),
            field("Confirmation du nouveau mot de passe", "confirm", type="password", autocomplete="new-password",
                  error=AccountState.errors.get("confirm", ""), max_length=1024),
            rx.text("Au moins 10 caractères, avec trois types parmi minuscules, majuscules, chiffres et symboles.",
                    size="1", color="var(--gray-11)", margin_bottom="8px"),
            rx.button("Modifier mon mot de passe", type="submit", size="3"),
            on_submit=AccountState.change_password,
            key=AccountState.form_key,
            width="100%",
        ),
        width="100%",
    )


def security_card(href: str) -> rx.Component:
    """Sécurité → the double authentification page (services/two_factor.py)."""
    return rx.card(
        rx.heading("Sécurité", size="4", as_="h2", margin_bottom="8px"),
        rx.text("Double authentification : application d'authentification, codes de secours, clés d'accès.",
                size="2", margin_bottom="8px"),
        link_button("Gérer la double authentification", href, variant="soft"),
        width="100%",
    )


@client_page("/mon-compte", "Mon compte", AccountState.load, spacing="4")
def account() -> list[rx.Component]:
    return [
        rx.card(
            rx.heading("Coordonnées", size="4", as_="h2", margin_bottom="8px"),
            link_button("Mettre à jour mes coordonnées", "/mon-compte/coordonnees", variant="soft"),
            width="100%",
        ),
        security_card("/mon-compte/securite"),
        agenda_section(),
        password_card(),
        sessions_section(),
    ]
