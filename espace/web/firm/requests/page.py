"""/admin/demandes: pending contact-details requests, the value on file beside the
one asked for each field, `Accepter`, or `Refuser` with a `Motif`."""
import reflex as rx

from espace.web import styles
from espace.web.components.forms import banner
from espace.web.components.layout import firm_page
from espace.web.firm.requests.state import FirmRequestsState as S

LABEL_STYLE = {"display": "block", "font-weight": 500, "margin_bottom": "4px", "font-size": "14px"}
CELL = {"padding": "6px 8px", "border_bottom": "1px solid var(--gray-4)", "text_align": "left",
        "vertical_align": "top", "overflow_wrap": "anywhere"}


def _field_row(f) -> rx.Component:
    changed = f.changed
    return rx.el.tr(
        rx.el.th(f.label, scope="row", style={**CELL, "font-weight": 500}),
        rx.el.td(f.old, style={**CELL, "color": styles.MUTED}),
        rx.el.td(rx.cond(changed, rx.text.strong(f.new), f.new),
                 style={**CELL, "background": rx.cond(changed, "var(--amber-3)", "transparent")}),
    )


def _pending(r) -> rx.Component:
    rid = r.id.to_string()
    motif_id = "motif-" + rid
    return rx.el.article(
        rx.heading(r.client, size="4", as_="h2"),
        rx.text("Demande du ", r.date, " · modifié : ", r.changed, size="2", color=styles.MUTED),
        rx.el.table(
            rx.el.thead(rx.el.tr(
                rx.el.th("Champ", scope="col", style=CELL),
                rx.el.th("Actuel", scope="col", style=CELL),
                rx.el.th("Demandé", scope="col", style=CELL),
            )),
            rx.el.tbody(rx.foreach(r.fields, _field_row)),
            style={"width": "100%", "border_collapse": "collapse", "font-size": "14px", "table_layout": "fixed",
                   "margin": "8px 0"},
        ),
        rx.cond(S.errors.get(rid, "") != "",
                rx.text(S.errors.get(rid, ""), color="var(--red-11)", size="2", role="alert", margin_bottom="8px")),
        rx.flex(
            rx.button("Accepter", size="3", color_scheme="green", high_contrast=True, on_click=S.accept(rid),
                      aria_label="Accepter la demande de " + r.client),
            rx.form(
                rx.el.input(type="hidden", name="demande", value=rid),
                rx.el.label("Motif", rx.text.span(" *", color="var(--red-11)", aria_hidden="true"),
                            html_for=motif_id, style=LABEL_STYLE),
                rx.text_area(id=motif_id, name="motif", max_length=1000, rows="2", size="3", width="100%"),
                rx.button("Refuser", type="submit", size="3", color_scheme="red", variant="soft", margin_top="8px",
                          aria_label="Refuser la demande de " + r.client),
                on_submit=S.refuse,
                key=S.form_key,
                style={"flex": "1 1 260px", "min_width": "0"},
            ),
            spacing="4",
            wrap="wrap",
            align="start",
            margin_top="8px",
        ),
        aria_label="Demande de " + r.client,
        style={"border": "1px solid var(--gray-6)", "border_radius": "8px", "padding": "12px", "width": "100%",
               "margin_bottom": "16px"},
    )


def _processed(r) -> rx.Component:
    return rx.el.li(
        rx.text(rx.text.strong(r.client), " — ", r.status, " le ", r.decided,
                rx.cond(r.by != "", rx.text.span(" par ", r.by)), size="2"),
        rx.cond(r.reason != "", rx.text("Motif : ", r.reason, size="2", color=styles.MUTED,
                                                 style={"white_space": "pre-wrap"})),
        style={"padding": "8px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none",
               "overflow_wrap": "anywhere"},
    )


@firm_page("/admin/demandes", "Demandes", S.load, h1="Demandes de mise à jour des coordonnées")
def firm_requests() -> list[rx.Component]:
    return [
        banner(S.message),
        rx.cond(
            S.pending.length() > 0,
            rx.box(rx.foreach(S.pending, _pending), width="100%"),
            rx.text("Aucune demande en attente.", color=styles.MUTED),
        ),
        rx.cond(
            S.processed.length() > 0,
            rx.box(
                rx.heading("Demandes traitées", size="4", as_="h2", margin_bottom="4px"),
                rx.el.ul(rx.foreach(S.processed, _processed), style={"padding": 0, "margin": 0},
                         aria_label="Demandes traitées"),
                width="100%",
            ),
        ),
    ]
