"""« Confirmez votre identité »: the step-up dialog (services/accounts/step_up.py) of any
state with web/step_up.StepUpMixin — Mon compte › Sécurité, /double-authentification and
the firm's security changes on /admin. The password, then, when the person has a second
factor, « Code de l'application ou code de secours » or a passkey (assets/webauthn.js,
data-webauthn="step-up", which reads the password field and then clicks the hidden
« Identité confirmée » button)."""
from typing import Any

import reflex as rx

from espace.web.components.forms import field

HINT = {"size": "2", "color": "var(--gray-11)"}
PASSWORD_FIELD = "mot_de_passe_confirmation"


ACCOUNT = "Ce changement touche à la sécurité de votre compte."
FIRM = "Ce changement touche à la sécurité du cabinet ou de ses clients."


def _passkey_way(S: Any) -> rx.Component:
    return rx.cond(
        S.asks_passkey,
        rx.box(
            rx.text("Ou, avec votre mot de passe ci-dessus, utilisez une clé d'accès :", **HINT, margin_bottom="6px"),
            rx.button("Utiliser une clé d'accès", type="button", variant="soft",
                      custom_attrs={"data-webauthn": "step-up", "data-password-field": f"champ-{PASSWORD_FIELD}"}),
            rx.el.p(custom_attrs={"data-webauthn-status": "true"}, role="status", aria_live="polite",
                    style={"margin": "6px 0 0 0", "font-size": "14px"}),
            rx.el.button("Identité confirmée", type="button", on_click=S.passkey_confirmed, hidden=True,
                         custom_attrs={"data-step-up-done": "true"}),
            margin_top="12px", width="100%",
        ),
    )


def step_up_dialog(S: Any, why: str = ACCOUNT) -> rx.Component:
    """The dialog of the state S (a StepUpMixin); `why` opens its description."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Confirmez votre identité"),
            rx.dialog.description(
                why + " Saisissez votre mot de passe"
                + rx.cond(S.asks_code, " et le code de votre application (ou un code de secours)", "")
                + ". Vous ne serez plus sollicité pendant 5 minutes.",
                size="2", margin_bottom="12px",
            ),
            rx.cond(S.step_up_error != "",
                    rx.callout(S.step_up_error, color_scheme="red", role="alert", margin_bottom="12px")),
            rx.form(
                field("Mot de passe", PASSWORD_FIELD, type="password", autocomplete="current-password",
                      max_length=1024),
                rx.cond(S.asks_code,
                        field("Code de l'application ou code de secours", "code_confirmation", required=False,
                              autocomplete="one-time-code", max_length=20)),
                rx.flex(
                    rx.button("Confirmer", type="submit", size="3"),
                    rx.dialog.close(rx.button("Annuler", type="button", size="3", variant="soft", color_scheme="gray",
                                              on_click=S.cancel_step_up)),
                    spacing="2", wrap="wrap",
                ),
                _passkey_way(S),
                on_submit=S.confirm_identity,
                key=S.step_up_key,
                width="100%",
            ),
            max_width="480px",
        ),
        open=S.step_up_open,
        on_open_change=lambda _open: S.cancel_step_up(),
    )
