"""/admin/paiements: the firm's online payments."""
import reflex as rx
from reflex.vars import Var

from espace.services.payments import PaymentRow
from espace.web import styles
from espace.web.components.layout import firm_page
from espace.web.firm.payments.state import PaymentsState as A


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


@firm_page("/admin/paiements", "Paiements", A.load, h1="Paiements en ligne")
def firm_payments() -> list[rx.Component]:
    return [
        rx.cond(
            A.rows.length() > 0,
            rx.el.ul(rx.foreach(A.rows, _payment_item), style={"padding": 0, "margin": 0, "width": "100%"}),
            rx.text("Aucun paiement en ligne pour le moment."),
        ),
    ]
