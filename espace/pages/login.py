"""/connexion: Identifiant, Mot de passe, Se connecter, Mot de passe oublié ?"""
import reflex as rx

from espace.components.forms import banner, field
from espace.components.layout import public_frame
from espace.state.login import LoginState


@rx.page(route="/connexion", title="Connexion — Mon espace client", on_load=LoginState.load)
def login() -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.heading("Mon espace client", size="6", as_="h1"),
            rx.heading("Connexion", size="4", as_="h2", color="var(--gray-11)"),
            banner(LoginState.info),
            banner(LoginState.error, "red"),
            rx.form(
                field("Identifiant", "identifier", type="email", autocomplete="username",
                      max_length=254),
                field("Mot de passe", "password", type="password", autocomplete="current-password", max_length=1024),
                rx.button("Se connecter", type="submit", size="3", width="100%", loading=LoginState.busy),
                on_submit=LoginState.submit,
                width="100%",
            ),
            rx.link("Mot de passe oublié ?", href="/mot-de-passe-oublie", size="2"),
            width="100%",
            spacing="3",
        )
    )


@rx.page(route="/", title="Mon espace client", on_load=rx.redirect("/accueil", replace=True))
def index() -> rx.Component:
    return rx.fragment()
