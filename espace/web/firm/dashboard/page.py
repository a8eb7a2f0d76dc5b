"""/admin: the firm's dashboard (lawyers and staff): counts and where to go."""
import reflex as rx

from espace.web.components.layout import admin_page
from espace.web.firm.dashboard.state import DashboardState as S
from espace.web.session import SessionState


def _card(label: str, count, href: str, hint=None) -> rx.Component:
    return rx.link(
        rx.card(
            rx.text(label, weight="bold", size="3"),
            rx.text(count, size="7", weight="bold"),
            rx.text(hint, size="2", color="var(--gray-11)") if hint is not None else rx.fragment(),
            width="100%",
            height="100%",
        ),
        href=href,
        underline="none",
        flex="1 1 180px",
        min_width="0",
    )


@admin_page("/admin", "Espace cabinet", S.load)
def admin() -> rx.Component:
    return rx.cond(
        S.loaded,
        rx.vstack(
            rx.heading("Espace cabinet", size="6", as_="h1"),
            rx.text("Connecté en tant que ", SessionState.user_name, "."),
            rx.flex(
                _card("Clients", S.counts.clients, "/admin/clients", "dont actifs : " + S.counts.active.to(str)),
                _card("Invitations en attente", S.counts.pending, "/admin/clients"),
                _card("Dossiers", S.counts.dossiers, "/admin/dossiers"),
                wrap="wrap", spacing="3", width="100%",
            ),
            rx.flex(
                rx.link(rx.button("Nouveau client", size="3"), href="/admin/clients/nouveau"),
                rx.link(rx.button("Nouveau dossier", size="3", variant="soft"), href="/admin/dossiers/nouveau"),
                rx.link(rx.button("Paramètres du cabinet", size="3", variant="soft"), href="/admin/parametres"),
                rx.link(rx.button("Équipe du cabinet", size="3", variant="soft"), href="/admin/equipe"),
                wrap="wrap", spacing="3",
            ),
            width="100%",
            spacing="4",
        ),
    )
