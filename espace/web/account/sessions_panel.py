"""« Sessions ouvertes »: one section of Mon compte (client and firm pages alike)."""
from __future__ import annotations

import reflex as rx

from espace.services.accounts.sessions import SessionRow
from espace.web.account.sessions_state import SessionsState as S
from espace.web.components.firm_ui import muted, plain_list, row_item
from espace.web.components.forms import banner


def _row(r: rx.Var[SessionRow]) -> rx.Component:
    return row_item(
        rx.box(
            rx.text(r.device, weight="bold"),
            muted("Adresse : ", r.ip),
            muted("Dernière activité : ", r.last_seen),
            flex="1 1 240px", min_width="0",
        ),
        rx.cond(
            r.current,
            rx.badge("Cette session", high_contrast=True, color_scheme="green", size="2"),
            rx.button("Déconnecter", variant="soft", color_scheme="red", high_contrast=True, size="2",
                      on_click=S.revoke(r.id), aria_label="Déconnecter la session " + r.device + " (" + r.ip + ")"),
        ),
    )


def sessions_section() -> rx.Component:
    return rx.el.section(
        rx.card(
            rx.heading("Sessions ouvertes", size="4", as_="h2", margin_bottom="4px"),
            muted("Les appareils connectés à votre compte. Déconnectez ceux que vous ne reconnaissez pas, "
                  "puis changez votre mot de passe."),
            banner(S.message),
            banner(S.error, "red"),
            plain_list(rx.foreach(S.rows, _row), label="Sessions ouvertes"),
            rx.cond(
                S.rows.length() > 1,
                rx.button("Déconnecter toutes les autres sessions", variant="soft", color_scheme="red",
                          high_contrast=True, size="3", on_click=S.revoke_others, margin_top="12px"),
            ),
            width="100%",
        ),
        on_mount=S.load,
        width="100%",
    )
