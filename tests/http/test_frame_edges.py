"""The page frame's HTTP edges: the firm label cookie of the header (set at login,
cleared at logout, percent-encoded), the tab icon (the firm's logo or a default, never
a 404), the long-lived cache of hashed assets."""
from __future__ import annotations

import warnings
from urllib.parse import unquote

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.config import settings
from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD
from espace.http import routes
from espace.models import Firm
from espace.services.accounts import auth
from espace.services.accounts.cookies import FIRM_LABEL_COOKIE, firm_label_value


async def _asset(request):
    return PlainTextResponse("console.log(1)", media_type="text/javascript")


@pytest.fixture
def http(data_dir):
    inner = Starlette(routes=[*routes.api.routes, Route("/assets/app-3f2a.js", _asset)])
    with TestClient(routes.security_headers(inner), base_url=settings.public_url) as client:
        yield client


def _open(http) -> tuple[str, str]:
    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    opened = http.get(f"/api/session/ouvrir?ticket={result.ticket}", follow_redirects=False,
                      headers={"Cookie": f"espace_connexion={result.browser_key}"})
    assert opened.status_code == 303
    cookies = {v.split("=", 1)[0]: v for k, v in opened.headers.multi_items() if k == "set-cookie"}
    session = cookies["espace_session"].split("=", 1)[1].split(";", 1)[0]
    return session, cookies[FIRM_LABEL_COOKIE]


def test_login_sets_the_firm_label_and_logout_clears_it(http, demo):
    session, label = _open(http)
    value = label.split("=", 1)[1].split(";", 1)[0]
    assert unquote(value) == "0|Cabinet DELMAS Avocats"
    assert "HttpOnly" not in label and "samesite=lax" in label.lower()
    closed = http.post("/api/session/fermer", headers={"Cookie": f"espace_session={session}",
                                                      "X-Requested-With": "espace"}, follow_redirects=False)
    assert closed.status_code == 303
    assert any(v.startswith(f"{FIRM_LABEL_COOKIE}=") and "max-age=0" in v.lower()
               for k, v in closed.headers.multi_items() if k == "set-cookie")


def test_the_label_of_a_hostile_name_carries_no_quote_or_separator():
    value = firm_label_value("<script>alert('x')</script>; \"a\"\\b", True)
    assert all(c.isalnum() or c in "%-_.~" for c in value)
    assert unquote(value) == "1|<script>alert('x')</script>; \"a\"\\b"


def test_favicon_is_the_default_icon_then_the_firms_logo(http, demo):
    anonymous = http.get("/favicon.ico")
    assert anonymous.status_code == 200 and anonymous.headers["content-type"].startswith("image/svg+xml")
    assert anonymous.headers["content-security-policy"] == "sandbox"
    session, _ = _open(http)
    # No logo yet: the default icon.
    assert http.get("/favicon.ico", headers={"Cookie": f"espace_session={session}"}).headers[
        "content-type"].startswith("image/svg+xml")
    # A logo key that points nowhere: still the default icon, no 404.
    with session_scope() as s:
        firm = s.exec(select(Firm).where(Firm.name == "Cabinet DELMAS Avocats")).one()
        firm.logo_key, firm.logo_content_type = "logos/absent.png", "image/png"
        s.add(firm)
    with_logo = f"espace_session={session}; {FIRM_LABEL_COOKIE}={firm_label_value('Cabinet DELMAS Avocats', True)}"
    missing = http.get("/favicon.ico", headers={"Cookie": with_logo})
    assert missing.status_code == 200 and missing.headers["content-type"].startswith("image/svg+xml")


def test_hashed_assets_are_kept_a_year(http):
    response = http.get("/assets/app-3f2a.js")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
