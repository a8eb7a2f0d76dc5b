"""/admin/paiements: the firm's online payments, newest first, one page at a time
(« Plus récents » / « Plus anciens »), filtered by status, dossier and dates."""
import reflex as rx
from reflex.vars import Var

from espace.services.payments import PaymentRow
from espace.web import styles
from espace.web.components.items import pager
from espace.web.components.layout import firm_page
from espace.web.firm.payments.state import STATUS_CHOICES
from espace.web.firm.payments.state import PaymentsState as A

LABEL_STYLE = {"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}


def _payment_item(row: Var[PaymentRow]) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(row.date, color=styles.MUTED, size="2", min_width="130px"),
            rx.box(
                rx.text(row.facture, " — ", row.amount, weight="medium"),
                rx.text(row.client, " · ", row.dossier, size="2"),
                rx.text("Stripe : ", row.stripe_id, size="1", color=styles.MUTED,
                        style={"word_break": "break-all"}),
                flex="1 1 220px", min_width="0", style={"overflow_wrap": "anywhere"},
            ),
            rx.badge(row.status, high_contrast=True, color_scheme=rx.cond(row.status == "Réussi", "green", "gray")),
            spacing="3", wrap="wrap", align="start",
        ),
        style={"padding": "10px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none"},
    )


def _field(label: str, html_id: str, control: rx.Component, flex: str = "1 1 150px") -> rx.Component:
    return rx.box(rx.el.label(label, html_for=html_id, style=LABEL_STYLE), control, flex=flex, min_width="0")


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            _field("Statut", "filtre-statut", rx.el.select(
                *[rx.el.option(text, value=value) for value, text in STATUS_CHOICES],
                id="filtre-statut", name="statut", default_value=A.status, style=styles.SELECT)),
            _field("Dossier", "filtre-dossier", rx.input(
                id="filtre-dossier", name="dossier", type="search", default_value=A.dossier,
                placeholder="Référence ou intitulé", size="3", width="100%", max_length=100), flex="2 1 200px"),
            _field("Du", "filtre-du", rx.input(id="filtre-du", name="du", type="date", default_value=A.du,
                                              size="3", width="100%")),
            _field("Au", "filtre-au", rx.input(id="filtre-au", name="au", type="date", default_value=A.au,
                                              size="3", width="100%")),
            rx.flex(
                rx.button("Filtrer", type="submit", size="3"),
                rx.button("Effacer", type="button", variant="soft", size="3", on_click=A.clear),
                spacing="2",
            ),
            align="end", spacing="3", wrap="wrap", width="100%",
        ),
        on_submit=A.apply,
        key=A.form_key,
        width="100%",
        aria_label="Filtrer les paiements",
    )


@firm_page("/admin/paiements", "Paiements", A.load, h1="Paiements en ligne")
def firm_payments() -> list[rx.Component]:
    return [
        _filters(),
        rx.cond(
            A.rows.length() > 0,
            rx.el.ul(rx.foreach(A.rows, _payment_item), aria_label="Liste des paiements",
                     style={"padding": 0, "margin": 0, "width": "100%"}),
            rx.text(rx.cond(A.filtered, "Aucun paiement ne correspond à ces filtres.",
                            "Aucun paiement en ligne pour le moment.")),
        ),
        pager(
            A.newer, A.older,
            newest=rx.button("Les plus récents", variant="soft", on_click=A.go_newest),
            newer=rx.button("‹ Plus récents", variant="soft", on_click=A.go_newer),
            older=rx.button("Plus anciens ›", variant="soft", on_click=A.go_older),
            oldest=rx.button("Les plus anciens", variant="soft", on_click=A.go_oldest),
        ),
    ]
