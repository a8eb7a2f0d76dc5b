"""/premiere-connexion: choose a new password after logging in with a temporary one."""
import reflex as rx

from espace.web.components.forms import banner, field, new_password_fields
from espace.web.components.layout import public_frame
from espace.web.public.first_login.state import FirstLoginState as S


@rx.page(route="/premiere-connexion", title="Première connexion — Mon espace client", on_load=S.load)
def first_login() -> rx.Component:
    return public_frame(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading("Choisissez votre mot de passe", size="5", as_="h1"),
                rx.text("Vous vous êtes connecté avec un mot de passe provisoire. Choisissez votre propre mot de passe "
                        "pour accéder à votre espace client.", size="2"),
                banner(S.errors.get("form", ""), "red"),
                rx.form(
                    field("Mot de passe provisoire", "current", type="password", autocomplete="current-password",
                          error=S.errors.get("current", ""), max_length=1024),
                    *new_password_fields(S.errors),
                    rx.button("Enregistrer", type="submit", size="3", width="100%"),
                    on_submit=S.submit,
                    width="100%",
                ),
                rx.el.form(
                    rx.el.button("Déconnexion", type="submit",
                                 style={"background": "transparent", "border": "none", "color": "var(--accent-11)",
                                        "cursor": "pointer", "padding": 0, "font-size": "14px"}),
                    action="/api/session/fermer", method="post", style={"margin": 0},
                ),
                width="100%",
                spacing="3",
            ),
        )
    )
