"""Small building blocks of the firm's pages: pager, list rows, client fields."""
from __future__ import annotations

import reflex as rx

from espace.web import styles
from espace.web.components.forms import field

CLIENT_FIELDS = [
    ("Nom", "nom", "text", True),
    ("Prénom", "prenom", "text", True),
    ("E-mail", "email", "email", True),
    ("Adresse", "adresse", "text", False),
    ("Code postal", "code_postal", "text", False),
    ("Ville", "ville", "text", False),
    ("Tél", "tel", "tel", False),
    ("Mobile", "mobile", "tel", False),
]
MAX_LENGTH = {"nom": 100, "prenom": 100, "email": 254, "adresse": 200, "code_postal": 10, "ville": 100,
              "tel": 30, "mobile": 30}


def client_fields(values, errors) -> list[rx.Component]:
    return [
        field(label, name, type=type_, required=required, autocomplete="off", default_value=values[name],
              error=errors.get(name, ""), max_length=MAX_LENGTH[name])
        for label, name, type_, required in CLIENT_FIELDS
    ]


def pager(page, pages, on_go, label: str = "Pages") -> rx.Component:
    return rx.cond(
        pages > 1,
        rx.el.nav(
            rx.flex(
                rx.cond(page > 1, rx.button("‹ Page précédente", variant="soft", on_click=on_go(page - 1))),
                rx.text("Page ", page, " sur ", pages, size="2"),
                rx.cond(page < pages, rx.button("Page suivante ›", variant="soft", on_click=on_go(page + 1))),
                spacing="3", align="center", wrap="wrap",
            ),
            aria_label=label,
        ),
    )


def row_item(*children) -> rx.Component:
    """One line of a list that wraps into a card-like block on a phone."""
    return rx.el.li(
        rx.flex(*children, wrap="wrap", align="center", style={"gap": "8px 16px"}),
        style={"padding": "10px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none",
               "overflow_wrap": "anywhere"},
    )


def plain_list(*children, label: str) -> rx.Component:
    return rx.el.ul(*children, aria_label=label, style={"padding": 0, "margin": 0, "width": "100%"})


def muted(*children, **props) -> rx.Component:
    return rx.text(*children, size="2", color=styles.MUTED, **props)


def status_badge(status) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(status, ("Actif", "green"), ("Désactivé", "red"), "amber"),
        high_contrast=True,
        size="2",
    )
