"""« Agenda »: one card of the client's Mon compte (the subscription address of their RDV)."""
from __future__ import annotations

import reflex as rx

from espace.web.account.agenda_state import AgendaState as A
from espace.web.components.firm_ui import muted
from espace.web.components.forms import banner


def agenda_section() -> rx.Component:
    return rx.el.section(
        rx.cond(A.shown, rx.card(
            rx.heading("Agenda", size="4", as_="h2", margin_bottom="4px"),
            muted("Abonnez votre application d'agenda (Google Agenda, Outlook, Calendrier d'Apple…) à vos "
                  "rendez-vous : elle les affichera et suivra leurs changements. Gardez cette adresse pour vous : "
                  "elle donne accès à vos rendez-vous sans mot de passe."),
            banner(A.message),
            rx.cond(
                A.url != "",
                rx.box(
                    rx.el.label("Adresse d'abonnement", html_for="agenda-adresse",
                                style={"display": "block", "font-weight": 500, "font-size": "14px",
                                       "margin_bottom": "4px"}),
                    rx.input(value=A.url, read_only=True, id="agenda-adresse", width="100%",
                             on_focus=rx.call_script("document.getElementById('agenda-adresse').select()")),
                    margin_bottom="12px", width="100%",
                ),
            ),
            rx.cond(
                A.active,
                muted("Adresse active, créée le ", A.created,
                      rx.cond(A.last_used != "", rx.text.span(", dernière consultation le ", A.last_used)), "."),
                muted("Aucune adresse d'abonnement."),
            ),
            rx.flex(
                rx.button(rx.cond(A.active, "Créer une nouvelle adresse", "Créer mon adresse d'abonnement"),
                          size="3", on_click=A.create),
                rx.cond(A.active, rx.button("Révoquer", variant="soft", color_scheme="red", size="3",
                                            on_click=A.revoke, aria_label="Révoquer l'adresse d'abonnement")),
                spacing="3", wrap="wrap", margin_top="12px",
            ),
            width="100%",
        )),
        on_mount=A.load,
        on_unmount=A.forget,
        width="100%",
    )
