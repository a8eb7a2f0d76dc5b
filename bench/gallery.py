"""A screenshot of every page at 1280 and 375 px, on the demo data, into docs/gallery/
(PNG, `<page>-<width>.png`): the public pages, the French 404, a page while its state is
on its way (the frame and its skeleton), every client page as the demo client and every
firm page as the demo lawyer. Starts its own app (tests/e2e/appserver.py start_app: build,
migrate, demo data; 1–3 min).

    .venv/bin/python bench/gallery.py [--out docs/gallery]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Page, sync_playwright

from tests.e2e.appserver import start_app, stop_app

WIDTHS = {1280: 800, 375: 740}
MAX_HEIGHT = 2400  # long lists: their first 2,400 px
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CLIENT = ("academy@secib.fr", "a12RJ3d11P")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")

PUBLIC = [("connexion", "/connexion"), ("mot-de-passe-oublie", "/mot-de-passe-oublie"),
          ("404", "/cette-page-n-existe-pas")]
CLIENT_PAGES = [("accueil", "/accueil"), ("dossiers", "/dossiers"), ("dossier", "first:/dossiers/"),
                ("documents", "/documents"), ("rdv", "/rdv"), ("factures", "/factures"), ("taches", "/taches"),
                ("temps-passes", "/temps-passes"), ("frais", "/frais"), ("contacter", "/contacter"),
                ("mon-compte", "/mon-compte"), ("coordonnees", "/mon-compte/coordonnees"),
                ("securite", "/mon-compte/securite")]
FIRM_PAGES = [("admin", "/admin"), ("admin-clients", "/admin/clients"), ("admin-client", "first:/admin/clients/"),
              ("admin-client-nouveau", "/admin/clients/nouveau"), ("admin-dossiers", "/admin/dossiers"),
              ("admin-dossier", "first:/admin/dossiers/"), ("admin-dossier-nouveau", "/admin/dossiers/nouveau"),
              ("admin-demandes", "/admin/demandes"), ("admin-messages", "/admin/messages"),
              ("admin-paiements", "/admin/paiements"), ("admin-equipe", "/admin/equipe"),
              ("admin-parametres", "/admin/parametres"), ("admin-compte", "/admin/compte"),
              ("admin-securite", "/admin/compte/securite")]
# Where the first link of a detail page is found.
LISTED_ON = {"/dossiers/": "/dossiers", "/admin/clients/": "/admin/clients", "/admin/dossiers/": "/admin/dossiers"}

SETTLED = ("() => ![...document.querySelectorAll('.page-skeleton')].some(e => e.offsetParent !== null)"
           " && document.readyState === 'complete'")


def settle(page: Page) -> None:
    """The page's state has arrived: no skeleton shown, fonts and images loaded."""
    page.wait_for_function(SETTLED, timeout=30000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)


def shoot(page: Page, out: Path, name: str, width: int) -> None:
    height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
    page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})
    print(f"  {name}-{width}.png", flush=True)


def login(page: Page, identifier: str, password: str) -> None:
    page.goto("/connexion")
    page.locator("form[data-hydrated='true']").wait_for()
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_url(re.compile(r"/(accueil|admin)/?$"))


def resolve(page: Page, target: str) -> str:
    if not target.startswith("first:"):
        return target
    prefix = target.removeprefix("first:")
    page.goto(LISTED_ON[prefix])
    settle(page)
    hrefs = page.eval_on_selector_all(f"a[href^='{prefix}']", "els => els.map(e => e.getAttribute('href'))")
    found = [h for h in hrefs if re.fullmatch(re.escape(prefix) + r"\d+/?", h)]
    if not found:
        raise RuntimeError(f"no link to {prefix}<id> on {LISTED_ON[prefix]}")
    return found[0]


def run(url: str, out: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS)
        for width, height in WIDTHS.items():
            print(f"{width} px", flush=True)
            ctx = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", base_url=url)
            page = ctx.new_page()
            for name, path in PUBLIC:
                page.goto(path)
                settle(page)
                shoot(page, out, name, width)
            login(page, *CLIENT)
            for name, target in CLIENT_PAGES:
                page.goto(resolve(page, target))
                settle(page)
                shoot(page, out, name, width)
            # The frame while the page's state is on its way (a websocket that does not answer).
            page.route_web_socket(re.compile(r"/_event"), lambda ws: None)
            page.goto("/documents")
            page.get_by_role("status", name="Chargement de la page").wait_for()
            page.wait_for_timeout(4500)
            shoot(page, out, "chargement", width)
            ctx.close()

            ctx = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", base_url=url)
            page = ctx.new_page()
            login(page, *LAWYER)
            for name, target in FIRM_PAGES:
                page.goto(resolve(page, target))
                settle(page)
                shoot(page, out, name, width)
            if width < 1280:  # the firm's compact menu, open
                page.goto("/admin")
                settle(page)
                page.get_by_role("button", name="Menu", exact=True).click()
                page.get_by_role("menu").wait_for()
                page.wait_for_timeout(300)
                shoot(page, out, "admin-menu", width)
            ctx.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "gallery"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    srv, proc = start_app(Path(tempfile.mkdtemp(prefix="gallery-")))
    try:
        run(srv.url, out)
    finally:
        stop_app(proc)
    print(f"{len(list(out.glob('*.png')))} screenshots in {out} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
