"""axe-core on every page, at 1280 and at 375 px: public pages (forms showing their
errors included), the client's pages (Luce), the firm's pages (the lawyer), the 404.
Zero serious or critical violation is allowed; the counts by impact are printed
(`-s`) so that a change can be measured before → after."""
from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from espace.domain.items import kinds
from tests.e2e.conftest import LAWYER, LUCE, VIEWPORTS, login, sign_in

# What the browser renders does not depend on the server's topology: run once, by `make test`.

AXE = Axe()
BLOCKING = {"serious", "critical"}
ERRORS = re.compile(r"obligatoire|invalide|incorrect|Identifiant ou mot de passe", re.I)


class Audit:
    def __init__(self, viewport: str):
        self.viewport = viewport
        self.totals: Counter[str] = Counter()  # violations (one rule failing on one page run)
        self.nodes: Counter[str] = Counter()  # elements concerned
        self.rules: defaultdict[str, list[str]] = defaultdict(list)  # "impact rule" → pages
        self.pages = 0
        self.blocking: list[str] = []

    def run(self, page, name: str) -> None:
        # Colours at rest: the pointer left where the last click put it would hover whatever
        # the new page draws there (a hover colour is no reason for a test to pass or fail
        # by chance; the red « Désactiver »/« Déconnecter » are high-contrast on hover too).
        page.mouse.move(0, 0)
        # Radix transitions (opacity) have ended before colours are measured: no finite
        # animation or transition is still running (a looping one, a spinner, never ends).
        page.wait_for_function("""() => document.getAnimations().every((a) =>
            a.playState !== "running" || a.effect?.getComputedTiming().iterations === Infinity)""")
        results = AXE.run(page).response
        self.pages += 1
        # One tab stop per action: no link inside a button or button inside a link (axe only
        # flags the first), e.g. the old rx.link(rx.button(...)).
        nested = page.evaluate("[...document.querySelectorAll('a button, button a, a a, button button')]"
                               ".map(e => e.textContent.trim())")
        if nested:
            self.blocking.append(f"{name} [{self.viewport}] nested link/button: {nested[:4]}")
        for violation in results["violations"]:
            impact = violation.get("impact") or "minor"
            self.totals[impact] += 1
            self.nodes[impact] += len(violation["nodes"])
            self.rules[f"{impact} {violation['id']}"].append(name)
            if impact in BLOCKING:
                targets = [", ".join(n["target"]) for n in violation["nodes"][:4]]
                self.blocking.append(f"{name} [{self.viewport}] {impact} {violation['id']}: {targets}")

    def visit(self, page, path: str, name: str | None = None, ready: str = "h1, h2") -> None:
        page.goto(path)
        page.locator(ready).first.wait_for()
        self.run(page, name or path)


def _submit_empty(page, button) -> None:
    """Submit without the browser's own checks, so that the server's errors show."""
    page.evaluate("document.querySelectorAll('form').forEach(f => { f.noValidate = true; f.reset(); })")
    button.click()
    expect(page.get_by_text(ERRORS).first).to_be_visible()


