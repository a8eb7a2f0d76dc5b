"""/connexion: Identifiant, Mot de passe, Se connecter, Mot de passe oublié ?"""
import reflex as rx

from espace.web.components.forms import banner, field
from espace.web.components.layout import public_frame
from espace.web.public.login.state import LoginState

LINK_BUTTON = {"background": "transparent", "border": "none", "color": "var(--accent-11)", "cursor": "pointer",
               "padding": "4px 0", "font-size": "14px", "text-align": "left", "text-decoration": "underline"}


# The submit buttons wait for the page's state to be live (its `load` has run: Reflex sets
# is_hydrated after the on_load handlers, and unsets it while a reconnect rehydrates): a
# click or an Enter before then would be handled before `load`, which would undo it. A
# disabled default button also blocks the form's implicit submission (Enter).
NOT_LIVE = ~rx.State.is_hydrated


# A long label wraps inside the button on a phone instead of overflowing it.
WRAPPING_BUTTON = {"height": "auto", "min_height": "var(--space-7)", "padding_top": "8px", "padding_bottom": "8px",
                   "white_space": "normal", "line_height": "1.3"}


def _webauthn_status() -> rx.Component:
    return rx.el.p(custom_attrs={"data-webauthn-status": "true"}, role="status", aria_live="polite",
                   style={"margin": 0, "font-size": "14px"})


def _password_step() -> rx.Component:
    return rx.vstack(
        rx.form(
            field("Identifiant", "identifier", type="email", autocomplete="username webauthn",
                  max_length=254),
            field("Mot de passe", "password", type="password", autocomplete="current-password", max_length=1024),
            rx.button("Se connecter", type="submit", size="3", width="100%", loading=LoginState.busy,
                      disabled=NOT_LIVE),
            on_submit=LoginState.submit,
            # "true" once the page's state has arrived and its on_load has run: what the
            # browser tests wait for before typing (a slow machine hydrates late).
            custom_attrs={"data-hydrated": rx.State.is_hydrated.to_string()},
            width="100%",
        ),
        rx.button("Se connecter avec une clé d'accès", type="button", size="3", width="100%", variant="outline",
                  custom_attrs={"data-webauthn": "login"}, style=WRAPPING_BUTTON),
        _webauthn_status(),
        rx.link("Mot de passe oublié ?", href="/mot-de-passe-oublie", size="2"),
        width="100%",
        spacing="3",
    )


def _code_form(label: str, hint: str) -> rx.Component:
    return rx.form(
        rx.text(hint, size="2", margin_bottom="8px"),
        field(label, "code", autocomplete="one-time-code", max_length=20),
        rx.button("Vérifier", type="submit", size="3", width="100%", loading=LoginState.busy, disabled=NOT_LIVE),
        on_submit=LoginState.submit_code,
        key=LoginState.code_key,
        width="100%",
    )


def _second_step() -> rx.Component:
    return rx.vstack(
        rx.heading("Double authentification", size="4", as_="h2"),
        rx.match(
            LoginState.mode,
            ("recovery", _code_form("Code de secours", "Saisissez l'un de vos codes de secours (il ne servira "
                                    "qu'une fois).")),
            ("passkey", rx.text("Confirmez la connexion avec votre clé d'accès.", size="2")),
            _code_form("Code de l'application d'authentification",
                       "Saisissez le code à 6 chiffres affiché par votre application d'authentification."),
        ),
        rx.cond(
            LoginState.has_passkey,
            rx.button("Utiliser une clé d'accès", type="button", size="3", width="100%",
                      variant=rx.cond(LoginState.mode == "passkey", "solid", "outline"),
                      custom_attrs={"data-webauthn": "second-factor"}, style=WRAPPING_BUTTON),
        ),
        _webauthn_status(),
        rx.cond(
            LoginState.has_totp & (LoginState.mode != "totp"),
            rx.el.button("Utiliser le code de l'application", type="button", style=LINK_BUTTON,
                         on_click=LoginState.use_mode("totp")),
        ),
        rx.cond(
            LoginState.has_recovery & (LoginState.mode != "recovery"),
            rx.el.button("Utiliser un code de secours", type="button", style=LINK_BUTTON,
                         on_click=LoginState.use_mode("recovery")),
        ),
        rx.el.button("Annuler", type="button", style=LINK_BUTTON, on_click=LoginState.cancel),
        width="100%",
        spacing="3",
    )


@rx.page(route="/connexion", title="Connexion — Mon espace client", on_load=LoginState.load)
def login() -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.heading("Mon espace client", size="6", as_="h1"),
            rx.heading("Connexion", size="4", as_="h2", color="var(--gray-11)"),
            banner(LoginState.info),
            banner(LoginState.error, "red"),
            # Both steps stay mounted (shown or hidden): an rx.cond would remount the
            # password form when the page hydrates, and lose what a quick user typed.
            rx.box(_password_step(), display=rx.cond(LoginState.step == "second", "none", "block"), width="100%"),
            rx.box(_second_step(), display=rx.cond(LoginState.step == "second", "block", "none"), width="100%"),
            width="100%",
            spacing="3",
        )
    )


@rx.page(route="/", title="Mon espace client", on_load=rx.redirect("/accueil", replace=True))
def index() -> rx.Component:
    return rx.fragment()
