"""Firm settings (/admin/parametres): name, sender address, logo, online payment
and its Stripe keys, invitation flow.

The Stripe secret key and webhook secret are stored encrypted
(security.encrypt_secret) and never leave the server: `get_settings` says only
whether they are saved. An empty secret field on save keeps the saved value."""
from __future__ import annotations

import logging
import re

from espace.services import crypto as security
from espace.db import session_scope
from espace.models import Firm, User
from espace.services import AccessDenied, audit, storage
from espace.services.admin_scope import require_admin, require_staff
from espace.domain.contact import clean_text as _clean, is_email
from espace.services.firm_scope import ADMIN_ROLES

log = logging.getLogger(__name__)

NAME_MAX = 200
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}

_PUBLISHABLE = re.compile(r"^pk_(test|live)_[A-Za-z0-9]{8,200}$")
_SECRET = re.compile(r"^(?:sk|rk)_(test|live)_[A-Za-z0-9]{8,200}$")
_WEBHOOK = re.compile(r"^whsec_[A-Za-z0-9+/=]{8,200}$")


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in {"on", "true", "1", "oui", "yes"}


def get_settings(user: User) -> dict:
    """What the browser may see of the firm's settings — never a secret. Every firm
    user may read them; only an administrator may change them (`can_edit`)."""
    require_staff(user)
    with session_scope() as s:
        firm = s.get(Firm, user.firm_id)
        if firm is None:
            raise AccessDenied()
        return {
            "name": firm.name,
            "sender_email": firm.sender_email or "",
            "has_logo": bool(firm.logo_key),
            "payments_enabled": bool(firm.payments_enabled),
            "publishable_key": firm.stripe_publishable_key or "",
            "secret_key_saved": bool(firm.stripe_secret_key_enc),
            "webhook_secret_saved": bool(firm.stripe_webhook_secret_enc),
            "invite_with_temporary_password": bool(firm.invite_with_temporary_password),
            "can_edit": user.role in ADMIN_ROLES,
        }


def update(user: User, form) -> tuple[bool, dict[str, str]]:
    """Validate and save the settings form (administrators only: NotAdmin otherwise).
    Returns (ok, errors by field)."""
    require_admin(user)
    form = form if isinstance(form, dict) else {}
    name = _clean(form.get("name"))
    sender = _clean(form.get("sender_email")).lower()
    publishable = _clean(form.get("publishable_key"))
    # Secrets: no cleaning beyond trimming (a key is one token).
    secret = str(form.get("secret_key") or "").strip()
    webhook = str(form.get("webhook_secret") or "").strip()
    enabled = _truthy(form.get("payments_enabled"))
    temporary = _truthy(form.get("invite_with_temporary_password"))
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
        firm = s.get(Firm, user.firm_id)
        if firm is None:
            raise AccessDenied()
        has_secret = bool(secret) or bool(firm.stripe_secret_key_enc)
        if enabled and "publishable_key" not in errors and not publishable:
            errors["publishable_key"] = "Obligatoire pour activer le paiement en ligne."
        if enabled and "secret_key" not in errors and not has_secret:
            errors["secret_key"] = "Obligatoire pour activer le paiement en ligne."
        if "publishable_key" not in errors and "secret_key" not in errors and publishable and secret:
            if _PUBLISHABLE.match(publishable).group(1) != _SECRET.match(secret).group(1):
                errors["secret_key"] = "La clé secrète et la clé publique doivent être du même mode (test ou live)."
        if errors:
            return False, errors
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
    return True, {}


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
def save_logo(user: User, data: bytes) -> tuple[bool, str]:
    """Store a new logo (PNG, JPEG or WEBP by content, 2 MB max). (ok, error)."""
    from espace.services.deposits import sniff

    require_admin(user)
    if not data:
        return False, "Fichier vide."
    if len(data) > LOGO_MAX_BYTES:
        return False, "Logo trop volumineux (2 Mo maximum)."
    try:
        ctype, _ = sniff(data[:8192], None, "logo")
    except Exception:  # a container format needing the whole file: not an image anyway
        ctype = None
    if ctype not in LOGO_TYPES:
        return False, "Format non autorisé : le logo doit être une image PNG, JPEG ou WEBP."
    key, _, _ = storage.save_bytes(data)
    with session_scope() as s:
        firm = s.get(Firm, user.firm_id)
        if firm is None:
            storage.delete(key)
            raise AccessDenied()
        old = firm.logo_key
        firm.logo_key, firm.logo_content_type = key, ctype
        s.add(firm)
        audit.record(s, user, "logo_modifie", ctype)
        s.commit()
    if old:
        try:
            storage.delete(old)
        except (OSError, ValueError):
            log.exception("old logo not deleted firm=%s key=%s", user.firm_id, old)
    return True, ""


def remove_logo(user: User) -> None:
    require_admin(user)
    with session_scope() as s:
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
    except (OSError, ValueError):
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
