"""/fermer-les-sessions?jeton=…: the link of a security notice (« Si ce n'est pas vous… »,
services/accounts/step_up.py). It works without a session: a person whose account is
in someone else's hands may be logged out everywhere. The page asks for a click (a mail
scanner that opens the link ends nothing); the link works once."""
from __future__ import annotations

import reflex as rx

from espace.services.accounts import step_up
from espace.web.components.forms import banner
from espace.web.components.layout import public_frame
from espace.web.public.login.page import NOT_LIVE
from espace.web.session import SessionState


class EndSessionsState(SessionState):
    valid: bool = False
    done: bool = False
    message: str = ""
    _jeton: str = ""

    @rx.event
    def load(self):
        self._jeton = self.router.url.query_parameters.get("jeton", "")[:200]
        self.valid = step_up.link_is_valid(self._jeton)
        self.done = False
        self.message = ""

    @rx.event
    def end_all(self):
        result = step_up.end_all_sessions(self._jeton, self._ip())
        self._jeton = ""
        if result.ok:
            self.done, self.message = True, result.message
        else:
            self.valid = False


@rx.page(route="/fermer-les-sessions", title="Déconnecter toutes mes sessions — Mon espace client",
         on_load=EndSessionsState.load)
def end_sessions() -> rx.Component:
    return public_frame(
        rx.vstack(
            rx.heading("Déconnecter toutes mes sessions", size="5", as_="h1"),
            rx.cond(
                EndSessionsState.done,
                rx.vstack(
                    banner(EndSessionsState.message),
                    rx.text("Choisissez maintenant un nouveau mot de passe, puis vérifiez vos méthodes de connexion "
                            "dans Mon compte › Sécurité, et prévenez votre cabinet.", size="2"),
                    rx.link("Choisir un nouveau mot de passe", href="/mot-de-passe-oublie"),
                    spacing="3",
                ),
                rx.cond(
                    EndSessionsState.valid,
                    rx.vstack(
                        rx.text("Vous avez reçu un e-mail signalant un changement sur votre compte que vous n'avez "
                                "pas fait. Ce bouton déconnecte immédiatement toutes vos sessions, sur tous vos "
                                "appareils. Vos clés d'accès ne permettront plus de se connecter sans mot de passe "
                                "tant que vous ne les aurez pas confirmées.", size="2"),
                        rx.button("Déconnecter toutes mes sessions", type="button", size="3", width="100%",
                                  color_scheme="red", on_click=EndSessionsState.end_all, disabled=NOT_LIVE),
                        spacing="3", width="100%",
                    ),
                    rx.vstack(
                        rx.callout("Ce lien n'est plus valable (déjà utilisé ou expiré).", color_scheme="red",
                                   role="alert"),
                        rx.text("Si vous pensez que quelqu'un utilise votre compte, choisissez un nouveau mot de "
                                "passe : toutes vos sessions seront fermées.", size="2"),
                        rx.link("Choisir un nouveau mot de passe", href="/mot-de-passe-oublie"),
                        spacing="3",
                    ),
                ),
            ),
            width="100%",
            spacing="3",
        )
    )
