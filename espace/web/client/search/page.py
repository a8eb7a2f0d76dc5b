"""/recherche: a search box and the results by category (dossiers, documents, RDV...)."""
import reflex as rx

from espace.services.client import search
from espace.web import styles
from espace.web.client.search.state import SearchState
from espace.web.components.items import item_list
from espace.web.components.layout import client_page
from espace.web.components.words import count_of


def search_box() -> rx.Component:
    """« Rechercher dans mon espace »: goes to /recherche?q=… (server-side search)."""
    return rx.el.form(
        rx.flex(
            rx.el.label("Rechercher dans mon espace", html_for="champ-recherche",
                        style={"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden",
                               "clip": "rect(0 0 0 0)", "white_space": "nowrap"}),
            rx.input(id="champ-recherche", name="q", type="search", placeholder="Rechercher (nom, dossier, n° de facture…)",
                     # remounted (key) only when the searched text changes: what is typed meanwhile stays
                     default_value=SearchState.query, key=SearchState.query, max_length=search.MAX_LENGTH,
                     size="3", auto_complete="off",
                     style={"flex": "1 1 180px", "min_width": "0"}),
            rx.button("Rechercher", type="submit", size="3"),
            spacing="2", width="100%",
        ),
        role="search",
        custom_attrs={"data-pret": SearchState.loaded.to_string()},  # the page's load has answered
        on_submit=SearchState.go,
        reset_on_submit=False,
        width="100%",
    )


def _group(g) -> rx.Component:
    return rx.box(
        rx.heading(g.label, " (", g.rows.length(), rx.cond(g.more, "+", ""), ")", size="4", as_="h2"),
        item_list(g.rows, show_dossier=True, show_pay=True, label=None),
        rx.cond(g.more, rx.text("D'autres résultats existent : précisez votre recherche.", size="2",
                                color=styles.MUTED)),
        width="100%",
    )


# The box shows at once (a query typed before the load is kept); only the results wait for it.
@client_page("/recherche", "Recherche", SearchState.load, back=("‹ Accueil", "/accueil"), wait=False)
def search_page() -> list[rx.Component]:
    return [
        search_box(),
        rx.cond(
            SearchState.loaded,
            rx.cond(
                SearchState.too_short,
                rx.text(f"Saisissez au moins {search.MIN_LENGTH} caractères.", role="status"),
                rx.cond(
                    SearchState.query != "",
                    rx.vstack(
                        rx.text(rx.cond(SearchState.total == 0, "Aucun résultat pour «\u00a0",
                                        count_of(SearchState.total, "résultat") + " pour «\u00a0"),
                                SearchState.query, "\u00a0».", role="status", color=styles.MUTED),
                        rx.foreach(SearchState.groups, _group),
                        spacing="4", width="100%",
                    ),
                ),
            ),
        ),
    ]
