"""What a login step answers (a form or an action answers a domain.outcome.Outcome)."""
from __future__ import annotations

from dataclasses import dataclass

from espace.models import Role


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A login step's answer (password, second factor, passkey)."""

    ok: bool
    error: str = ""
    ticket: str = ""
    # Set as a cookie by the login page itself before it goes to /api/session/ouvrir:
    # the ticket opens the session only with it, so a ticket alone (an attacker's own,
    # in a link) cannot log someone else's browser into the attacker's account.
    browser_key: str = ""
    role: Role | None = None
    # Set (with ok False) when the password was right and a second factor is due:
    # the token of the pending login (services/accounts/pending_login.py).
    pending: str = ""

