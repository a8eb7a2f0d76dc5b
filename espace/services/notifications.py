"""What the portal emails, one function per email."""
from __future__ import annotations

import logging

from espace.config import settings
from espace.models import User
from espace.services import mailer

log = logging.getLogger("espace.notifications")


def _full_name(user: User) -> str:
    return f"{user.prenom} {user.nom}".strip()


def send_password_reset(user: User, token: str) -> None:
    """Email a password reset link. Never raises: the reset page must answer the
    same whatever happens, so failures are only logged."""
    link = f"{settings.public_url}/reinitialiser?jeton={token}"
    try:
        mailer.send(
            user.email,
            "Réinitialisation de votre mot de passe",
            "password_reset",
            {"link": link, "name": _full_name(user)},
        )
    except Exception:
        log.exception("password reset email failed user_id=%s", user.id)


def send_invitation(user: User, firm_name: str, token: str, valid_days: int = 7) -> None:
    """Email a new client the link to choose a password. Raises mailer.MailError,
    so the firm can tell the invitation did not leave."""
    link = f"{settings.public_url}/activer?jeton={token}"
    mailer.send(
        user.email,
        "Votre espace client est ouvert",
        "invitation",
        {
            "firm_name": firm_name,
            "client_name": _full_name(user),
            "identifier": user.email,
            "link": link,
            "valid_days": valid_days,
        },
        sender_name=firm_name,
    )
