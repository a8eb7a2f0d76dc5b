"""/admin/dossiers: the firm's dossiers, filtered by text, interlocutor, client."""
import reflex as rx

from espace.web import styles
from espace.web.components.firm_ui import muted, pager, plain_list, row_item
from espace.web.components.forms import banner
from espace.web.components.layout import firm_page
from espace.web.firm.dossiers.state import DossiersListState as S

LABEL_STYLE = {"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}
SELECT_STYLE = styles.SELECT


def _row(r) -> rx.Component:
    return row_item(
        rx.box(
            rx.link(r.reference, " — ", r.label, href="/admin/dossiers/" + r.id.to_string(), weight="bold"),
            muted("Clients : ", rx.cond(r.clients != "", r.clients, "aucun")),
            flex="1 1 300px", min_width="0",
        ),
        rx.box(muted("Interlocuteur : ", r.interlocutor), flex="0 1 220px", min_width="0"),
        rx.link("Modifier", href="/admin/dossiers/" + r.id.to_string() + "/modifier", size="2",
                aria_label="Modifier le dossier " + r.reference.to(str)),
    )


def _select(label: str, name: str, html_id: str, options, value, find, who: str) -> rx.Component:
    """A filter whose choices are found by typing: « Chercher un <who> » asks the server
    for the first matches (a bounded list, services/firm/dossiers.py `suggest`), which
    the select then offers; « Tous » clears the filter. Both are native controls (label,
    role and keyboard as the browser gives them)."""
    return rx.box(
        rx.el.label(label, html_for=html_id, style=LABEL_STYLE),
        rx.input(id=html_id + "-recherche", type="text", placeholder=f"Chercher un {who}…", size="2",
                 aria_label=f"Chercher un {who}", aria_controls=html_id, auto_complete="off", max_length=100,
                 width="100%", on_change=find.debounce(300), margin_bottom="4px"),
        rx.el.select(
            rx.el.option("Tous", value=""),
            rx.foreach(options, lambda o: rx.el.option(o.name, value=o.id.to_string())),
            id=html_id, name=name, default_value=value, style=SELECT_STYLE,
        ),
        flex="1 1 200px", min_width="0",
    )


@firm_page("/admin/dossiers", "Dossiers", S.load, h1=("Dossiers", " (", S.total, ")"),
           action=("Nouveau dossier", "/admin/dossiers/nouveau"))
def dossiers() -> list[rx.Component]:
    return [
        banner(S.error, "red"),
        rx.form(
            rx.flex(
                rx.box(
                    rx.el.label("Rechercher", html_for="recherche-dossier", style=LABEL_STYLE),
                    rx.input(id="recherche-dossier", name="q", type="search", default_value=S.search,
                             placeholder="Référence, intitulé ou nom d'un client", size="3", width="100%",
                             max_length=100),
                    flex="2 1 240px", min_width="0",
                ),
                _select("Interlocuteur", "interlocuteur", "filtre-interlocuteur", S.interlocutors,
                        S.interlocutor_id, S.find_interlocutors, "interlocuteur"),
                _select("Client", "client", "filtre-client", S.clients, S.client_id, S.find_clients, "client"),
                rx.flex(
                    rx.button("Filtrer", type="submit", size="3"),
                    rx.button("Effacer", type="button", variant="soft", size="3", on_click=S.clear),
                    spacing="2",
                ),
                align="end", spacing="3", wrap="wrap", width="100%",
            ),
            on_submit=S.apply,
            key=S.form_key,
            width="100%",
        ),
        rx.cond(
            S.rows.length() > 0,
            plain_list(rx.foreach(S.rows, _row), label="Liste des dossiers"),
            rx.text("Aucun dossier ne correspond."),
        ),
        pager(S.page, S.pages, S.go),
    ]
