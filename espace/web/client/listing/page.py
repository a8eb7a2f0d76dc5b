"""One list page per category (/documents, /dossiers, /rdv…): all dossiers mixed, newest first
(the RDV: upcoming first, soonest at the top, then past ones)."""
import reflex as rx

from espace.services.client import portal
from espace.web.client.listing.state import ListState
from espace.web.components.items import item_list, pager
from espace.web.components.layout import client_page


def _href(query) -> rx.Var:
    return "/" + ListState.category + query


def _words(dated: str, agenda: str) -> rx.Component:
    """The pager's words: the RDV list reads as an agenda (upcoming first, then past)."""
    return rx.cond(ListState.category == "rdv", agenda, dated)


def listing() -> rx.Component:
    return rx.cond(
        ListState.loaded,
        rx.vstack(
            rx.link("‹ Accueil", href="/accueil", size="2"),
            rx.heading(ListState.label, " (", ListState.total, ")", size="6", as_="h1"),
            item_list(ListState.rows, show_dossier=True, show_pay=True),
            pager(
                ListState.newer, ListState.older,
                newer=rx.link(_words("‹ Plus récents", "‹ Précédents"), href=_href("?apres=" + ListState.newer)),
                older=rx.link(_words("Plus anciens ›", "Suivants ›"), href=_href("?avant=" + ListState.older)),
                newest=rx.link(_words("Les plus récents", "Prochains rendez-vous"), href=_href("")),
                oldest=rx.link(_words("Les plus anciens", "Les plus anciens"), href=_href("?fin=1")),
            ),
            spacing="3",
            width="100%",
        ),
    )


for _cat in portal.categories():
    client_page(f"/{_cat.key}", _cat.label, ListState.load)(listing)