def test_axe_every_page(browser, server, viewport):
    audit = Audit(viewport)

    def context():
        ctx = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
        ctx.set_default_timeout(20000)
        return ctx

    # Public pages, and the login form showing its error.
    ctx = context()
    page = ctx.new_page()
    for path in ("/connexion", "/mot-de-passe-oublie", "/reinitialiser?jeton=inconnu", "/activer?jeton=inconnu"):
        audit.visit(page, path)
    login(page, LUCE[0], "pas-le-bon-mot-de-passe")
    expect(page.get_by_text(ERRORS).first).to_be_visible()
    audit.run(page, "/connexion (erreur)")
    ctx.close()

    # The client's side.
    ctx = context()
    page = ctx.new_page()
    sign_in(page, server, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.locator("main h1").wait_for()
    audit.run(page, "/accueil")
    audit.visit(page, "/dossiers")
    for kind in kinds():
        audit.visit(page, f"/{kind.key}")
    page.goto("/factures")
    payer = page.get_by_role("link", name="Payer en ligne").or_(page.get_by_role("button", name="Payer en ligne"))
    expect(payer.first).to_be_visible()
    audit.run(page, "/factures (Payer en ligne)")
    page.goto("/dossiers/1")
    expect(page.get_by_role("tab").first).to_be_visible()
    audit.run(page, "/dossiers/1")
    for tab in page.get_by_role("tab").all()[1:]:
        tab.click()
        audit.run(page, f"/dossiers/1 ({tab.inner_text()})")
    audit.visit(page, "/contacter?dossier=1")
    _submit_empty(page, page.get_by_role("button", name="Envoyer"))
    audit.run(page, "/contacter (erreurs)")
    audit.visit(page, "/mon-compte")
    audit.visit(page, "/mon-compte/securite")
    audit.visit(page, "/mon-compte/coordonnees")
    page.get_by_label("Code postal").fill("3447")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text(re.compile("code postal", re.I)).last).to_be_visible()
    audit.run(page, "/mon-compte/coordonnees (erreurs)")
    audit.visit(page, "/une-page-qui-n-existe-pas", "404", ready="text=/404|introuvable/i")
    ctx.close()

    # A fresh client asks for a contact-details change, so that the firm's requests page
    # shows its `Accepter` / `Refuser` (Luce's own data stay as the other tests expect).
    identifier = f"a11y-{uuid.uuid4().hex[:8]}@example.com"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "ACCES", "--prenom", "Alex",
               "--password", "Acces-Mot2passe")
    server.cli("create-dossier", "--firm-id", "1", "--reference", f"2026A11Y/{uuid.uuid4().hex[:4]}",
               "--label", "ACCES / ESSAI", "--client-email", identifier,
               "--interlocutor-email", "fabien.delmas@example.com")
    ctx = context()
    page = ctx.new_page()
    login(page, identifier, "Acces-Mot2passe")
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.goto("/mon-compte/coordonnees")
    expect(page.get_by_label("E-mail")).to_have_value(identifier)
    page.get_by_label("Adresse").fill("Impasse Adam 1er")
    page.get_by_label("Code postal").fill("34470")
    page.get_by_label("Ville").fill("PEROLS")
    page.get_by_role("textbox", name="Tél", exact=True).fill("04 67 15 98 42")
    page.get_by_label("Mobile").fill("06 15 25 65 25")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("en attente de validation").first).to_be_visible()
    ctx.close()

    # The firm's side.
    ctx = context()
    page = ctx.new_page()
    sign_in(page, server, *LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.locator("main h1").wait_for()
    for path in ("/admin", "/admin/clients", "/admin/dossiers", "/admin/dossiers/1",
                 "/admin/dossiers/1/modifier", "/admin/messages", "/admin/paiements",
                 "/admin/equipe", "/admin/parametres", "/admin/compte", "/admin/compte/securite"):
        audit.visit(page, path)
    page.goto("/admin/demandes")
    expect(page.get_by_role("button", name=re.compile(r"^Accepter la demande de Alex ACCES")).first).to_be_visible()
    audit.run(page, "/admin/demandes")
    page.goto("/admin/clients")
    page.get_by_role("link", name=re.compile("LUCE", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/admin/clients/\d+"))
    page.locator("h1, h2").first.wait_for()
    audit.run(page, "/admin/clients/{id}")
    audit.visit(page, "/admin/clients/nouveau")
    _submit_empty(page, page.get_by_role("button", name="Créer le client"))
    audit.run(page, "/admin/clients/nouveau (erreurs)")
    audit.visit(page, "/admin/dossiers/nouveau")
    _submit_empty(page, page.get_by_role("button", name="Enregistrer"))
    audit.run(page, "/admin/dossiers/nouveau (erreurs)")
    page.goto("/admin/dossiers/1")
    expect(page.get_by_role("tab").first).to_be_visible()
    for tab in page.get_by_role("tab").all()[1:]:
        tab.click()
        audit.run(page, f"/admin/dossiers/1 ({tab.inner_text()})")
    ctx.close()

    totals = ", ".join(f"{impact} {audit.totals[impact]} ({audit.nodes[impact]} elements)"
                       for impact in ("critical", "serious", "moderate", "minor"))
    print(f"\naxe [{viewport}] {audit.pages} runs, violations by impact: {totals}")
    for rule, names in sorted(audit.rules.items()):
        print(f"   {rule}: {len(names)} — {', '.join(sorted(set(names)))[:300]}")
    for line in audit.blocking:
        print("  ", line)
    assert not audit.blocking, f"{len(audit.blocking)} serious/critical violations:\n" + "\n".join(audit.blocking)
