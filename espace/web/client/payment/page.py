"""/factures/<id>/paiement: « Payer en ligne » an invoice (Stripe card element)."""
import reflex as rx

from espace.web import styles
from espace.web.client.payment.state import PaymentState as S
from espace.web.components.forms import banner
from espace.web.components.layout import Missing, client_page


def _fact(label: str, *value) -> rx.Component:
    return rx.flex(
        rx.text(label, color=styles.MUTED, size="2", min_width="80px"),
        rx.text(*value, weight="medium", style={"overflow_wrap": "anywhere"}),
        spacing="2", wrap="wrap", align="baseline",
    )


def _card_form() -> rx.Component:
    return rx.vstack(
        rx.el.fieldset(
            rx.el.legend("Carte bancaire", style={"font-weight": 500, "font-size": "14px", "padding": "0 4px"}),
            # Stripe.js mounts its card element here (assets/paiement.js); React never renders into it.
            rx.el.div(
                id="carte-paiement",
                style={"display": "flex", "flex_wrap": "wrap", "gap": "6px", "align_items": "center",
                       "min_height": "40px", "max_width": "100%", "overflow": "hidden"},
            ),
            style={"border": "1px solid var(--gray-7)", "border_radius": "8px", "padding": "10px 12px",
                   "margin": 0, "width": "100%", "min_width": 0},
        ),
        rx.text(
            "Paiement sécurisé par la plateforme Stripe : les données de votre carte lui sont transmises "
            "directement, elles ne passent ni par ce site ni par votre cabinet.",
            size="1", color=styles.MUTED,
        ),
        rx.button(
            rx.cond(S.busy, "Paiement en cours…", rx.text.span("Payer ", S.amount)),
            on_click=S.pay,
            disabled=S.busy | ~S.card_ready,
            loading=S.busy,
            size="3",
        ),
        spacing="2",
        width="100%",
    )


@client_page("/factures/[facture_id]/paiement", "Payer une facture", S.load, h1=("Facture n° ", S.number),
             back=("‹ Factures", "/factures"), width="560px",
             missing=Missing(S.not_found, "Facture introuvable", "Retour aux factures", "/factures"))
def payment() -> list[rx.Component]:
    return [
        _fact("Dossier :", rx.link(S.dossier, href="/dossiers/" + S.dossier_id)),
        _fact("Date :", S.date),
        _fact("Montant :", S.amount),
        rx.flex(
            rx.text("Statut :", color=styles.MUTED, size="2", min_width="80px"),
            rx.badge(S.status, high_contrast=True, color_scheme=rx.cond(S.paid, "green", "amber"), size="2"),
            spacing="2", align="center", role="status", aria_live="polite",
        ),
        banner(S.info),
        banner(S.error, "red"),
        rx.cond(S.payable & ~S.paid, _card_form()),
    ]
