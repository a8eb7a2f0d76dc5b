"""Firm settings: only staff of the firm, validation of the Stripe keys, secrets
encrypted at rest and never handed out; the logo routes (upload by the firm,
served to the firm's own users only)."""
from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.db import session_scope
from espace.demo import (
    LAWYER_EMAIL,
    LAWYER_PASSWORD,
    LEROY_EMAIL,
    LEROY_PASSWORD,
    LUCE_EMAIL,
    LUCE_PASSWORD,
    PAUL_EMAIL,
    PAUL_PASSWORD,
)
from espace.domain.outcome import Outcome
from espace.http import admin as api_admin
from espace.models import Firm
from espace.services import AccessDenied
from espace.services import crypto as security
from espace.services.firm import settings as firm_settings
from espace.web.firm.settings.state import SettingsState
from tests.admin_helpers import claire, session_token, user
from tests.services.accounts.step_up_helpers import session_for

SECRET = "sk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
WEBHOOK = "whsec_AbCdEfGhIjKlMnOpQrStUvWxYz012345"
PUBLISHABLE = "pk_test_51AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def lawyer(demo):
    return user(demo["lawyer_id"])


def form(**over):
    return {"name": "Cabinet DELMAS Avocats", "sender_email": "contact@cabinet-delmas.example", **over}


def firm(firm_id: int) -> Firm:
    with session_scope() as s:
        return s.get(Firm, firm_id)


def test_clients_are_refused(demo):
    luce = user(demo["client_user_id"])
    for call in [lambda: firm_settings.get_settings(luce), lambda: firm_settings.update(luce, form(name="Pirate")),
                 lambda: firm_settings.save_logo(luce, png()), lambda: firm_settings.remove_logo(luce),
                 lambda: firm_settings.get_settings(None)]:
        with pytest.raises(AccessDenied):
            call()
    assert firm(demo["firm_id"]).name == "Cabinet DELMAS Avocats"


def test_another_firm_changes_only_its_own_settings(demo):
    result = firm_settings.update(claire(), {"name": "Cabinet LEROY & Associés", "firm_id": demo["firm_id"],
                                             "id": demo["firm_id"]}, token=session_for(claire()))
    ok, errors = result.ok, result.errors
    assert ok, errors
    assert firm(demo["other_firm_id"]).name == "Cabinet LEROY & Associés"
    assert firm(demo["firm_id"]).name == "Cabinet DELMAS Avocats"
    assert firm_settings.get_settings(lawyer(demo)).name == "Cabinet DELMAS Avocats"


def test_validation(demo):
    result = firm_settings.update(lawyer(demo), {"name": " ", "sender_email": "pas-une-adresse",
                                                 "publishable_key": "sk_test_123456789012",
                                                 "secret_key": "pk_test_1234567890ab",
                                                 "webhook_secret": "secret"})
    ok, errors = result.ok, result.errors
    assert not ok
    assert errors == {
        "name": "Ce champ est obligatoire.",
        "sender_email": "Adresse e-mail invalide (exemple : contact@cabinet.fr).",
        "publishable_key": "Clé publique invalide : elle commence par pk_test_ ou pk_live_.",
        "secret_key": "Clé secrète invalide : elle commence par sk_test_, sk_live_ ou rk_.",
        "webhook_secret": "Secret de webhook invalide : il commence par whsec_.",
    }
    result = firm_settings.update(lawyer(demo), form(payments_enabled="on"))
    ok, errors = result.ok, result.errors
    assert errors == {"publishable_key": "Obligatoire pour activer le paiement en ligne.",
                      "secret_key": "Obligatoire pour activer le paiement en ligne."}
    result = firm_settings.update(lawyer(demo), form(publishable_key=PUBLISHABLE,
                                                     secret_key="sk_live_51AbCdEfGhIjKlMnOpQr"))
    ok, errors = result.ok, result.errors
    assert errors == {"secret_key": "La clé secrète et la clé publique doivent être du même mode (test ou live)."}
    assert firm(demo["firm_id"]).stripe_secret_key_enc is None


