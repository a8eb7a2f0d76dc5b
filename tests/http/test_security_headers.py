"""Security headers on every answer (pages, API routes, 404s, Reflex's /_upload),
HSTS and Secure cookies with an https BASE_URL, the CSP's inline script hashes, and
the logout that a cross-site request cannot trigger."""
from __future__ import annotations

import base64
import hashlib
import warnings

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.config import settings
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD
from espace.http import routes
from espace.http import security as http_security
from espace.http import uploads as api_uploads
from espace.services.accounts import auth

EXPECTED = ["content-security-policy", "permissions-policy", "x-content-type-options", "x-frame-options",
            "referrer-policy"]


async def _page(request):
    return PlainTextResponse("<html>page</html>", media_type="text/html")


@pytest.fixture
def http(data_dir, tmp_path, monkeypatch):
    """The app's HTTP layers as espace.espace assembles them: the direct upload routes
    in front, the API routes, a page, Reflex's 404 behind, all under security_headers.
    No built page: whatever frontend build the checkout or the cache holds is not read."""
    (tmp_path / "no-build").mkdir()
    monkeypatch.setattr(http_security, "static_dir", lambda: tmp_path / "no-build")
    monkeypatch.setattr(http_security, "_hashes", None)
    routes._built_page_dir.cache_clear()
    inner = Starlette(routes=[*routes.api.routes, Route("/accueil", _page)])
    wrapped = routes.direct_routes(api_uploads.routes)(routes.security_headers(inner))
    with TestClient(wrapped, base_url=settings.public_url) as client:
        yield client
    routes._built_page_dir.cache_clear()


@pytest.fixture
def token(demo):
    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    opened = auth.open_session(result.ticket, result.browser_key)
    return opened[0]


def _assert_headers(response):
    for name in EXPECTED:
        assert response.headers.get(name), (name, response.status_code, dict(response.headers))
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/accueil", 200),
    ("GET", "/api/health", 200),
    ("GET", "/api/documents/1", 401),
    ("GET", "/nulle-part", 404),
    ("GET", "/api/nulle-part", 404),
    ("GET", "/_upload", 404),
    ("POST", "/_upload/fichier", 404),
    ("POST", "/api/depots/1", 403),
    ("POST", "/api/session/fermer", 403),
])
def test_every_answer_carries_the_headers(http, method, path, status):
    response = http.request(method, path)
    assert response.status_code == status
    _assert_headers(response)
    assert "strict-transport-security" not in response.headers  # plain http: no HSTS


def test_https_base_url_gives_hsts_and_secure_cookies(http, demo, monkeypatch):
    monkeypatch.setattr(settings, "base_url", "https://portail.example.fr")
    monkeypatch.setattr(settings, "secure_cookies", False)
    assert http.get("/nulle-part").headers["strict-transport-security"].startswith("max-age=")
    response = http.get("/accueil")
    assert "max-age=63072000" in response.headers["strict-transport-security"]
    assert "upgrade-insecure-requests" in response.headers["content-security-policy"]
    assert "wss://portail.example.fr" in response.headers["content-security-policy"]

    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    opened = http.get(f"/api/session/ouvrir?ticket={result.ticket}", follow_redirects=False,
                      headers={"Cookie": f"espace_connexion={result.browser_key}"})
    assert opened.status_code == 303
    cookie = [v for k, v in opened.headers.multi_items() if k == "set-cookie" and "espace_session=" in v]
    assert cookie and "Secure" in cookie[0] and "HttpOnly" in cookie[0]
    # Every cookie of the answer, the device cookie and the firm's label included (issue 22,
    # item 7: the device cookie had Secure only from SECURE_COOKIES), and those cleared.
    cookies = [v for k, v in opened.headers.multi_items() if k == "set-cookie"]
    names = {v.split("=", 1)[0] for v in cookies}
    assert {"espace_session", "espace_appareil", "espace_connexion"} <= names, names
    assert all("; secure" in v.lower() for v in cookies), cookies


