"""/admin/compte: « Mon compte » of the firm's people — Sécurité (double authentification), password, open sessions."""
import reflex as rx

from espace.web.account.page import password_card, security_card
from espace.web.account.sessions_panel import sessions_section
from espace.web.account.state import AccountState
from espace.web.components.layout import firm_page


@firm_page("/admin/compte", "Mon compte", AccountState.load, spacing="4")
def firm_account() -> list[rx.Component]:
    return [security_card("/admin/compte/securite"), password_card(), sessions_section()]
