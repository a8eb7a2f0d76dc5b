"""Firm settings (/admin/parametres): name, sender address, logo, online payment
and its Stripe keys, invitation flow, the second-factor rule.

The Stripe secret key and webhook secret are stored encrypted
(security.encrypt_secret) and never leave the server: `get_settings` says only
whether they are saved. An empty secret field on save keeps the saved value."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from espace.db import session_scope
from espace.domain.forms import FirmSettingsForm, read_form
from espace.domain.forms.fields import trimmed
from espace.domain.forms.firm import PUBLISHABLE, SECRET, key_mode
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.domain.roles import ADMIN_ROLES
from espace.domain.text import clean_line, truthy
from espace.models import Firm, User
from espace.services import AccessDenied, audit, storage
from espace.services import crypto as security_crypto
from espace.services.access import firm_of, firm_scope
from espace.services.accounts.factors import forget_rules, policy_for_firm
from espace.services.firm import security_changes

log = logging.getLogger(__name__)

LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/webp"}



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


def get_settings(user: User) -> FirmSettings:
    """What the browser may see of the firm's settings — never a secret. Every firm
    user may read them; only an administrator may change them (`can_edit`)."""
    with firm_scope(user) as (s, staff):
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
    with firm_scope(user, admin=True):
        pass


def _payment_errors(form: object, errors: dict[str, str], secret_saved: bool) -> dict[str, str]:
    """The rules between the fields and what is stored, said with the fields' own
    errors: online payment needs both keys (a saved secret counts), of the same mode."""
    sent = form if isinstance(form, Mapping) else {}
    enabled = truthy(sent.get("payments_enabled"))
    publishable, secret = clean_line(sent.get("publishable_key")), trimmed(sent.get("secret_key"))
    found: dict[str, str] = {}
    if enabled and "publishable_key" not in errors and not publishable:
        found["publishable_key"] = "Obligatoire pour activer le paiement en ligne."
    if enabled and "secret_key" not in errors and not (secret or secret_saved):
        found["secret_key"] = "Obligatoire pour activer le paiement en ligne."
    if ("publishable_key" not in errors and "secret_key" not in errors and publishable and secret
            and key_mode(PUBLISHABLE, publishable) != key_mode(SECRET, secret)):
        found["secret_key"] = "La clé secrète et la clé publique doivent être du même mode (test ou live)."
    return found


# What asks for a step-up (services/firm/security_changes.py) and tells every administrator:
# where the firm's money goes, where clients' replies go, how accounts are opened.
SECURITY_FIELDS = ("adresse d'expédition", "clé publique", "clé secrète", "secret de webhook", "mode d'invitation")


def update(user: User, form: object, token: str | None = None) -> Outcome[None]:
    """Validate (FirmSettingsForm) and save the settings form (administrators only:
    NotAdmin otherwise); refused with the errors by field. A change of SECURITY_FIELDS
    needs the step-up of the session `token` (refused with step_up.NEEDED, nothing
    saved) and e-mails every administrator; the name or payments on/off do not."""
    with firm_scope(user, admin=True) as (s, staff):
        firm = firm_of(s, staff)
        values, errors = read_form(FirmSettingsForm, form)
        errors.update(_payment_errors(form, errors, bool(firm.stripe_secret_key_enc)))
        if values is None or errors:
            return Outcome.refused(errors)
        name, sender, publishable = values.name, values.sender_email, values.publishable_key
        secret, webhook = values.secret_key, values.webhook_secret
        enabled, temporary = values.payments_enabled, values.invite_with_temporary_password
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
        if webhook:
            changed.append("secret de webhook")
        if bool(firm.invite_with_temporary_password) != temporary:
            changed.append("mode d'invitation")
        security = [what for what in changed if what in SECURITY_FIELDS]
        if security and (refused := security_changes.refusal(s, token, staff)) is not None:
            return Outcome.refused(refused)
        if secret:
            firm.stripe_secret_key_enc = security_crypto.encrypt_secret(secret)
        if webhook:
            firm.stripe_webhook_secret_enc = security_crypto.encrypt_secret(webhook)
        firm.name = name
        firm.sender_email = sender or None
        firm.payments_enabled = enabled
        firm.stripe_publishable_key = publishable or None
        firm.invite_with_temporary_password = temporary
        s.add(firm)
        audit.record(s, user, "parametres_modifies", ", ".join(changed) or "aucun changement")
        if security:
            security_changes.tell_admins(s, staff, f"{full_name(staff)} a modifié les paramètres de sécurité du "
                                                   f"cabinet : {', '.join(security)}.")
        s.commit()
    log.info("firm settings saved by=%s firm=%s changed=%s", user.id, user.firm_id, changed)
    return Outcome.done()


def set_two_factor_policy(user: User, require_staff: bool, require_clients: bool,
                          token: str | None = None) -> Outcome[None]:
    """/admin/parametres › Double authentification: whether the firm requires a second
    factor of its staff and/or its clients (administrators only: NotAdmin). A change
    needs the step-up of the session `token` and e-mails every administrator."""
    with firm_scope(user, admin=True) as (s, staff):
        rule = policy_for_firm(s, staff.firm_id)
        before = (bool(rule.require_staff), bool(rule.require_clients))
        if before == (bool(require_staff), bool(require_clients)):
            return Outcome.done(message="Aucune modification.")
        if (refused := security_changes.refusal(s, token, staff)) is not None:
            return Outcome.refused(refused)
        rule.require_staff, rule.require_clients = bool(require_staff), bool(require_clients)
        s.add(rule)
        said = (f"double authentification exigée : collaborateurs={'oui' if rule.require_staff else 'non'}, "
                f"clients={'oui' if rule.require_clients else 'non'}")
        audit.record(s, staff, "parametres_modifies", said)
        security_changes.tell_admins(s, staff, f"{full_name(staff)} a modifié la règle du cabinet : {said}.")
        s.commit()
    forget_rules()  # committed: this worker's next event already follows the new rule
    return Outcome.done(message="La règle de double authentification est enregistrée.")


def stripe_secret_key(firm_id: int) -> str | None:
    """The decrypted secret key, for server-side Stripe calls only."""
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        return security_crypto.decrypt_secret(firm.stripe_secret_key_enc) if firm and firm.stripe_secret_key_enc else None


def stripe_webhook_secret(firm_id: int) -> str | None:
    with session_scope() as s:
        firm = s.get(Firm, firm_id)
        return security_crypto.decrypt_secret(firm.stripe_webhook_secret_enc) if firm and firm.stripe_webhook_secret_enc \
            else None


# --------------------------------------------------------------------------- logo
def save_logo(user: User, data: bytes) -> Outcome[None]:
    """Store a new logo (PNG, JPEG or WEBP by content, 2 MB max)."""
    from espace.services.deposits.filetypes import sniff

    require_editor(user)
    if not data:
        return Outcome.refused("Fichier vide.")
    if len(data) > LOGO_MAX_BYTES:
        return Outcome.refused("Logo trop volumineux (2 Mo maximum).")
    try:
        ctype, _ = sniff(data[:8192], None, "logo")
    except Exception:  # a container format needing the whole file: not an image anyway
        ctype = None
    if ctype not in LOGO_TYPES:
        return Outcome.refused("Format non autorisé : le logo doit être une image PNG, JPEG ou WEBP.")
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
    return Outcome.done()


def remove_logo(user: User) -> None:
    with firm_scope(user, admin=True) as (s, staff):
        firm = s.get(Firm, staff.firm_id)
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
