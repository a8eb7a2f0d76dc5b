"""Firm roles and open sessions in a browser: the administrator invites a colleague
from « Équipe du cabinet », the colleague activates the account from the emailed link,
logs in and cannot change the firm's settings; the administrator changes the role,
cannot demote themselves (last administrator), then deactivates the colleague, whose
open tab goes to the login page at once. A user logged in twice closes the other session
from Mon compte (client) or closes all other sessions (/admin/compte): the other
browser's open tab is sent to the login page at once, without a click (pushed by the
server, web/tab_watch.py), showing nothing of what it held; axe-core finds no serious
violation on the page it lands on."""
from __future__ import annotations

import re
import uuid

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, MARC, VIEWPORTS, assert_no_horizontal_scroll, login, nav

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.1 Mobile/15E148 Safari/604.1")
DATE_TIME = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d")
EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."


def assert_pushed_to_login(page, held: str) -> None:
    """The tab is on the login page without any click of its own, nothing of `held` left."""
    expect(page).to_have_url(re.compile(r"/connexion\?expire=1$"), timeout=5000)
    expect(page.get_by_text(EXPIRED)).to_be_visible()
    expect(page.get_by_role("button", name="Se connecter", exact=True)).to_be_visible()
    expect(page.get_by_text(held)).to_have_count(0)
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not serious, serious


def new_context_page(browser, server, viewport: str = "bureau", **options):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url, **options)
    context.set_default_timeout(20000)
    return context, context.new_page()


def textbox(page, name: str):
    return page.get_by_role("textbox", name=name, exact=True)


