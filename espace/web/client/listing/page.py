"""One list page per category (/documents, /dossiers, /rdv…): all dossiers mixed, newest first."""
import reflex as rx

from espace.services.client import portal
from espace.web.client.listing.state import ListState
from espace.web.components.items import item_list, pager
from espace.web.components.layout import client_page


def _href(query) -> rx.Var:
    return "/" + ListState.category + query


def listing() -> rx.Component:
    return rx.cond(
        ListState.loaded,
        rx.vstack(
            rx.link("‹ Accueil", href="/accueil", size="2"),
            rx.heading(ListState.label, " (", ListState.total, ")", size="6", as_="h1"),
            item_list(ListState.rows, show_dossier=True, show_pay=True),
            pager(
                ListState.newer, ListState.older,
                newer=rx.link("‹ Plus récents", href=_href("?apres=" + ListState.newer)),
                older=rx.link("Plus anciens ›", href=_href("?avant=" + ListState.older)),
                newest=rx.link("Les plus récents", href=_href("")),
                oldest=rx.link("Les plus anciens", href=_href("?fin=1")),
            ),
            spacing="3",
            width="100%",
        ),
    )


for _cat in portal.categories():
    client_page(f"/{_cat.key}", _cat.label, ListState.load)(listing)
