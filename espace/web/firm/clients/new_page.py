"""/admin/clients/nouveau: create a client; the invitation email leaves at once."""
import reflex as rx

from espace.web.components.admin_ui import client_fields
from espace.web.components.forms import banner
from espace.web.components.layout import admin_page
from espace.web.firm.clients.state import ClientNewState as S


@admin_page("/admin/clients/nouveau", "Nouveau client", S.load)
def client_new() -> rx.Component:
    return rx.cond(
        S.loaded,
        rx.vstack(
            rx.link("‹ Clients", href="/admin/clients", size="2"),
            rx.heading("Nouveau client", size="6", as_="h1"),
            rx.text("À la création, le client reçoit un e-mail avec l'adresse de l'espace client, son identifiant "
                    "(son e-mail) et de quoi choisir son mot de passe.", size="2"),
            banner(S.message),
            rx.cond(S.created_id != "",
                    rx.link("Voir la fiche du client", href="/admin/clients/" + S.created_id)),
            banner(S.errors.get("form", ""), "red"),
            rx.form(
                *client_fields(S.values, S.errors),
                rx.button("Créer le client", type="submit", size="3"),
                on_submit=S.submit,
                key=S.form_key,
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
    )
