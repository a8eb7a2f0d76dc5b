"""Lists of shared items (services/client/views.ItemRow), their pager, and the home tiles (views.Tile)."""
from __future__ import annotations

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

from espace.web import styles
from espace.web.components.actions import link_button


def file_link(*children, **props) -> rx.Component:
    """A link served by the API (a document), not a page: the browser loads it itself."""
    style = {"color": "var(--accent-11)", **props.pop("style", {})}
    return ReactRouterLink.create(*children, reload_document=True, style=style, **props)


def _pay_link(row) -> rx.Component:
    """`Payer en ligne`, on an invoice the firm lets the client pay now (row.pay)."""
    return rx.cond(
        row.pay != "",
        link_button("Payer en ligne", row.pay.to(str), size="2"),
    )


def _actions(row, show_pay: bool) -> rx.Component:
    """A row's actions at the right: download, add to the calendar, pay online."""
    return rx.box(
        rx.cond(
            row.url != "",
            # `download`: the browser saves the file without unloading the page (live connection kept).
            file_link("Télécharger", href=row.url + "?telecharger=1", class_name="row-action",
                      aria_label="Télécharger " + row.name.to(str), custom_attrs={"download": ""}),
        ),
        rx.cond(
            row.agenda != "",
            # an .ics file: the browser hands it to the calendar app (or saves it), the page stays
            file_link("Ajouter à mon agenda", href=row.agenda, class_name="row-action",
                      aria_label="Ajouter à mon agenda : " + row.name.to(str) + ", " + row.date.to(str),
                      custom_attrs={"download": ""}),
        ),
        *([_pay_link(row)] if show_pay else []),
        class_name="row-actions",
    )


def _item(row, show_dossier: bool, show_pay: bool = False) -> rx.Component:
    """One row (assets/listes.css): its date, its name and details, its actions at the
    right. On a phone the date goes above the name and the actions stay beside them,
    each at least 44 px high."""
    name = rx.cond(
        row.url != "",
        file_link(row.name, href=row.url, target="_blank", rel="noopener", class_name="row-name",
                  style={"font-weight": 500}),
        rx.cond(
            row.dossier_id != "",
            rx.cond(
                row.date == "",
                rx.link(row.name, href="/dossiers/" + row.dossier_id.to(str), weight="medium", class_name="row-name"),
                rx.text(row.name, weight="medium"),
            ),
            rx.text(row.name, weight="medium"),
        ),
    )
    return rx.el.li(
        rx.cond(row.date != "", rx.text(row.date, color=styles.MUTED, size="2", class_name="row-date")),
        rx.box(
            # « Nouveau »: not opened yet by the client (services/client/news.annotate)
            rx.cond(row.new, rx.flex(rx.badge("Nouveau", color_scheme="orange", variant="soft", high_contrast=True, size="1"),
                                     name, spacing="2", align="center", wrap="wrap"), name),
            rx.cond(row.detail != "", rx.text(row.detail, size="2", color=styles.MUTED)),
            rx.cond(row.receipt != "", rx.text(row.receipt, size="2", color=styles.MUTED)),
            *(
                [
                    rx.cond(
                        (row.dossier != "") & (row.date != ""),
                        rx.text(
                            "Dossier : ",
                            rx.link(row.dossier, href="/dossiers/" + row.dossier_id.to(str)),
                            size="2",
                        ),
                    )
                ]
                if show_dossier
                else []
            ),
            class_name="row-main",
        ),
        _actions(row, show_pay),
        class_name=rx.cond(row.date != "", "row", "row row-nodate"),
    )


def item_list(rows, show_dossier: bool = False, show_pay: bool = False, label: str | None = None) -> rx.Component:
    """`show_pay`: an invoice's `pay` link is shown as `Payer en ligne`."""
    return rx.el.ul(
        rx.foreach(rows, lambda r: _item(r, show_dossier, show_pay)),
        class_name="rows",
        **({"aria_label": label} if label else {}),
    )


def pager(newer, older, /, **links: rx.Component) -> rx.Component:
    """« Les plus récents », « ‹ Plus récents », « Plus anciens › », « Les plus anciens »:
    each shown when there are items that way (`newer` / `older`: the cursors, "" at an end).
    `links`: newer, older and, for a list with its own URLs, newest and oldest."""
    parts = []
    if "newest" in links:
        parts.append(rx.cond(newer != "", links["newest"]))
    parts.append(rx.cond(newer != "", links["newer"]))
    parts.append(rx.cond(older != "", links["older"]))
    if "oldest" in links:
        parts.append(rx.cond(older != "", links["oldest"]))
    return rx.cond(
        (newer != "") | (older != ""),
        rx.flex(*parts, spacing="4", align="center", wrap="wrap", role="navigation", aria_label="Pages"),
    )