def test_secrets_are_encrypted_and_never_handed_out(demo):
    result = firm_settings.update(lawyer(demo), form(payments_enabled="on", publishable_key=PUBLISHABLE,
                                                     secret_key=SECRET, webhook_secret=WEBHOOK,
                                                     invite_with_temporary_password="on"),
                                  token=session_for(lawyer(demo)))
    ok, errors = result.ok, result.errors
    assert ok, errors
    stored = firm(demo["firm_id"])
    assert stored.stripe_secret_key_enc and SECRET not in stored.stripe_secret_key_enc
    assert WEBHOOK not in stored.stripe_webhook_secret_enc
    assert security.decrypt_secret(stored.stripe_secret_key_enc) == SECRET
    assert firm_settings.stripe_secret_key(demo["firm_id"]) == SECRET
    assert firm_settings.stripe_webhook_secret(demo["firm_id"]) == WEBHOOK
    with session_scope() as s:  # the raw database value
        raw = s.connection().execute(sa.text("SELECT stripe_secret_key_enc, stripe_webhook_secret_enc FROM firm "
                                             "WHERE id = :id"), {"id": demo["firm_id"]}).one()
    assert SECRET not in raw[0] and "sk_test" not in raw[0] and WEBHOOK not in raw[1]
    shown = firm_settings.get_settings(lawyer(demo))
    assert shown == firm_settings.FirmSettings(
        name="Cabinet DELMAS Avocats", sender_email="contact@cabinet-delmas.example",
        has_logo=False, payments_enabled=True, publishable_key=PUBLISHABLE,
        secret_key_saved=True, webhook_secret_saved=True, invite_with_temporary_password=True,
        can_edit=True)
    assert SECRET not in repr(shown) and WEBHOOK not in repr(shown) and stored.stripe_secret_key_enc not in repr(shown)
    # An empty secret field keeps the saved key.
    result = firm_settings.update(lawyer(demo), form(payments_enabled="on", publishable_key=PUBLISHABLE,
                                                     secret_key="", webhook_secret=""),
                                  token=session_for(lawyer(demo)))
    ok = result.ok
    assert ok and firm_settings.stripe_secret_key(demo["firm_id"]) == SECRET
    assert firm_settings.stripe_webhook_secret(demo["firm_id"]) == WEBHOOK
    assert firm_settings.get_settings(lawyer(demo)).invite_with_temporary_password is False
    # The page state has no variable that could hold a secret.
    public = {name for name in SettingsState.base_vars if not name.startswith("_")}
    assert not {"secret_key", "webhook_secret", "stripe_secret_key_enc"} & public
    assert {"secret_key_saved", "webhook_secret_saved"} <= public


def test_logo_upload_rules(demo):
    result = firm_settings.save_logo(lawyer(demo), b"%PDF-1.4\n%%EOF\n")
    ok, error = result.ok, result.error
    assert not ok and "PNG, JPEG ou WEBP" in error
    result = firm_settings.save_logo(lawyer(demo), b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")
    ok, error = result.ok, result.error
    assert not ok
    result = firm_settings.save_logo(lawyer(demo), png() + b"\x00" * (2 * 1024 * 1024))
    ok, error = result.ok, result.error
    assert not ok and error == "Logo trop volumineux (2 Mo maximum)."
    assert firm(demo["firm_id"]).logo_key is None
    assert firm_settings.save_logo(lawyer(demo), png()) == Outcome.done()
    assert firm_settings.get_settings(lawyer(demo)).has_logo is True
    assert firm_settings.logo_for(user(demo["client_user_id"]))[1] == "image/png"
    assert firm_settings.logo_for(claire()) is None
    firm_settings.remove_logo(lawyer(demo))
    assert firm_settings.logo_for(user(demo["client_user_id"])) is None


@pytest.fixture
def http():
    with TestClient(Starlette(routes=api_admin.routes)) as client:
        yield client


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"espace_session={token}"}


def test_logo_routes(demo, http):
    lawyer_token = session_token(LAWYER_EMAIL, LAWYER_PASSWORD)
    luce_token = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    image = png()
    xrw = {"X-Requested-With": "espace"}
    assert http.post("/api/admin/logo", content=image, headers=_cookie(lawyer_token)).status_code == 403  # no CSRF header
    assert http.post("/api/admin/logo", content=image, headers=xrw).status_code == 401
    assert http.post("/api/admin/logo", content=image, headers={**xrw, **_cookie(luce_token)}).status_code == 403
    refused = http.post("/api/admin/logo", content=b"MZ\x90\x00" + b"\x00" * 64, headers={**xrw, **_cookie(lawyer_token)})
    assert refused.status_code == 400 and "PNG, JPEG ou WEBP" in refused.json()["error"]
    big = http.post("/api/admin/logo", content=io.BytesIO(image + b"\x00" * (2 * 1024 * 1024)).read(),
                    headers={**xrw, **_cookie(lawyer_token)})
    assert big.status_code == 413
    assert http.get("/api/logo", headers=_cookie(luce_token)).status_code == 404
    done = http.post("/api/admin/logo", content=image, headers={**xrw, **_cookie(lawyer_token)})
    assert done.status_code == 200 and done.json() == {"ok": True}
    served = http.get("/api/logo", headers=_cookie(luce_token))
    assert served.status_code == 200 and served.content == image
    assert served.headers["content-type"] == "image/png"
    assert http.get("/api/logo").status_code == 404  # not logged in
    # Another firm's users never get it.
    for identifier, password in ((PAUL_EMAIL, PAUL_PASSWORD), (LEROY_EMAIL, LEROY_PASSWORD)):
        assert http.get("/api/logo", headers=_cookie(session_token(identifier, password))).status_code == 404
