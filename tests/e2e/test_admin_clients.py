"""The firm side in a browser: a lawyer invites a client who activates the
account from the emailed link; deactivation closes the client's session; a client
cannot open /admin; another firm's lawyer sees « introuvable »; firm settings keep
the Stripe secret key out of every page; the logo shows on the client pages; the
temporary-password flow forces a new password at first login."""
from __future__ import annotations

import base64
import re
import struct
import time
import uuid
import zlib

from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, VIEWPORTS, assert_no_horizontal_scroll, login, nav, sign_in

CLAIRE = ("claire.leroy@example.com", "Leroy-Demo-2024")
PAUL = ("paul.martin@example.com", "Martin-Demo-2024")


def wait_for_email(server, address: str, count: int = 1, timeout: float = 30):
    """The outbox worker delivers within seconds: wait for the count-th email to `address`."""
    deadline = time.time() + timeout
    while True:
        emails = server.emails_to(address)
        if len(emails) >= count:
            return emails
        assert time.time() < deadline, f"no email to {address} after {timeout} s"
        time.sleep(0.5)


def new_context_page(browser, server, viewport: str = "bureau"):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    return context, context.new_page()


def textbox(page, name: str):
    return page.get_by_role("textbox", name=name, exact=True)


def fill_client_form(page, nom: str, prenom: str, email: str) -> None:
    textbox(page, "Nom").fill(nom)
    textbox(page, "Prénom").fill(prenom)
    textbox(page, "E-mail").fill(email)
    textbox(page, "Adresse").fill("5 place de la Comédie")
    textbox(page, "Code postal").fill("34000")
    textbox(page, "Ville").fill("MONTPELLIER")
    textbox(page, "Tél").fill("04 67 11 22 33")
    textbox(page, "Mobile").fill("06 11 22 33 44")