def test_administrator_invites_changes_role_and_deactivates_a_colleague(page, server, browser, viewport):
    suffix = uuid.uuid4().hex[:6]
    identifier, password = f"collegue-{suffix}@example.com", "Collegue-Mot2passe"
    name = f"Léa DURAND{suffix.upper()}"
    login(page, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    page.get_by_role("link", name="Équipe du cabinet").click()
    expect(page.get_by_role("heading", name="Équipe du cabinet")).to_be_visible()
    team = page.get_by_role("list", name="Membres du cabinet")
    expect(team).to_contain_text("Fabien DELMAS (vous)")
    expect(team).to_contain_text("Administrateur du cabinet")
    expect(team).to_contain_text("Julie MOREAU")
    assert_no_horizontal_scroll(page)

    # A refused form says why and keeps what was typed.
    textbox(page, "Nom").fill(f"DURAND{suffix.upper()}")
    textbox(page, "Prénom").fill("Léa")
    textbox(page, "E-mail").fill("julie.moreau@example.com")  # already a colleague of this firm
    page.get_by_label("Rôle", exact=True).select_option(label="Avocat")
    page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    expect(page.get_by_text("Cette adresse e-mail est déjà celle d'un compte de votre cabinet.")).to_be_visible()
    expect(textbox(page, "Nom")).to_have_value(f"DURAND{suffix.upper()}")
    textbox(page, "E-mail").fill(identifier)
    page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation envoyée à {identifier}")
    expect(team).to_contain_text(name)
    expect(team).to_contain_text("Invitation en attente")
    assert_no_horizontal_scroll(page)

    # The colleague's email: firm, role, identifier and a one-time link.
    body = server.wait_for_emails(identifier)[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Cabinet DELMAS Avocats" in body and "« Avocat »" in body and f"Votre identifiant : {identifier}" in body
    link = server.link_in_last_email(identifier, "/activer")
    ctx, colleague = new_context_page(browser, server, viewport)
    colleague.goto(link)
    colleague.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill(password)
    colleague.get_by_label("Confirmation du mot de passe").fill(password)
    colleague.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(colleague.get_by_text("Votre mot de passe a été enregistré.")).to_be_visible()
    login(colleague, identifier, password)
    expect(colleague.get_by_role("heading", name="Espace cabinet")).to_be_visible()

    # Not an administrator: the settings are read-only, the team cannot be managed.
    nav(colleague, "Paramètres")
    expect(colleague.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
    expect(colleague.get_by_text("Seul un administrateur du cabinet peut modifier ces paramètres")).to_be_visible()
    expect(colleague.get_by_label("Nom du cabinet")).to_be_disabled()
    expect(colleague.get_by_label("Nom du cabinet")).to_have_value("Cabinet DELMAS Avocats")
    expect(colleague.get_by_role("button", name="Enregistrer", exact=True)).to_have_count(0)
    expect(colleague.get_by_label("Choisir un logo")).to_have_count(0)
    assert_no_horizontal_scroll(colleague)
    nav(colleague, "Équipe")
    expect(colleague.get_by_role("heading", name="Équipe du cabinet")).to_be_visible()
    expect(colleague.get_by_text("Seul un administrateur du cabinet peut inviter un collègue")).to_be_visible()
    expect(colleague.get_by_role("button", name="Envoyer l'invitation")).to_have_count(0)
    expect(colleague.get_by_role("button", name=re.compile("^Désactiver"))).to_have_count(0)

    # The administrator sees the colleague's first login, and changes the role.
    page.reload()
    expect(team).to_contain_text(name)
    row = team.get_by_role("listitem").filter(has_text=identifier)
    expect(row).to_contain_text("Actif")
    expect(row).to_contain_text(DATE_TIME)
    row.get_by_label(f"Rôle de {name}").select_option(label="Collaborateur")
    row.get_by_role("button", name="Changer le rôle").click()
    expect(page.get_by_role("status")).to_contain_text(f"{name} est maintenant « Collaborateur »")
    expect(row).to_contain_text("Collaborateur")

    # The last administrator cannot demote themselves.
    me = team.get_by_role("listitem").filter(has_text="(vous)")
    me.get_by_label("Rôle de Fabien DELMAS").select_option(label="Avocat")
    me.get_by_role("button", name="Changer le rôle").click()
    expect(page.get_by_role("alert")).to_contain_text("Le cabinet doit garder au moins un administrateur actif")
    expect(me).to_contain_text("Administrateur du cabinet")

    # Deactivation asks first, then closes the colleague's session at once.
    row.get_by_role("button", name=f"Désactiver {name}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Désactiver l'accès de {name} ?")
    dialog.get_by_role("button", name="Désactiver l'accès").click()
    expect(page.get_by_role("status")).to_contain_text("est désactivé ; ses sessions ont été fermées")
    expect(row).to_contain_text("Désactivé")
    expect(row.get_by_role("button", name=f"Réactiver {name}")).to_be_visible()
    assert_no_horizontal_scroll(page)
    # The colleague's open tab is sent to the login page at once (pushed, not at a click).
    assert_pushed_to_login(colleague, "Seul un administrateur du cabinet peut inviter un collègue")
    login(colleague, identifier, password)
    expect(colleague.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    ctx.close()

    # Every action is in the audit trail (the firm's trail of the colleague is the service's);
    # reactivation gives the access back.
    row.get_by_role("button", name=f"Réactiver {name}").click()
    expect(page.get_by_role("status")).to_contain_text("est réactivé")


def test_client_closes_another_session_from_mon_compte(page, server, browser, viewport):
    other_ctx, other = new_context_page(browser, server, viewport, user_agent=IPHONE_UA)
    login(other, *MARC)
    expect(other).to_have_url(re.compile(r"/accueil/?$"))
    expect(other.get_by_role("heading", name="Accéder à :")).to_be_visible()
    login(page, *MARC)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    nav(page, "Mon compte")
    expect(page.get_by_role("heading", name="Sessions ouvertes")).to_be_visible()
    sessions = page.get_by_role("list", name="Sessions ouvertes")
    expect(sessions.get_by_role("listitem").first).to_contain_text("Cette session")
    iphone = sessions.get_by_role("listitem").filter(has_text="Mobile Safari 17 — iOS 17")
    expect(iphone).to_contain_text(re.compile(r"Adresse : (127\.0\.0\.1|::1)"))
    expect(iphone).to_contain_text(DATE_TIME)
    assert_no_horizontal_scroll(page)
    iphone.get_by_role("button", name=re.compile("^Déconnecter la session Mobile Safari 17")).click()
    expect(page.get_by_role("status")).to_contain_text("La session a été déconnectée.")
    expect(iphone).to_have_count(0)
    # The other browser's tab goes to the login page at once (pushed, not at its next click).
    assert_pushed_to_login(other, "Accéder à :")
    # This one is still logged in.
    page.reload()
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    expect(sessions.get_by_role("listitem").first).to_contain_text("Cette session")
    other_ctx.close()


def test_staff_closes_all_other_sessions_from_admin_compte(page, server, browser, viewport):
    other_ctx, other = new_context_page(browser, server, viewport, user_agent=IPHONE_UA)
    login(other, *LAWYER)
    expect(other.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    login(page, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Mon compte")
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    expect(page.get_by_role("button", name="Modifier mon mot de passe")).to_be_visible()
    sessions = page.get_by_role("list", name="Sessions ouvertes")
    expect(sessions.get_by_role("listitem").filter(has_text="Mobile Safari 17 — iOS 17").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Déconnecter toutes les autres sessions").click()
    expect(page.get_by_role("status")).to_contain_text("Toutes les autres sessions ont été déconnectées.")
    expect(sessions.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("button", name="Déconnecter toutes les autres sessions")).to_have_count(0)
    assert_pushed_to_login(other, "Espace cabinet")
    nav(page, "Clients")
    expect(page.get_by_role("heading", name=re.compile(r"^Clients \(\d+\)"))).to_be_visible()
    other_ctx.close()
