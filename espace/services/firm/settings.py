"""Firm settings (/admin/parametres): name, sender address, logo, online payment
and its Stripe keys, invitation flow.

The Stripe secret key and webhook secret are stored encrypted
(security.encrypt_secret) and never leave the server: `get_settings` says only
whether they are saved. An empty secret field on save keeps the saved value."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from espace.db import session_scope
from espace.domain.contact import is_email
from espace.domain.roles import ADMIN_ROLES
from espace.domain.text import clean_line, truthy
from espace.models import Firm, User
from espace.services import AccessDenied, audit, storage
from espace.services import crypto as security
from espace.services.access import firm_of, require_admin, require_staff
from espace.services.firm.common import ActionResult

log = logging.getLogger(__name__)

NAME_MAX = 200
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}

_PUBLISHABLE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{8,200}$")
_SECRET = re.compile(r"^(?:sk|rk)_(test|live)_[A-Za-z0-9]{8,200}$")
_WEBHOOK = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,200}$")


@dataclass(frozen=True, slots=True)
class FirmSettings:
    """What the browser may see of the firm's settings: whether the secrets are saved, never them."""
    name: str
    sender_email: str
    has_logo: bool
    payments_enabled: bool
    publishable_key: str
    secret_key_saved: bool
    webhook_secret_saved: bool
    invite_with_temporary_password: bool
    can_edit: bool  # the acting user is an administrator


@dataclass(frozen=True, slots=True)
class LogoResult:
    ok: bool
    error: str = ""


def get_settings(user: User) -> FirmSettings:
    """What the browser may see of the firm's settings — never a secret. Every firm
    user may read them; only an administrator may change them (`can_edit`)."""
    with session_scope() as s:
        staff = require_staff(s, user)
        firm = firm_of(s, staff)
        return FirmSettings(
            name=firm.name,
            sender_email=firm.sender_email or "",
            has_logo=bool(firm.logo_key),
            payments_enabled=bool(firm.payments_enabled),
            publishable_key=firm.stripe_publishable_key or "",
            secret_key_saved=bool(firm.stripe_secret_key_enc),
            webhook_secret_saved=bool(firm.stripe_webhook_secret_enc),
            invite_with_temporary_password=bool(firm.invite_with_temporary_password),
            can_edit=staff.role in ADMIN_ROLES,
        )


def require_editor(user: User | None) -> None:
    """Only an administrator of the firm changes its settings: NotAdmin for a lawyer
    or staff member, AccessDenied for anyone else."""
    with session_scope() as s:
        require_admin(s, user)


def update(user: User, form: object) -> ActionResult:
    """Validate and save the settings form (administrators only: NotAdmin otherwise);
    refused with the errors by field."""
    require_editor(user)
    fields = form if isinstance(form, dict) else {}
    name = clean_line(fields.get("name"))
    sender = clean_line(fields.get("sender_email")).lower()
    publishable = clean_line(fields.get("publishable_key"))
    # Secrets: no cleaning beyond trimming (a key is one token).
    secret = str(fields.get("secret_key") or "").strip()
    webhook = str(fields.get("webhook_secret") or "").strip()
    enabled = truthy(fields.get("payments_enabled"))
    temporary = truthy(fields.get("invite_with_temporary_password"))
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Ce champ est obligatoire."
    elif len(name) > NAME_MAX:
        errors["name"] = f"{NAME_MAX} caractères maximum."
    if sender and (len(sender) > 254 or not is_email(sender)):
        errors["sender_email"] = "Adresse e-mail invalide (exemple : contact@cabinet.fr)."
    if publishable and not _PUBLISHABLE.match(publishable):
        errors["publishable_key"] = "Clé publique invalide : elle commence par pk_test_ ou pk_live_."
    if secret and not _SECRET.match(secret):
        errors["secret_key"] = "Clé secrète invalide : elle commence par sk_test_, sk_live_ ou rk_."
    if webhook and not _WEBHOOK.match(webhook):
        errors["webhook_secret"] = "Secret de webhook invalide : il commence par whsec_."
    with session_scope() as s:
        firm = firm_of(s, user)
        has_secret = bool(secret) or bool(firm.stripe_secret_key_enc)
        if enabled and "publishable_key" not in errors and not publishable:
            errors["publishable_key"] = "Obligatoire pour activer le paiement en ligne."
        if enabled and "secret_key" not in errors and not has_secret:
            errors["secret_key"] = "Obligatoire pour activer le paiement en ligne."
        if ("publishable_key" not in errors and "secret_key" not in errors and publishable and secret
                and _mode(_PUBLISHABLE, publishable) != _mode(_SECRET, secret)):
            errors["secret_key"] = "La clé secrète et la clé publique doivent être du même mode (test ou live)."
        if errors:
            return ActionResult(False, errors)
        changed = []
        if firm.name != name:
            changed.append("nom")
        if (firm.sender_email or "") != sender:
            changed.append("adresse d'expédition")
        if bool(firm.payments_enabled) != enabled:
            changed.append("paiement en ligne " + ("activé" if enabled else "désactivé"))
        if (firm.stripe_publishable_key or "") != publishable:
            changed.append("clé publique")
        if secret:
            changed.append("clé secrète")
            firm.stripe_secret_key_enc = security.encrypt_secret(secret)
        if webhook:
            changed.append("secret de webhook")
            firm.stripe_webhook_secret_enc = security.encrypt_secret(webhook)
        if bool(firm.invite_with_temporary_password) != temporary:
            changed.append("mode d'invitation")
        firm.name = name
        firm.sender_email = sender or None
        firm.payments_enabled = enabled
        firm.stripe_publishable_key = publishable or None
        firm.invite_with_temporary_password = temporary
        s.add(firm)
        audit.record(s, user, "parametres_modifies", ", ".join(changed) or "aucun changement")
        s.commit()
    log.info("firm settings saved by=%s firm=%s changed=%s", user.id, user.firm_id, changed)
    return ActionResult(True)


