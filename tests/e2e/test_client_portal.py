"""The manual's client scenarios, as a person does them, on desktop and at 375 px."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, MARC, assert_no_horizontal_scroll, login, nav, sign_in

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »): run on both paths by make test-browser.
pytestmark = pytest.mark.embedded

TILES = ["Documents (45)", "Dossiers (4)", "RDV (9)", "Factures (1)", "Tâches (8)", "Temps passés (11)", "Frais (1)"]


def test_login_failure_shows_a_french_error_and_keeps_the_identifier(page):
    login(page, LUCE[0], "mauvais-mot-de-passe")
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(page.get_by_label("Identifiant")).to_have_value(LUCE[0])
    expect(page).to_have_url(re.compile(r"/connexion"))
    assert_no_horizontal_scroll(page)


def test_login_shows_home_with_the_manuals_tiles(page):
    login(page, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("heading", name="LUCE ALEXANDER")).to_be_visible()
    expect(page.get_by_text("Accéder à :")).to_be_visible()
    for tile in TILES:
        expect(page.get_by_role("link", name=tile)).to_be_visible()
    for label in ("Accueil", "Mon compte"):
        expect(page.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Déconnexion")).to_be_visible()
    assert_no_horizontal_scroll(page)


def test_category_list_newest_first_with_dossier(page, server):
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="Documents (45)").click()
    expect(page.get_by_role("heading", name="Documents (45)")).to_be_visible()
    first = page.get_by_role("listitem").first
    expect(first).to_contain_text("08/01/2024")
    expect(first).to_contain_text("Lettre au client AR dossier Appelant (CA 09-17)")
    expect(first).to_contain_text("Dossier : ALEXANDER / AGENCE IMMO")
    expect(page.get_by_role("listitem")).to_have_count(45)
    assert_no_horizontal_scroll(page)


def test_dossier_page_has_tabs_for_non_empty_categories(page, server):
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="Dossiers (4)").click()
    expect(page.get_by_role("link", name="ALEXANDER / JPA")).to_be_visible()
    page.get_by_role("link", name="ALEXANDER / AGENCE IMMO").click()
    expect(page.get_by_role("heading", name="ALEXANDER / AGENCE IMMO")).to_be_visible()
    expect(page.get_by_text("Référence : 2017IIDOS/1529")).to_be_visible()
    expect(page.get_by_text("Interlocuteur : Fabien DELMAS")).to_be_visible()
    recus = page.get_by_role("tab", name=re.compile(r"^Documents reçus"))
    expect(recus).to_have_attribute("aria-selected", "true")
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_role("listitem").first).to_contain_text("Lettre au client AR dossier Appelant (CA 09-17)")
    expect(panel).to_contain_text("19/10/2022")
    expect(panel).to_contain_text("Facture avec détail")
    page.get_by_role("tab", name=re.compile(r"^Factures")).click()
    expect(page.get_by_role("tabpanel")).to_contain_text("Facture n° FA-2024-0042")
    expect(page.get_by_role("tabpanel")).to_contain_text("1\u202f440,00\xa0€")
    assert_no_horizontal_scroll(page)


def test_empty_tabs_are_hidden(desktop, server):
    """Marc's dossier has documents, an RDV and an invoice, nothing else."""
    sign_in(desktop, server, *MARC)
    desktop.get_by_role("link", name="Dossiers (1)").click()
    desktop.get_by_role("link", name="BERTRAND / LICENCIEMENT").click()
    tabs = desktop.get_by_role("tab")
    expect(tabs).to_have_count(3)
    for hidden in ("Tâches", "Temps passés", "Frais", "Documents déposés"):
        expect(desktop.get_by_role("tab", name=re.compile(hidden))).to_have_count(0)


def _first_document_url(page) -> str:
    page.goto("/documents")
    link = page.get_by_role("link", name="Lettre au client AR dossier Appelant (CA 09-17)", exact=True)
    return link.get_attribute("href")


