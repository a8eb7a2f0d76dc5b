"""One list page per category (/documents, /dossiers, /rdv…): all dossiers mixed, newest first
(the RDV: upcoming first, soonest at the top, then past ones), or one dossier (`?dossier=<id>`,
chosen in « Dossier », kept in the pager's links)."""
import reflex as rx

from espace.services.client import views
from espace.web.client.listing.state import ListState
from espace.web.components.items import item_list, pager
from espace.web.components.layout import client_page

ALL = "tous"  # the select's value for « Tous les dossiers » (a Radix select item cannot be "")


def _base() -> rx.Var:
    """The list's URL with its dossier filter, before the page's own parameter."""
    return rx.cond(ListState.dossier != "", "/" + ListState.category + "?dossier=" + ListState.dossier + "&",
                   "/" + ListState.category + "?")


def _href(query) -> rx.Var:
    return _base() + query


def dossier_filter() -> rx.Component:
    """« Dossier » select: choosing one goes to the list's URL with `?dossier=<id>`."""
    return rx.cond(
        (ListState.category != views.DOSSIERS) & (ListState.choices.length() > 1),
        rx.flex(
            rx.el.label("Dossier", html_for="filtre-dossier", style={"font-weight": 500, "font-size": "14px"}),
            rx.select.root(
                rx.select.trigger(id="filtre-dossier", placeholder="Tous les dossiers",
                                  style={"max_width": "100%", "min_height": "40px"}),
                rx.select.content(
                    rx.select.item("Tous les dossiers", value=ALL),
                    rx.foreach(ListState.choices, lambda c: rx.select.item(c["title"], value=c["id"])),
                ),
                value=rx.cond(ListState.dossier != "", ListState.dossier, ALL),
                on_change=lambda v: rx.redirect(
                    rx.cond(v == ALL, "/" + ListState.category, "/" + ListState.category + "?dossier=" + v)),
                size="3",
            ),
            align="center", spacing="3", wrap="wrap", width="100%",
        ),
    )


def _words(dated: str, agenda: str) -> rx.Component:
    """The pager's words: the RDV list reads as an agenda (upcoming first, then past)."""
    return rx.cond(ListState.category == "rdv", agenda, dated)


def listing() -> list[rx.Component]:
    return [
        dossier_filter(),
        rx.cond(ListState.total == 0, rx.text("Aucun élément dans ce dossier.", color="var(--gray-11)")),
        item_list(ListState.rows, show_dossier=True, show_pay=True),
        pager(
            ListState.newer, ListState.older,
            newer=rx.link(_words("‹ Plus récents", "‹ Précédents"), href=_href("apres=" + ListState.newer)),
            older=rx.link(_words("Plus anciens ›", "Suivants ›"), href=_href("avant=" + ListState.older)),
            newest=rx.link(_words("Les plus récents", "Prochains rendez-vous"), href=rx.cond(
                ListState.dossier != "", "/" + ListState.category + "?dossier=" + ListState.dossier,
                "/" + ListState.category)),
            oldest=rx.link(_words("Les plus anciens", "Les plus anciens"), href=_href("fin=1")),
        ),
    ]


for _cat in views.categories():
    client_page(f"/{_cat.key}", _cat.label, ListState.load, h1=(ListState.label, " (", ListState.total, ")"),
                back=("‹ Accueil", "/accueil"))(listing)
