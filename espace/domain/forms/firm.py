"""The form of the firm's settings (/admin/parametres): name, sender address, online
payment and its Stripe keys, invitation flow. Whether the keys are required, and of
the same mode, depends on what is stored: the service checks that."""
from __future__ import annotations

import re
from typing import Annotated

from espace.domain.contact import MAX_LENGTH, is_email, normal_email
from espace.domain.forms.fields import Form, flag, text, trimmed

NAME_MAX = 200
INVALID_SENDER = "Adresse e-mail invalide (exemple : contact@cabinet.fr)."
PUBLISHABLE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{8,200}$")
SECRET = re.compile(r"^(?:sk|rk)_(test|live)_[A-Za-z0-9]{8,200}$")
WEBHOOK = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,200}$")


def key_mode(pattern: re.Pattern[str], key: str) -> str:
    """« test » or « live », from a key that `pattern` matched."""
    found = pattern.match(key)
    return found.group(1) if found else ""


class FirmSettingsForm(Form):
    """The settings as typed; the secrets are trimmed only (a key is one token), an
    empty secret keeps the saved one."""

    name: Annotated[str, text(NAME_MAX)] = ""
    sender_email: Annotated[str, text(MAX_LENGTH["email"], required=False, normal=normal_email, check=is_email,
                                      invalid=INVALID_SENDER, long=lambda _: INVALID_SENDER)] = ""
    publishable_key: Annotated[str, text(None, required=False, check=lambda k: bool(PUBLISHABLE.match(k)),
                                         invalid="Clé publique invalide : elle commence par pk_test_ ou pk_live_.")] = ""
    secret_key: Annotated[str, text(None, required=False, clean=trimmed, check=lambda k: bool(SECRET.match(k)),
                                    invalid="Clé secrète invalide : elle commence par sk_test_, sk_live_ ou rk_.")] = ""
    webhook_secret: Annotated[str, text(None, required=False, clean=trimmed, check=lambda k: bool(WEBHOOK.match(k)),
                                        invalid="Secret de webhook invalide : il commence par whsec_.")] = ""
    payments_enabled: Annotated[bool, flag()] = False
    invite_with_temporary_password: Annotated[bool, flag()] = False
