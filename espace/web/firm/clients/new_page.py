"""/admin/clients/nouveau: create a client; the invitation email leaves at once."""
import reflex as rx

from espace.web.components.firm_ui import client_fields
from espace.web.components.forms import banner
from espace.web.components.layout import firm_page
from espace.web.firm.clients.state import ClientNewState as S


@firm_page("/admin/clients/nouveau", "Nouveau client", S.load, back=("‹ Clients", "/admin/clients"))
def client_new() -> list[rx.Component]:
    return [
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
    ]
