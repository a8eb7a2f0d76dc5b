"""/dossiers/<id>: label, reference, interlocutor, one tab per non-empty category (one
page of the active tab at a time: « Plus récents » / « Plus anciens »)."""
import reflex as rx

from espace.web.client.dossier.state import DossierState
from espace.web.components.actions import link_button
from espace.web.components.items import item_list, pager
from espace.web.components.layout import Missing, client_page
from espace.web.components.upload_zone import upload_zone


@client_page("/dossiers/[dossier_id]", "Dossier", DossierState.load, h1=DossierState.label,
             back=("‹ Accueil", "/accueil"),
             missing=Missing(DossierState.not_found, "Dossier introuvable", "Retour à l'accueil", "/accueil"))
def dossier() -> list[rx.Component]:
    return [
        rx.text("Référence : ", DossierState.reference, color="var(--gray-11)"),
        rx.cond(DossierState.interlocutor != "", rx.text("Interlocuteur : ", DossierState.interlocutor)),
        rx.flex(
            link_button("Contacter l'interlocuteur", "/contacter?dossier=" + DossierState.dossier_id, variant="soft"),
            link_button("Messages", "/contacter?dossier=" + DossierState.dossier_id + "#messages", variant="soft"),
            spacing="3", wrap="wrap",
        ),
        rx.tabs.root(
            # One row of tabs, scrolled sideways on a phone (assets/listes.css).
            rx.tabs.list(
                rx.foreach(
                    DossierState.tabs,
                    lambda t: rx.tabs.trigger(t.label, " (", t.count, ")", value=t.key),
                ),
                class_name="tabs-scroll",
            ),
            rx.foreach(
                DossierState.tabs,
                lambda t: rx.tabs.content(
                    item_list(DossierState.rows, show_pay=True),
                    pager(
                        DossierState.newer, DossierState.older,
                        # the RDV tab reads as an agenda (upcoming first): « Précédents / Suivants »
                        newer=rx.button(rx.cond(t.key == "rdv", "‹ Précédents", "‹ Plus récents"),
                                        variant="soft", size="2", on_click=DossierState.show_newer),
                        older=rx.button(rx.cond(t.key == "rdv", "Suivants ›", "Plus anciens ›"),
                                        variant="soft", size="2", on_click=DossierState.show_older),
                    ),
                    value=t.key,
                ),
            ),
            value=DossierState.active_tab,
            on_change=DossierState.set_tab,
            width="100%",
        ),
        upload_zone(DossierState.refresh, dossier_id=DossierState.dossier_id),
    ]
