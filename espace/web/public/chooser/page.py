"""/choisir-cabinet: one button per firm of the person (« Espace client » or
« Espace cabinet »), after login and from « Changer d'espace »."""
import reflex as rx

from espace.services.accounts.identities import Choice
from espace.web.components.forms import banner
from espace.web.components.layout import public_frame
from espace.web.public.chooser.state import ChooserState as S


def _space(row: rx.Var[Choice]) -> rx.Component:
    return rx.el.li(
        rx.button(
            rx.vstack(
                rx.text(row.firm, weight="bold", size="3"),
                rx.text(row.space, rx.cond(row.current, " (espace actuel)", ""), size="2"),
                spacing="0", align="start",
            ),
            on_click=S.choose(row.id),
            variant=rx.cond(row.current, "soft", "outline"),
            size="3",
            width="100%",
            height="auto",
            padding_y="10px",
            justify="start",
            aria_label=row.firm + " — " + row.space,
        ),
        style={"list_style": "none", "width": "100%"},
    )


@rx.page(route="/choisir-cabinet", title="Choisir un espace — Mon espace client", on_load=S.load)
def chooser() -> rx.Component:
    return public_frame(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading("Choisissez l'espace auquel accéder", size="5", as_="h1"),
                rx.text("Votre identifiant donne accès à plusieurs espaces. Vous pourrez changer d'espace à tout "
                        "moment avec « Changer d'espace ».", size="2"),
                banner(S.error, "red"),
                rx.el.ul(
                    rx.foreach(S.spaces, _space),
                    aria_label="Espaces",
                    style={"margin": 0, "padding": 0, "width": "100%", "display": "flex",
                           "flex_direction": "column", "gap": "8px"},
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
