"""/choisir-cabinet: one button per firm of the person (« Espace client » or
« Espace cabinet »), after login and from « Changer d'espace »."""
import reflex as rx

from espace.domain import french
from espace.services.accounts.identities import Choice, Invitation
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


def _invitation(row: rx.Var[Invitation]) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.text("Le cabinet ", rx.el.strong(row.firm), " vous invite à rejoindre son ", row.space,
                        french.typeset(". Acceptez pour y accéder avec votre identifiant habituel ; tant que vous "
                                       "n'avez pas accepté, ce cabinet n'a accès à rien de votre compte."), size="2"),
                rx.hstack(
                    rx.button("Accepter", on_click=S.accept(row.id), size="2",
                              aria_label="Accepter l'invitation de " + row.firm),
                    rx.button("Refuser", on_click=S.decline(row.id), size="2", variant="outline",
                              aria_label="Refuser l'invitation de " + row.firm),
                    spacing="2", wrap="wrap",
                ),
                spacing="2", align="start",
            ),
            width="100%",
        ),
        style={"list_style": "none", "width": "100%"},
    )


def _invitations() -> rx.Component:
    return rx.cond(
        S.invitations.length() > 0,
        rx.vstack(
            rx.heading("Invitations", size="4", as_="h2"),
            rx.el.ul(
                rx.foreach(S.invitations, _invitation),
                aria_label="Invitations",
                style={"margin": 0, "padding": 0, "width": "100%", "display": "flex",
                       "flex_direction": "column", "gap": "8px"},
            ),
            width="100%", spacing="2",
        ),
    )


@rx.page(route="/choisir-cabinet", title="Choisir un espace — Mon espace client", on_load=S.load)
def chooser() -> rx.Component:
    return public_frame(
        rx.cond(
            S.loaded,
            rx.vstack(
                rx.heading("Choisissez l'espace auquel accéder", size="5", as_="h1"),
                rx.text(french.typeset("Votre identifiant donne accès à plusieurs espaces. Vous pourrez changer "
                                       "d'espace à tout moment avec « Changer d'espace »."), size="2"),
                banner(S.error, "red"),
                banner(S.notice, "green"),
                _invitations(),
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
