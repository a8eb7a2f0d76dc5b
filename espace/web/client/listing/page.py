"""One list page per category (/documents, /dossiers, /rdv…): all dossiers mixed, newest first."""
import reflex as rx

from espace.services.client import portal
from espace.web.client.listing.state import ListState
from espace.web.components.items import item_list
from espace.web.components.layout import client_page


def _pager() -> rx.Component:
    return rx.cond(
        ListState.pages > 1,
        rx.flex(
            rx.cond(ListState.page > 1,
                    rx.link("‹ Page précédente", href="/" + ListState.category + "?page=" + (ListState.page - 1).to(str))),
            rx.text("Page ", ListState.page, " sur ", ListState.pages, size="2"),
            rx.cond(ListState.page < ListState.pages,
                    rx.link("Page suivante ›", href="/" + ListState.category + "?page=" + (ListState.page + 1).to(str))),
            spacing="4", align="center", wrap="wrap",
        ),
    )


def listing() -> rx.Component:
    return rx.cond(
        ListState.loaded,
        rx.vstack(
            rx.link("‹ Accueil", href="/accueil", size="2"),
            rx.heading(ListState.label, " (", ListState.total, ")", size="6", as_="h1"),
            item_list(ListState.rows, show_dossier=True, show_pay=True),
            _pager(),
            spacing="3",
            width="100%",
        ),
    )


for _cat in portal.categories():
    client_page(f"/{_cat.key}", _cat.label, ListState.load)(listing)
