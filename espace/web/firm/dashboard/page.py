"""/admin: the firm's dashboard (lawyers and staff): counts and where to go."""
import reflex as rx

from espace.web.components.actions import link_button
from espace.web.components.layout import firm_page
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


@firm_page("/admin", "Espace cabinet", S.load, spacing="4")
def firm_dashboard() -> list[rx.Component]:
    return [
        rx.text("Connecté en tant que ", SessionState.user_name, "."),
        rx.flex(
            _card("Clients", S.counts.clients, "/admin/clients", "dont actifs : " + S.counts.active.to(str)),
            _card("Invitations en attente", S.counts.pending, "/admin/clients"),
            _card("Dossiers", S.counts.dossiers, "/admin/dossiers"),
            wrap="wrap", spacing="3", width="100%",
        ),
        rx.flex(
            link_button("Nouveau client", "/admin/clients/nouveau", size="3"),
            link_button("Nouveau dossier", "/admin/dossiers/nouveau", size="3", variant="soft"),
            link_button("Paramètres du cabinet", "/admin/parametres", size="3", variant="soft"),
            link_button("Équipe du cabinet", "/admin/equipe", size="3", variant="soft"),
            wrap="wrap", spacing="3",
        ),
    ]
