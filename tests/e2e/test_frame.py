"""The page frame (web/components/layout.py) as a visitor sees it, at 1280 and 375 px:
the tab icon, the French 404 in the portal's frame, the current header link, the skeleton
and the firm's name while the page's state is slow or cannot arrive (with the French
connection banner), the firm's header (one line at 1280 px, a « Menu » on phones), the
cache headers of the hashed assets and the pages served without redirect."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, VIEWPORTS, assert_no_horizontal_scroll, login

FIRM = "Cabinet DELMAS Avocats"


def _shows_early_name(page) -> None:
    """The header shows the firm's name before the state has arrived (assets/cadre.js)."""
    page.wait_for_function("getComputedStyle(document.querySelector('.firm-name'), '::before')"
                           f".content.includes({FIRM!r})", timeout=5000)


def test_frame_at_once_current_link_menu_404_and_edges(page, browser, server, viewport):
    # The tab icon, for anyone: never a 404.
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/")
    # The pages the app links to answer at once, not through a redirect; hashed assets are kept.
    assert page.request.get("/connexion", max_redirects=0).status == 200
    html = page.request.get("/connexion").text()
    asset = re.search(r'(/assets/[^"\']+\.js)', html)
    assert asset, "no hashed asset in the login page"
    assert "immutable" in page.request.get(asset.group(1)).headers.get("cache-control", "")

    # An unknown address: a French page in the portal's frame, not Reflex's English 404.
    page.goto("/cette-page-n-existe-pas")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    expect(page.get_by_role("link", name="Revenir à mon espace")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)

    # The client: the current header link says so.
    login(page, *LUCE)
    expect(page.get_by_role("link", name=re.compile(r"^Documents \(\d+\)"))).to_be_visible()
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.locator("[aria-current='page']")).to_have_text("Accueil")
    expect(page.locator(".firm-name")).to_have_text(FIRM)
    expect(page.get_by_role("status", name="Chargement de la page")).to_have_count(0)

    # A slow websocket: the frame, the firm's name and a skeleton at once, then a word on the connection.
    mode = {"ws": "hang"}

    def socket(ws):
        if mode["ws"] == "refuse":  # the socket opens, then its connection is refused (e.g. a proxy)
            ws.send('0{"sid":"bloque","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')
            ws.on_message(lambda m: ws.send('44/_event,{"message":"refus"}') if str(m).startswith("40") else None)

    page.route_web_socket(re.compile(r"/_event"), socket)
    page.goto("/documents")
    skeleton = page.get_by_role("status", name="Chargement de la page")
    expect(skeleton).to_be_visible()
    _shows_early_name(page)
    expect(page.get_by_text("La connexion au serveur est lente.")).to_be_visible()
    # A refused one: the French banner over the skeleton.
    mode["ws"] = "refuse"
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="Connexion au serveur perdue")).to_be_visible()
    expect(skeleton).to_be_visible()
    _shows_early_name(page)
    assert_no_horizontal_scroll(page)
    page.unroute_all()

    # The firm: one header line at 1280 px; a « Menu » on phones.
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
    lawyer = context.new_page()
    try:
        login(lawyer, *LAWYER)
        expect(lawyer.get_by_role("heading", name="Espace cabinet")).to_be_visible()
        header = lawyer.locator("header").first
        if viewport == "bureau":
            links = lawyer.get_by_role("navigation", name="Navigation principale").get_by_role("link")
            expect(links.first).to_be_visible()
            box = header.bounding_box()
            assert box and box["height"] < 70, f"the firm's header takes {box} (more than one line)"
            lawyer.get_by_role("navigation", name="Navigation principale").get_by_role(
                "link", name="Clients", exact=True).click()
        else:
            expect(lawyer.get_by_role("link", name="Clients", exact=True)).to_be_hidden()
            box = header.bounding_box()
            assert box and box["height"] < 70, f"the firm's header takes {box} on a phone"
            lawyer.get_by_role("button", name="Menu", exact=True).click()
            expect(lawyer.get_by_role("menuitem", name="Tableau de bord")).to_have_attribute("aria-current", "page")
            lawyer.get_by_role("menuitem", name="Clients", exact=True).click()
        expect(lawyer).to_have_url(re.compile(r"/admin/clients/?$"))
        expect(lawyer.locator("header [aria-current='page']").filter(has_text="Clients").first).to_be_attached()
        assert_no_horizontal_scroll(lawyer)
    finally:
        context.close()
