"""Mot de passe oublié (/mot-de-passe-oublie) and choosing a password from an
emailed link (/reinitialiser for a reset, /activer for an invitation)."""
import reflex as rx

from espace.web.components.forms import banner, field, new_password_fields
from espace.web.components.layout import public_frame
from espace.web.public.login.page import NOT_LIVE  # sent only once the page's load has run
from espace.web.public.login.state import ForgotState, ResetState


@rx.page(route="/mot-de-passe-oublie", title="Mot de passe oublié — Mon espace client", on_load=ForgotState.load)
def forgot() -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.heading("Mot de passe oublié", size="5", as_="h1"),
            rx.text("Saisissez votre identifiant : vous recevrez un e-mail avec un lien pour choisir un nouveau mot de passe.",
                    size="2"),
            banner(ForgotState.message),
            rx.form(
                field("Identifiant", "identifier", type="email", autocomplete="username",
                      error=ForgotState.error, max_length=254),
                rx.button("Envoyer le lien", type="submit", size="3", width="100%", disabled=NOT_LIVE),
                on_submit=ForgotState.submit,
                width="100%",
            ),
            rx.link("Retour à la connexion", href="/connexion", size="2"),
            width="100%",
            spacing="3",
        )
    )


def _reset_form(title: str) -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.heading(title, size="5", as_="h1"),
            rx.cond(
                ResetState.done,
                rx.vstack(banner(ResetState.message), rx.link("Se connecter", href="/connexion")),
                rx.cond(
                    ResetState.valid,
                    rx.form(
                        *new_password_fields(ResetState.errors),
                        rx.button("Enregistrer", type="submit", size="3", width="100%", disabled=NOT_LIVE),
                        on_submit=ResetState.submit,
                        width="100%",
                    ),
                    rx.vstack(
                        rx.callout("Ce lien n'est plus valable (déjà utilisé ou expiré).", color_scheme="red",
                                   role="alert"),
                        rx.link("Demander un nouveau lien", href="/mot-de-passe-oublie"),
                    ),
                ),
            ),
            width="100%",
            spacing="3",
        )
    )


@rx.page(route="/reinitialiser", title="Nouveau mot de passe — Mon espace client", on_load=ResetState.load)
def reset() -> rx.Component:
    return _reset_form("Choisir un nouveau mot de passe")


@rx.page(route="/activer", title="Activer mon espace client", on_load=ResetState.load)
def activate() -> rx.Component:
    return _reset_form("Choisir mon mot de passe")
