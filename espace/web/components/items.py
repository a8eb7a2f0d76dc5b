"""Lists of shared items (portal.ItemRow), their pager, and the home tiles (portal.Tile)."""
from __future__ import annotations

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

from espace.web import styles
from espace.web.components.actions import link_button


def file_link(*children, **props) -> rx.Component:
    """A link served by the API (a document), not a page: the browser loads it itself."""
    style = {"color": "var(--accent-11)", **props.pop("style", {})}
    return ReactRouterLink.create(*children, reload_document=True, style=style, **props)


def tile(t) -> rx.Component:
    return rx.link(
        rx.card(
            rx.text(t.label, " (", t.count, ")", weight="bold", size="3"),
            width="100%",
        ),
        href="/" + t.key.to(str),
        underline="none",
        min_width=styles.TILE_MIN,
        flex="1 1 " + styles.TILE_MIN,
    )


def _pay_link(row) -> rx.Component:
    """`Payer en ligne`, on an invoice the firm lets the client pay now (row.pay)."""
    return rx.cond(
        row.pay != "",
        link_button("Payer en ligne", row.pay.to(str), size="2"),
    )


def _item(row, show_dossier: bool, show_pay: bool = False) -> rx.Component:
    name = rx.cond(
        row.url != "",
        file_link(row.name, href=row.url, target="_blank", rel="noopener", style={"font-weight": 500}),
        rx.cond(
            row.dossier_id != "",
            rx.cond(
                row.date == "",
                rx.link(row.name, href="/dossiers/" + row.dossier_id.to(str), weight="medium"),
                rx.text(row.name, weight="medium"),
            ),
            rx.text(row.name, weight="medium"),
        ),
    )
    return rx.el.li(
        rx.flex(
            rx.text(row.date, color=styles.MUTED, size="2", min_width="90px"),
            rx.box(
                name,
                rx.cond(row.detail != "", rx.text(row.detail, size="2", color=styles.MUTED)),
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
                flex="1 1 200px",
                min_width="0",
                style={"overflow_wrap": "anywhere"},
            ),
            rx.cond(
                row.url != "",
                # `download`: the browser saves the file without unloading the page (live connection kept).
                file_link("Télécharger", href=row.url + "?telecharger=1", style={"font-size": "14px"},
                          aria_label="Télécharger " + row.name.to(str), custom_attrs={"download": ""}),
            ),
            *([_pay_link(row)] if show_pay else []),
            spacing="3",
            wrap="wrap",
            align="start",
        ),
        style={"padding": "10px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none"},
    )


def item_list(rows, show_dossier: bool = False, show_pay: bool = False) -> rx.Component:
    """`show_pay`: an invoice's `pay` link is shown as `Payer en ligne`."""
    return rx.el.ul(
        rx.foreach(rows, lambda r: _item(r, show_dossier, show_pay)),
        style={"padding": 0, "margin": 0},
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
