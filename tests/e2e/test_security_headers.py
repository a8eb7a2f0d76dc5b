"""The Content-Security-Policy in Chromium: every main page (login, a client's pages,
a dossier, the payment page with Stripe.js, the /admin pages) loads and works with zero
CSP violation, and a script injected into a page is blocked."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, nav, sign_in

WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
});
"""


def _watch(page) -> list[str]:
    violations: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" and (
        "CSP-VIOLATION" in m.text or "Content Security Policy" in m.text) else None)
    page.on("pageerror", lambda e: violations.append(f"page error: {e}"))
    return violations


def _settled(page) -> None:
    """Every request of the page has been answered (network idle: a blocked load is reported
    when it is attempted), then a console message posted after them has come back: a
    violation the page reported before it has reached `violations` (console messages
    arrive in order)."""
    page.wait_for_load_state("networkidle")
    with page.expect_console_message(lambda m: m.text == "CSP-SETTLED"):
        page.evaluate("setTimeout(() => console.log('CSP-SETTLED'))")


def _visit(page, path: str, heading) -> None:
    response = page.goto(path)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self' 'sha256-" in csp, (path, csp)
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    _settled(page)


def test_client_pages_and_payment_load_without_csp_violation(desktop, server):
    page = desktop
    violations = _watch(page)
    page.goto("/connexion")
    expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()
    sign_in(page, server, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    for path, heading in [("/accueil", "LUCE ALEXANDER"), ("/documents", "Documents"), ("/dossiers", "Dossiers"),
                          ("/rdv", "RDV"), ("/mon-compte", "Mon compte"),
                          ("/mon-compte/coordonnees", "Mettre à jour mes coordonnées"),
                          ("/contacter", "Contacter l'interlocuteur"), ("/recherche?q=lettre", "Recherche")]:
        _visit(page, path, re.compile(heading, re.I))
    page.goto("/dossiers")
    page.get_by_role("link", name=re.compile("AGENCE IMMO")).first.click()
    expect(page.get_by_role("heading", name="ALEXANDER / AGENCE IMMO")).to_be_visible()
    page.get_by_role("tab", name=re.compile("RDV")).click()
    expect(page.get_by_role("tab", name=re.compile("RDV"))).to_have_attribute("aria-selected", "true")
    # The payment page: Stripe.js (localstripe's here) and its card element.
    page.goto("/factures")
    page.get_by_role("link", name="Payer en ligne").first.click()
    expect(page.get_by_role("heading", name=re.compile("Facture n°"))).to_be_visible()
    expect(page.locator("#carte-paiement input").first).to_be_visible()
    _settled(page)
    assert violations == []

    # What the policy is for: a script injected into the page does not run.
    with page.expect_console_message(lambda m: "CSP-VIOLATION" in m.text and "script-src" in m.text):
        page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.__injected = true'; document.body.appendChild(s); }""")
    assert page.evaluate("window.__injected === undefined")
    assert any("script-src" in v for v in violations), violations

    # Logging out (the header's form, posted from the page itself) still works.
    page.goto("/accueil")
    nav(page, "Déconnexion")
    expect(page).to_have_url(re.compile(r"/connexion"))
    expect(page.get_by_text("Vous êtes déconnecté de votre espace.")).to_be_visible()


def test_admin_pages_load_without_csp_violation(desktop, server):
    page = desktop
    violations = _watch(page)
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    for path, heading in [("/admin", "Espace cabinet"), ("/admin/clients", "Clients"),
                          ("/admin/clients/nouveau", "Nouveau client"), ("/admin/dossiers", "Dossiers"),
                          ("/admin/dossiers/1", "AGENCE IMMO"), ("/admin/parametres", "Paramètres du cabinet"),
                          ("/admin/demandes", "Demandes"), ("/admin/messages", "Messages"),
                          ("/admin/paiements", "Paiements")]:
        _visit(page, path, re.compile(heading))
    page.goto("/admin/clients")
    page.get_by_role("list", name="Liste des clients").get_by_role("link", name="Luce ALEXANDER").click()
    expect(page.get_by_role("heading", name="Luce ALEXANDER")).to_be_visible()
    _settled(page)
    assert violations == []


def test_built_scripts_are_cached_for_good_and_pages_open_without_a_redirect(desktop, server):
    """The hashed scripts are not asked for again on the next page (a login used to
    revalidate 18 of them), and `/connexion` answers at once, not with a 307 to `/connexion/`."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    for path in ("/connexion", "/accueil", "/admin"):
        with opener.open(server.url + path, timeout=10) as r:
            assert r.status == 200, path
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert "immutable" not in (r.headers.get("cache-control") or "")  # a page is never kept
    page = desktop
    scripts: list[str] = []
    page.on("response", lambda r: scripts.append(r.headers.get("cache-control", "")) if "/assets/" in r.url else None)
    page.goto("/connexion")
    expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()
    assert scripts and all("max-age=31536000" in c and "immutable" in c for c in scripts), scripts
    revalidated: list[str] = []
    page.on("response", lambda r: revalidated.append(r.url) if "/assets/" in r.url and r.status == 304 else None)
    page.goto("/premiere-connexion")
    page.goto("/connexion")
    expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()
    assert revalidated == []  # taken from the browser's cache, not asked again (was 304 × 18)