def _mode(pattern: re.Pattern[str], key: str) -> str:
    """« test » or « live », from a key that `pattern` matched."""
    found = pattern.match(key)
    return found.group(1) if found else ""


def stripe_secret_key(firm_id: int) -> str | None:
    """The decrypted secret key, for server-side Stripe calls only."""
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        return security.decrypt_secret(firm.stripe_secret_key_enc) if firm and firm.stripe_secret_key_enc else None


def stripe_webhook_secret(firm_id: int) -> str | None:
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        return security.decrypt_secret(firm.stripe_webhook_secret_enc) if firm and firm.stripe_webhook_secret_enc \
            else None


# --------------------------------------------------------------------------- logo
def save_logo(user: User, data: bytes) -> LogoResult:
    """Store a new logo (PNG, JPEG or WEBP by content, 2 MB max)."""
    from espace.services.deposits.filetypes import sniff

    require_editor(user)
    if not data:
        return LogoResult(False, "Fichier vide.")
    if len(data) > LOGO_MAX_BYTES:
        return LogoResult(False, "Logo trop volumineux (2 Mo maximum).")
    try:
        ctype, _ = sniff(data[:8192], None, "logo")
    except Exception:  # a container format needing the whole file: not an image anyway
        ctype = None
    if ctype not in LOGO_TYPES:
        return LogoResult(False, "Format non autorisé : le logo doit être une image PNG, JPEG ou WEBP.")
    key, _, _ = storage.save_bytes(data)
    try:
        with session_scope() as s:
            firm = s.get(Firm, user.firm_id)
            if firm is None:
                raise AccessDenied()
            old = firm.logo_key
            firm.logo_key, firm.logo_content_type = key, ctype
            s.add(firm)
            audit.record(s, user, "logo_modifie", ctype)
            s.commit()
    except BaseException:
        storage.delete(key)  # not recorded: no orphan left
        raise
    if old:
        try:
            storage.delete(old)
        except Exception:  # the disk or the object store: an orphan for check-storage, the new logo is in
            log.exception("old logo not deleted firm=%s key=%s", user.firm_id, old)
    return LogoResult(True)


def remove_logo(user: User) -> None:
    with session_scope() as s:
        require_admin(s, user)
        firm = s.get(Firm, user.firm_id)
        old = firm.logo_key if firm else None
        if firm is None or not old:
            return
        firm.logo_key, firm.logo_content_type = None, None
        s.add(firm)
        audit.record(s, user, "logo_supprime")
        s.commit()
    try:
        storage.delete(old)
    except Exception:  # the disk or the object store: an orphan for check-storage
        log.exception("logo not deleted firm=%s key=%s", user.firm_id, old)


def logo_for(user: User | None) -> tuple[str, str] | None:
    """(storage key, content type) of the logo of the user's own firm, or None.
    Any logged-in user (client or firm) sees only their firm's logo."""
    if user is None or not user.active:
        return None
    with session_scope() as s:
        firm = s.get(Firm, user.firm_id)
        if firm is None or not firm.logo_key or firm.logo_content_type not in LOGO_TYPES:
            return None
        return firm.logo_key, firm.logo_content_type