def test_https_base_url_makes_every_cookie_secure_whoever_sets_it(monkeypatch):
    """A cookie set without Secure behind the middleware (Reflex's, a route's) gets it."""
    async def plain_cookie(request):
        response = PlainTextResponse("ok")
        response.set_cookie("a", "1", path="/")
        response.set_cookie("b", "2", path="/", secure=True)
        return response

    app = routes.security_headers(Starlette(routes=[Route("/c", plain_cookie)]))
    for base_url, secure in (("https://portail.example.fr", True), ("http://localhost:3000", False)):
        monkeypatch.setattr(settings, "base_url", base_url)
        monkeypatch.setattr(settings, "secure_cookies", False)
        with TestClient(app, base_url=base_url) as client:
            cookies = [v for k, v in client.get("/c").headers.multi_items() if k == "set-cookie"]
        assert len(cookies) == 2
        assert ("; secure" in cookies[0].lower()) is secure
        assert cookies[1].lower().count("secure") == 1  # never twice


def test_http_base_url_cookie_not_secure_unless_forced(http, demo, monkeypatch):
    for forced in (False, True):
        monkeypatch.setattr(settings, "secure_cookies", forced)
        result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
        opened = http.get(f"/api/session/ouvrir?ticket={result.ticket}", follow_redirects=False,
                          headers={"Cookie": f"espace_connexion={result.browser_key}"})
        cookie = next(v for k, v in opened.headers.multi_items() if k == "set-cookie" and "espace_session=" in v)
        assert ("Secure" in cookie) is forced


def test_csp_hashes_the_inline_scripts_of_the_built_pages(http, tmp_path, monkeypatch):
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "index.html").write_text(
        '<html><script>window.x = 1;</script><script type="module">import "/a.js";</script>'
        '<script src="/assets/app.js"></script></html>')
    monkeypatch.setattr(http_security, "static_dir", lambda: tmp_path)
    monkeypatch.setattr(http_security, "_hashes", None)
    csp = http.get("/accueil").headers["content-security-policy"]
    for body in (b"window.x = 1;", b'import "/a.js";'):
        assert "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'" in csp
    assert csp.count("'sha256-") == 2


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://autre.localhost:3000"},
    {"Origin": "null"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    {},
])
def test_cross_site_logout_is_refused(http, token, headers):
    response = http.post("/api/session/fermer", headers={"Cookie": f"espace_session={token}", **headers},
                         follow_redirects=False)
    assert response.status_code == 403
    assert response.text == "Requête refusée."
    assert "set-cookie" not in response.headers
    assert auth.current_user(token) is not None  # still logged in


@pytest.mark.parametrize("headers", [
    {"Origin": "PUBLIC", "Sec-Fetch-Site": "same-origin"},
    {"Origin": "PUBLIC"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # Chromium's form post under no-referrer
    {"X-Requested-With": "espace"},
])
def test_same_origin_logout_works(http, token, headers):
    headers = {k: (settings.public_url if v == "PUBLIC" else v) for k, v in headers.items()}
    response = http.post("/api/session/fermer", headers={"Cookie": f"espace_session={token}", **headers},
                         follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?deconnecte=1"
    assert auth.current_user(token) is None


def test_one_route_index_serves_the_uploads_directly_and_the_rest_behind_reflex():
    from espace.http import admin_sharing as api_admin_sharing

    keys = [(m, r.path) for r in routes.ROUTES for m in r.methods]
    assert len(keys) == len(set(keys))  # each route once
    direct = [s.route for s in routes.INDEX if s.how == routes.DIRECT]
    assert direct == api_uploads.routes + api_admin_sharing.routes
    behind = [r for r in routes.ROUTES if r not in direct]
    assert [r for r in routes.api.routes if isinstance(r, Route)] == behind
