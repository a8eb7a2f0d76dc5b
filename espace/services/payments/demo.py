"""Online payment in demo mode, against a local Stripe-compatible server (`localstripe`)."""
from __future__ import annotations

import secrets
import urllib.parse
import urllib.request
from urllib.parse import urlparse

from sqlmodel import col, select

from espace.config import settings
from espace.db import session_scope
from espace.models import Firm
from espace.services.crypto import decrypt_secret, encrypt_secret
from espace.services.payments.common import HANDLED_EVENTS, STRIPE_DEFAULT_API


def uses_local_stripe() -> bool:
    return settings.stripe_api_base.rstrip("/") != STRIPE_DEFAULT_API


def configure_demo(firm_id: int | None = None) -> str:
    """Demo mode against a local Stripe-compatible server (STRIPE_API_BASE set to a
    `localstripe`): turn payments on for the demo firm with test keys and register
    the firm's webhook with that server. Returns what was done (French)."""
    if not uses_local_stripe():
        return ""
    host = urlparse(settings.stripe_api_base).hostname or ""
    if host not in ("localhost", "127.0.0.1", "::1"):
        return "Paiement en ligne de démonstration : STRIPE_API_BASE n'est pas local, rien n'est configuré."
    with session_scope() as s:
        firm = s.get(Firm, firm_id) if firm_id else s.exec(select(Firm).order_by(col(Firm.id))).first()
        if firm is None:
            return ""
        if not firm.stripe_webhook_secret_enc:
            firm.stripe_webhook_secret_enc = encrypt_secret("whsec_" + secrets.token_hex(16))
        firm.payments_enabled = True
        firm.stripe_publishable_key = firm.stripe_publishable_key or "pk_test_espace_demo"
        firm.stripe_secret_key_enc = firm.stripe_secret_key_enc or encrypt_secret("sk_test_espace_demo")
        s.add(firm)
        s.commit()
        fid, name, secret = firm.id, firm.name, decrypt_secret(firm.stripe_webhook_secret_enc)
    url = f"{settings.public_url}/api/stripe/webhook/{fid}"
    body = urllib.parse.urlencode(
        [("url", url), ("secret", secret)] + [("events[]", e) for e in HANDLED_EVENTS]).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(
            f"{settings.stripe_api_base.rstrip('/')}/_config/webhooks/espace-firm-{fid}", data=body, method="POST"),
            timeout=5).close()
    except OSError as exc:
        return (f"Paiement en ligne activé pour {name}, mais le serveur {settings.stripe_api_base} "
                f"ne répond pas ({exc}) : lancez localstripe puis relancez cette commande.")
    return f"Paiement en ligne de démonstration activé pour {name} ({settings.stripe_api_base})."