def client_href(page, name: str) -> str:
    """The /admin/clients/<id> address of a client, from the lawyer's list."""
    nav(page, "Clients")
    expect(page.get_by_role("heading", name=re.compile(r"^Clients \(\d+\)"))).to_be_visible()
    link = page.get_by_role("list", name="Liste des clients").get_by_role("link", name=name, exact=True)
    return link.get_attribute("href")


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    w, h = 40, 20
    raw = b"".join(b"\x00" + b"\x20\x40\xa0" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_lawyer_invites_a_client_who_activates_the_account(page, server, browser, viewport):
    identifier = f"invite-{uuid.uuid4().hex[:8]}@example.com"
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Clients")
    expect(page.get_by_role("heading", name=re.compile(r"^Clients \(\d+\)"))).to_be_visible()
    expect(page.get_by_role("list", name="Liste des clients")).to_contain_text("Luce ALEXANDER")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Nouveau client").click()
    expect(page.get_by_role("heading", name="Nouveau client")).to_be_visible()
    # A refused form says why under the field and keeps what was typed.
    fill_client_form(page, "INVITÉ", "Camille", "camille@exemple")  # the browser accepts it, the server not
    textbox(page, "Code postal").fill("123")
    page.get_by_role("button", name="Créer le client").click()
    expect(page.get_by_text("Adresse e-mail invalide (exemple : nom@domaine.fr).")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Code postal invalide"))).to_be_visible()
    expect(textbox(page, "Nom")).to_have_value("INVITÉ")
    assert_no_horizontal_scroll(page)
    textbox(page, "E-mail").fill(identifier)
    textbox(page, "Code postal").fill("34000")
    page.get_by_role("button", name="Créer le client").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation envoyée à {identifier}")
    expect(textbox(page, "Nom")).to_have_value("")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Voir la fiche du client").click()
    expect(page.get_by_role("heading", name="Camille INVITÉ")).to_be_visible()
    expect(page.get_by_text("Dernière connexion :")).to_contain_text("Jamais")
    expect(page.get_by_text(re.compile(r"^Invitation envoyée le \d\d/\d\d/\d{4}"))).to_be_visible()
    expect(page.get_by_role("list", name="Journal d'activité")).to_contain_text("Invitation envoyée")
    assert_no_horizontal_scroll(page)

    # The invitation email of the manual: portal address, identifier, one-time link.
    body = wait_for_email(server, identifier)[-1].get_body(preferencelist=("plain",)).get_content()
    assert f"Votre identifiant : {identifier}" in body and server.url in body
    assert "valable 7 jours" in body
    link = server.link_in_last_email(identifier, "/activer")

    client_ctx, client = new_context_page(browser, server, viewport)
    client.goto(link)
    expect(client.get_by_role("heading", name="Choisir mon mot de passe")).to_be_visible()
    client.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Active-Mot2passe")
    client.get_by_label("Confirmation du mot de passe").fill("Active-Mot2passe")
    client.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(client.get_by_text("Votre mot de passe a été enregistré.")).to_be_visible()
    client.goto(link)  # single use
    expect(client.get_by_text("Ce lien n'est plus valable")).to_be_visible()
    login(client, identifier, "Active-Mot2passe")
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    expect(client.get_by_role("heading", name="CAMILLE INVITÉ")).to_be_visible()
    client_ctx.close()

    # The firm sees the first login.
    page.reload()
    expect(page.get_by_role("heading", name="Camille INVITÉ")).to_be_visible()
    expect(page.get_by_text("Dernière connexion :")).to_contain_text(re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d"))
    expect(page.get_by_text("Espace activé.")).to_be_visible()
    expect(page.get_by_role("button", name="Renvoyer l'invitation")).to_have_count(0)
    expect(page.get_by_role("list", name="Journal d'activité")).to_contain_text("Connexion")


def test_deactivation_closes_the_client_session(desktop, server, browser):
    identifier, password = f"desactive-{uuid.uuid4().hex[:8]}@example.com", "Desactive-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "ADIEU", "--prenom", "Sacha",
               "--password", password)
    client_ctx, client = new_context_page(browser, server)
    login(client, identifier, password)
    expect(client).to_have_url(re.compile(r"/accueil/?$"))

    sign_in(desktop, server, *LAWYER)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(desktop, "Clients")
    desktop.get_by_role("searchbox", name="Rechercher un client").fill(identifier)
    desktop.get_by_role("button", name="Rechercher").click()
    listing = desktop.get_by_role("list", name="Liste des clients")
    expect(listing.get_by_role("listitem")).to_have_count(1)
    expect(listing).to_contain_text(re.compile(r"Dernière connexion : \d\d/\d\d/\d{4} \d\d:\d\d"))
    listing.get_by_role("link", name="Sacha ADIEU").click()
    expect(desktop.get_by_role("heading", name="Sacha ADIEU")).to_be_visible()
    # « Désactiver » asks first; « Annuler » changes nothing.
    desktop.get_by_role("button", name="Désactiver").click()
    dialog = desktop.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Désactiver l'accès de Sacha ADIEU ?")
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    expect(desktop.get_by_role("button", name="Réactiver")).to_have_count(0)
    nav(client, "Mon compte")
    expect(client).to_have_url(re.compile(r"/mon-compte/?$"))  # still logged in
    desktop.get_by_role("button", name="Désactiver").click()
    desktop.get_by_role("alertdialog").get_by_role("button", name="Désactiver l'accès").click()
    expect(desktop.get_by_role("status")).to_contain_text("ses sessions ont été fermées")
    expect(desktop.get_by_role("button", name="Réactiver")).to_be_visible()

    # The client's open tab is sent to the login page at once, without a click (web/tab_watch.py
    # pushes it; a click raced that push and could find the page already gone).
    expect(client).to_have_url(re.compile(r"/connexion"))
    expect(client.get_by_role("link", name="Accueil", exact=True)).to_have_count(0)
    login(client, identifier, password)
    expect(client.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    client_ctx.close()
    desktop.get_by_role("button", name="Réactiver").click()
    expect(desktop.get_by_role("status")).to_contain_text("est réactivé")
    client_ctx, client = new_context_page(browser, server)
    login(client, identifier, password)
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    client_ctx.close()


def test_a_client_cannot_open_admin(page, server):
    sign_in(page, server, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    for path in ("/admin", "/admin/clients", "/admin/clients/2", "/admin/dossiers", "/admin/parametres",
                 "/admin/clients/nouveau"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/accueil/?$"))
        expect(page.get_by_role("heading", name="LUCE ALEXANDER")).to_be_visible()
        html = page.content()
        for secret in ("marc.bertrand@example.com", "Marc BERTRAND", "Espace cabinet", "Nouveau client",
                       "Paramètres du cabinet"):
            assert secret not in html, (path, secret)


def test_another_firm_sees_introuvable(desktop, server, browser):
    sign_in(desktop, server, *LAWYER)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    luce_href = client_href(desktop, "Luce ALEXANDER")
    nav(desktop, "Dossiers")
    expect(desktop.get_by_role("heading", name=re.compile(r"^Dossiers \("))).to_be_visible()
    edit_href = desktop.get_by_role("link", name="Modifier le dossier 2017IIDOS/1529").get_attribute("href")

    other_ctx, other = new_context_page(browser, server)
    sign_in(other, server, *CLAIRE)
    expect(other.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    other.goto(luce_href)
    expect(other.get_by_role("heading", name="Client introuvable")).to_be_visible()
    other.goto(edit_href)
    expect(other.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    nav(other, "Clients")
    expect(other.get_by_role("list", name="Liste des clients")).to_contain_text("Paul MARTIN")
    nav(other, "Dossiers")
    expect(other.get_by_role("list", name="Liste des dossiers")).to_contain_text("2024LER/0001")
    for path in (luce_href, edit_href, "/admin/clients", "/admin/dossiers"):
        other.goto(path)
        other.wait_for_load_state("networkidle")
        html = other.content()
        for secret in ("academy@secib.fr", "ALEXANDER", "2017IIDOS/1529", "BERTRAND"):
            assert secret not in html, (path, secret)
    other_ctx.close()


def test_settings_never_send_the_secret_key_to_the_browser(desktop, server):
    secret = "sk_test_" + uuid.uuid4().hex + "SeCrEt"
    frames: list[str] = []
    desktop.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    sign_in(desktop, server, *CLAIRE)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(desktop, "Paramètres")
    expect(desktop.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
    textbox(desktop, "Clé publique Stripe").fill("pk_test_" + uuid.uuid4().hex)
    desktop.get_by_label("Clé secrète Stripe").fill("pk_live_mauvaise_cle")
    desktop.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(desktop.get_by_text("Clé secrète invalide : elle commence par sk_test_, sk_live_ ou rk_.")).to_be_visible()
    desktop.get_by_label("Clé secrète Stripe").fill(secret)
    desktop.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(desktop.get_by_text("Les paramètres ont été enregistrés.")).to_be_visible()
    desktop.reload()
    expect(desktop.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
    expect(desktop.get_by_text(re.compile(r"^Clé enregistrée"))).to_be_visible()
    expect(desktop.get_by_label("Clé secrète Stripe")).to_have_value("")
    assert desktop.get_by_label("Clé secrète Stripe").get_attribute("type") == "password"
    assert secret not in desktop.content()
    assert frames and not any(secret in f for f in frames)
    # An empty secret field keeps the saved key.
    desktop.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(desktop.get_by_text("Les paramètres ont été enregistrés.")).to_be_visible()
    expect(desktop.get_by_text(re.compile(r"^Clé enregistrée"))).to_be_visible()
    assert secret not in desktop.content() and not any(secret in f for f in frames)


def test_logo_shows_on_the_client_pages(desktop, server, browser, tmp_path):
    (tmp_path / "logo.png").write_bytes(png_bytes())
    (tmp_path / "faux.png").write_bytes(b"%PDF-1.4\n%%EOF\n")
    sign_in(desktop, server, *CLAIRE)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(desktop, "Paramètres")
    expect(desktop.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
    desktop.get_by_label("Choisir un logo").set_input_files(str(tmp_path / "faux.png"))
    expect(desktop.get_by_text("Format non autorisé : le logo doit être une image PNG, JPEG ou WEBP.")).to_be_visible()
    # The logo picker is a drop zone: the image dropped onto it is sent.
    drop = desktop.evaluate_handle(
        "b64 => { const dt = new DataTransfer(); const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));"
        " dt.items.add(new File([bytes], 'logo.png', {type: 'image/png'})); return dt; }",
        base64.b64encode(png_bytes()).decode())
    desktop.locator("[data-logo-zone]").dispatch_event("drop", {"dataTransfer": drop})
    expect(desktop.get_by_text("Logo enregistré.")).to_be_visible()
    expect(desktop.get_by_role("img", name="Logo actuel du cabinet")).to_be_visible()

    client_ctx, client = new_context_page(browser, server)
    login(client, *PAUL)
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    logo = client.get_by_role("banner").get_by_role("img", name="Logo du cabinet")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 40
    client_ctx.close()
    # Another firm's client has no logo, and cannot fetch this one.
    luce_ctx, luce = new_context_page(browser, server)
    sign_in(luce, server, *LUCE)
    expect(luce.get_by_role("heading", name="LUCE ALEXANDER")).to_be_visible()
    expect(luce.get_by_role("img", name="Logo du cabinet")).to_have_count(0)
    assert luce.request.get("/api/logo").status == 404
    luce_ctx.close()


def test_temporary_password_must_be_changed_at_first_login(desktop, server, browser):
    identifier = f"provisoire-{uuid.uuid4().hex[:8]}@example.com"
    sign_in(desktop, server, *CLAIRE)
    expect(desktop.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(desktop, "Paramètres")
    expect(desktop.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
    desktop.get_by_label("Inviter avec un mot de passe provisoire").check()
    desktop.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(desktop.get_by_text("Les paramètres ont été enregistrés.")).to_be_visible()
    try:
        desktop.goto("/admin/clients/nouveau")
        expect(desktop.get_by_role("heading", name="Nouveau client")).to_be_visible()
        fill_client_form(desktop, "PROVISOIRE", "Alix", identifier)
        desktop.get_by_role("button", name="Créer le client").click()
        expect(desktop.get_by_role("status")).to_contain_text(f"Mot de passe provisoire envoyé à {identifier}")
    finally:
        desktop.goto("/admin/parametres")
        expect(desktop.get_by_role("heading", name="Paramètres du cabinet")).to_be_visible()
        desktop.get_by_label("Inviter avec un mot de passe provisoire").uncheck()
        desktop.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(desktop.get_by_text("Les paramètres ont été enregistrés.")).to_be_visible()

    body = wait_for_email(server, identifier)[-1].get_body(preferencelist=("plain",)).get_content()
    assert f"Identifiant : {identifier}" in body
    temporary = re.search(r"Mot de passe : (\S+)", body).group(1)
    client_ctx, client = new_context_page(browser, server, "mobile")
    login(client, identifier, temporary)
    expect(client).to_have_url(re.compile(r"/premiere-connexion/?$"))
    expect(client.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
    client.goto("/accueil")  # nothing else before the new password
    expect(client).to_have_url(re.compile(r"/premiere-connexion/?$"))
    client.get_by_label("Mot de passe provisoire").fill(temporary)
    client.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Choisi-Mot2passe")
    client.get_by_label("Confirmation du mot de passe").fill("Choisi-Mot2passe")
    client.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    expect(client.get_by_role("heading", name="ALIX PROVISOIRE")).to_be_visible()
    assert_no_horizontal_scroll(client)
    client_ctx.close()
