"""/mon-compte/coordonnees: « Mettre à jour mes coordonnées » (a request to the firm)."""
import reflex as rx

from espace.web.client.contact.state import ContactDetailsState as S
from espace.web.components.forms import banner, field
from espace.web.components.layout import client_page

FIELDS = [
    ("Nom", "nom", "text", "family-name"),
    ("Prénom", "prenom", "text", "given-name"),
    ("E-mail", "email", "email", "email"),
    ("Adresse", "adresse", "text", "street-address"),
    ("Code postal", "code_postal", "text", "postal-code"),
    ("Ville", "ville", "text", "address-level2"),
    ("Tél", "tel", "tel", "tel"),
    ("Mobile", "mobile", "tel", "tel"),
]


def _pending() -> rx.Component:
    return rx.cond(
        S.pending.length() > 0,
        rx.box(
            rx.text("Demande du ", S.pending["date"], " en attente de validation par votre avocat :", weight="bold"),
            rx.el.dl(
                *[
                    rx.fragment(rx.el.dt(label, style={"font-weight": 500}), rx.el.dd(S.pending[name], style={"margin": "0 0 4px 0"}))
                    for label, name, _, _ in FIELDS
                ],
                style={"margin": "6px 0 0 0", "overflow_wrap": "anywhere"},
            ),
            role="status",
            width="100%",
            margin_bottom="12px",
            padding="12px",
            border_radius="8px",
            background="var(--amber-3)",
            border="1px solid var(--amber-7)",
        ),
    )


@client_page("/mon-compte/coordonnees", "Mettre à jour mes coordonnées", S.load, back=("‹ Mon compte", "/mon-compte"))
def contact_details() -> list[rx.Component]:
    return [
        rx.text("Votre avocat validera les modifications avant qu'elles ne soient appliquées.", size="2"),
        banner(S.message),
        banner(S.errors.get("form", ""), "red"),
        _pending(),
        rx.form(
            *[
                field(label, name, type=type_, autocomplete=ac, default_value=S.values[name],
                      error=S.errors.get(name, ""), max_length=200)
                for label, name, type_, ac in FIELDS
            ],
            rx.cond(
                S.asks_identity,
                rx.el.fieldset(
                    rx.el.legend("Confirmez votre identité", style={"font-weight": 600, "margin-bottom": "6px"}),
                    field("Mot de passe", "mot_de_passe_confirmation", type="password",
                          autocomplete="current-password", error=S.errors.get("identity", ""), max_length=1024),
                    rx.cond(S.asks_code, field("Code de l'application ou code de secours", "code_confirmation",
                                               required=False, autocomplete="one-time-code", max_length=20)),
                    rx.cond(S.asks_passkey, rx.text(
                        "Avec une clé d'accès : ouvrez ", rx.link("Mon compte › Sécurité", href="/mon-compte/securite"),
                        ", « Confirmer mon identité », puis revenez ici dans les 5 minutes.", size="2")),
                    style={"border": "1px solid var(--amber-7)", "border-radius": "8px", "padding": "12px",
                           "margin": "0 0 12px 0"},
                ),
            ),
            rx.button("Envoyer", type="submit", size="3"),
            on_submit=S.submit,
            key=S.form_key,
            width="100%",
        ),
    ]
