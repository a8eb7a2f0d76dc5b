"""/accueil: the client's name, then « Accéder à : » and one tile per non-empty category."""
import reflex as rx

from espace.web.client.home.state import HomeState
from espace.web.components.actions import link_button
from espace.web.components.items import tile
from espace.web.components.layout import client_page
from espace.web.components.upload_zone import upload_zone


@client_page("/accueil", "Accueil", HomeState.load)
def home() -> rx.Component:
    return rx.cond(
        HomeState.loaded,
        rx.vstack(
            rx.heading(HomeState.name.upper(), size="6", as_="h1"),
            rx.heading("Accéder à :", size="4", as_="h2"),
            rx.flex(rx.foreach(HomeState.tiles, tile), wrap="wrap", spacing="3", width="100%",
                    role="navigation", aria_label="Catégories"),
            rx.cond(HomeState.tiles.length() == 0, rx.text("Aucun élément n'est encore partagé avec vous.")),
            rx.cond(
                HomeState.dossier_choices.length() > 0,
                rx.flex(
                    link_button("Contacter l'interlocuteur", "/contacter", variant="soft", size="3"),
                    link_button("Mettre à jour mes coordonnées", "/mon-compte/coordonnees", variant="soft", size="3"),
                    spacing="3", wrap="wrap",
                ),
            ),
            rx.cond(
                HomeState.dossier_choices.length() > 0,
                upload_zone(HomeState.refresh, choices=HomeState.dossier_choices),
            ),
            spacing="4",
            width="100%",
        ),
    )
