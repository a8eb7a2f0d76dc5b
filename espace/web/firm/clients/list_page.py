"""/admin/clients: the firm's clients, with search and the last login of each."""
import reflex as rx

from espace.web.components.firm_ui import muted, pager, plain_list, row_item, status_badge
from espace.web.components.layout import firm_page
from espace.web.firm.clients.state import ClientsListState as S


def _row(r) -> rx.Component:
    return row_item(
        rx.box(
            rx.link(r.name, href="/admin/clients/" + r.id.to_string(), weight="bold"),
            muted(r.email),
            flex="1 1 240px", min_width="0",
        ),
        rx.box(muted(r.ville), flex="0 1 140px", min_width="0"),
        rx.box(muted("Dernière connexion : ", r.last_login), flex="0 1 230px", min_width="0"),
        status_badge(r.status),
    )


@firm_page("/admin/clients", "Clients", S.load, h1=("Clients", " (", S.total, ")"),
           action=("Nouveau client", "/admin/clients/nouveau"))
def clients() -> list[rx.Component]:
    return [
        rx.form(
            rx.flex(
                rx.box(
                    rx.el.label("Rechercher un client", html_for="recherche-client",
                                style={"display": "block", "font-weight": 500, "font-size": "14px",
                                       "margin_bottom": "4px"}),
                    rx.input(id="recherche-client", name="q", type="search", default_value=S.search,
                             placeholder="Nom, prénom, e-mail ou ville", size="3", width="100%", max_length=100),
                    flex="1 1 220px", min_width="0",
                ),
                rx.button("Rechercher", type="submit", size="3"),
                align="end", spacing="2", wrap="wrap", width="100%",
            ),
            on_submit=S.do_search,
            width="100%",
        ),
        rx.cond(
            S.rows.length() > 0,
            plain_list(rx.foreach(S.rows, _row), label="Liste des clients"),
            rx.text(rx.cond(S.search != "", "Aucun client ne correspond à cette recherche.",
                            "Aucun client pour le moment.")),
        ),
        pager(S.page, S.pages, S.go),
    ]