def test_download_allowed_for_the_client_refused_otherwise(desktop, browser, server):
    sign_in(desktop, server, *LUCE)
    expect(desktop).to_have_url(re.compile("/accueil"))
    url = _first_document_url(desktop)
    assert re.fullmatch(r"/api/documents/\d+", url)
    with desktop.expect_download() as dl:
        desktop.get_by_role("link", name="Télécharger Lettre au client AR dossier Appelant (CA 09-17)").click()
    assert dl.value.suggested_filename == "Lettre au client AR dossier Appelant (CA 09-17).pdf"
    with open(dl.value.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    # The page stays live after a download: a client-side navigation still works.
    desktop.get_by_role("link", name="‹ Accueil").click()
    expect(desktop.get_by_role("link", name="Documents (45)")).to_be_visible()
    ok = desktop.request.get(url)
    assert ok.status == 200 and ok.headers["content-type"] == "application/pdf"
    assert "no-store" in ok.headers["cache-control"]

    anonymous = browser.new_context(base_url=server.url)
    refused = anonymous.request.get(url)
    assert refused.status == 401 and b"%PDF" not in refused.body()
    forged = anonymous.request.get(url, headers={"Cookie": "espace_session=forged-token"})
    assert forged.status == 401
    anonymous.close()

    other = browser.new_context(base_url=server.url)
    other_page = other.new_page()
    login(other_page, *MARC)
    expect(other_page).to_have_url(re.compile("/accueil"))
    stolen = other.request.get(url)
    assert stolen.status == 404 and b"%PDF" not in stolen.body()
    other.close()


def test_client_page_without_session_redirects_to_login(page):
    page.goto("/accueil")
    expect(page).to_have_url(re.compile(r"/connexion"))
    expect(page.get_by_text("LUCE ALEXANDER")).to_have_count(0)
    page.goto("/dossiers/1")
    expect(page).to_have_url(re.compile(r"/connexion"))
    expect(page.get_by_text("AGENCE IMMO")).to_have_count(0)


def test_another_clients_dossier_is_not_shown(desktop, server):
    sign_in(desktop, server, *MARC)
    expect(desktop).to_have_url(re.compile("/accueil"))
    desktop.goto("/dossiers/1")
    expect(desktop.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    expect(desktop.get_by_text("AGENCE IMMO")).to_have_count(0)


def test_logout_then_back_shows_no_data(page, server):
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="Documents (45)").click()
    expect(page.get_by_text("Lettre au client AR dossier Appelant (CA 09-17)")).to_be_visible()
    nav(page, "Déconnexion")
    expect(page).to_have_url(re.compile(r"/connexion"))
    expect(page.get_by_text("Vous êtes déconnecté de votre espace.")).to_be_visible()
    expect(page.get_by_text("Votre session a expiré")).to_have_count(0)  # a deliberate logout, not an expiry
    page.go_back()
    expect(page).to_have_url(re.compile(r"/connexion"))
    expect(page.get_by_text("Lettre au client AR")).to_have_count(0)
    expect(page.get_by_text("LUCE ALEXANDER")).to_have_count(0)


def test_lawyer_lands_on_admin_and_client_is_refused_there(desktop, browser, server):
    login(desktop, *LAWYER)
    expect(desktop).to_have_url(re.compile(r"/admin/?$"))
    expect(desktop.get_by_text("Connecté en tant que Fabien DELMAS.")).to_be_visible()
    client = browser.new_context(base_url=server.url)
    cp = client.new_page()
    login(cp, *LUCE)
    expect(cp).to_have_url(re.compile("/accueil"))
    cp.goto("/admin")
    expect(cp).to_have_url(re.compile(r"/accueil/?$"))
    expect(cp.get_by_text("Espace cabinet")).to_have_count(0)
    client.close()


def test_other_origins_get_no_credentialed_cors(server):
    """A page of another site cannot read our answers with the user's cookie."""
    import urllib.request

    for origin, allowed in (("https://evil.example", False), (server.url, True)):
        req = urllib.request.Request(f"{server.url}/api/health", headers={"Origin": origin})
        with urllib.request.urlopen(req) as resp:
            assert (resp.headers.get("access-control-allow-origin") == origin) is allowed


def test_a_login_ticket_sent_in_a_link_logs_nobody_in(desktop, browser, server):
    """Login CSRF: Marc logs in but his ticket is caught before it is exchanged (the
    login page's POST), and sent to Luce's browser as a link. Without the browser key
    that Marc's login page set, Luce lands on the login page, logged into nothing;
    Marc's own browser still gets in."""
    desktop.route("**/api/session/ouvrir*", lambda route: route.abort())
    with desktop.expect_request("**/api/session/ouvrir*") as caught:
        login(desktop, *MARC)
    assert caught.value.method == "POST" and "ticket" not in caught.value.url  # not in a URL, nor the history
    link = f"{server.url}/api/session/ouvrir?ticket={caught.value.post_data_json['ticket']}"
    victim = browser.new_context(base_url=server.url)
    vp = victim.new_page()
    vp.goto(link)
    expect(vp).to_have_url(re.compile(r"/connexion/?\?expire=1"))
    expect(vp.get_by_text("Votre session a expiré. Veuillez vous reconnecter.")).to_be_visible()
    vp.goto("/accueil")
    expect(vp).to_have_url(re.compile(r"/connexion"))
    victim.close()
    desktop.unroute("**/api/session/ouvrir*")
    desktop.goto(link)
    expect(desktop).to_have_url(re.compile(r"/accueil/?$"))
    expect(desktop.get_by_role("heading", name=re.compile("MARC", re.IGNORECASE))).to_be_visible()


PAUL = ("paul.martin@example.com", "Martin-Demo-2024")
MANY = 57  # more than a page (PAGE_SIZE 50)


@contextmanager
def _many_tasks(server):
    """MANY shared tasks in Paul MARTIN's dossier (the other firm's client: no other
    test counts his tasks), five on each date (ids break the tie); removed afterwards."""
    [(dossier_id,)] = server.sql(
        'SELECT dc.dossier_id FROM dossier_client dc JOIN client c ON c.id = dc.client_id '
        'JOIN "user" u ON u.id = c.user_id WHERE u.email = :email', {"email": PAUL[0]})
    for n in range(MANY):
        server.sql("INSERT INTO tache (dossier_id, shared_at, created_at, date, label, done) "
                   "VALUES (:d, :at, :at, :day, :label, false)",
                   {"d": dossier_id, "at": datetime(2026, 1, 1), "day": date(2025, 1 + n // 5, 1),
                    "label": f"Tâche paginée {n + 1:02d}"})
    server.recount()  # written directly: the tile's and the list's counts
    try:
        yield dossier_id
    finally:
        server.sql("DELETE FROM tache WHERE label LIKE 'Tâche paginée %'")
        server.recount()


def _names(page):
    return page.get_by_role("listitem").all_inner_texts()


def test_lists_and_tabs_page_through_with_keyset_links(desktop, server):
    """Newest first (the date, then the id): « Plus anciens › » reaches the rest,
    « ‹ Plus récents » comes back, « Les plus anciens » is the oldest page; the tab of
    the dossier pages the same way, one page at a time."""
    page = desktop
    with _many_tasks(server) as dossier_id:
        sign_in(page, server, *PAUL)
        page.get_by_role("link", name=f"Tâches ({MANY})").click()
        expect(page.get_by_role("heading", name=f"Tâches ({MANY})")).to_be_visible()
        items = page.get_by_role("listitem")
        expect(items).to_have_count(50)
        expect(items.first).to_contain_text(f"Tâche paginée {MANY}")
        expect(page.get_by_role("link", name="‹ Plus récents")).to_have_count(0)
        page.get_by_role("link", name="Plus anciens ›").click()
        expect(page).to_have_url(re.compile(r"/taches\?avant=20250"))
        expect(items).to_have_count(MANY - 50)
        expect(items.first).to_contain_text("Tâche paginée 07")
        expect(items.last).to_contain_text("Tâche paginée 01")
        expect(page.get_by_role("heading", name=f"Tâches ({MANY})")).to_be_visible()
        expect(page.get_by_role("link", name="Plus anciens ›")).to_have_count(0)
        page.get_by_role("link", name="‹ Plus récents").click()
        expect(page).to_have_url(re.compile(r"/taches\?apres="))
        expect(items).to_have_count(50)
        expect(items.first).to_contain_text(f"Tâche paginée {MANY}")
        expect(items.last).to_contain_text("Tâche paginée 08")
        page.goto("/taches")
        page.get_by_role("link", name="Les plus anciens").click()
        expect(page).to_have_url(re.compile(r"/taches\?fin=1"))
        expect(items).to_have_count(50)
        expect(items.first).to_contain_text("Tâche paginée 50")
        expect(items.last).to_contain_text("Tâche paginée 01")
        page.get_by_role("link", name="Les plus récents").click()
        expect(items.first).to_contain_text(f"Tâche paginée {MANY}")
        assert_no_horizontal_scroll(page)

        page.goto(f"/dossiers/{dossier_id}")
        page.get_by_role("tab", name=re.compile(rf"^Tâches \({MANY}\)")).click()
        panel = page.get_by_role("tabpanel")
        expect(panel.get_by_role("listitem")).to_have_count(50)
        expect(panel.get_by_role("listitem").first).to_contain_text(f"Tâche paginée {MANY}")
        panel.get_by_role("button", name="Plus anciens ›").click()
        expect(panel.get_by_role("listitem")).to_have_count(MANY - 50)
        expect(panel.get_by_role("listitem").last).to_contain_text("Tâche paginée 01")
        panel.get_by_role("button", name="‹ Plus récents").click()
        expect(panel.get_by_role("listitem")).to_have_count(50)
        expect(panel.get_by_role("listitem").first).to_contain_text(f"Tâche paginée {MANY}")
        # Another tab starts on its first page.
        page.get_by_role("tab", name=re.compile(r"^Documents reçus")).click()
        expect(page.get_by_role("tabpanel").get_by_role("button", name="Plus anciens ›")).to_have_count(0)
