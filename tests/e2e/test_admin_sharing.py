"""The firm side of a dossier, driven as a lawyer does it, with the client watching
in a separate browser: sharing documents and RDV, un-sharing, deposits marked
« Nouveau » until downloaded, contact-details requests, answers to messages.

Each test works on a fresh client and dossier (CLI), so the demo counts of Luce
ALEXANDER that other tests rely on stay as they are."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, LUCE, VIEWPORTS, assert_no_horizontal_scroll, login, nav, sign_in

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »): run on both paths by make test-browser.
pytestmark = pytest.mark.embedded

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LEROY = ("claire.leroy@example.com", "Leroy-Demo-2024")


def _fresh_client(server) -> dict:
    tag = uuid.uuid4().hex[:6]
    identifier = f"partage-{tag}@example.com"
    password = "Partage-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", f"PARTAGE{tag.upper()}",
               "--prenom", "Alex", "--password", password, "--adresse", "1 rue du Test", "--code-postal", "34000",
               "--ville", "MONTPELLIER", "--tel", "04 67 00 00 00", "--mobile", "06 00 00 00 00")
    label = f"PARTAGE / ESSAI {tag.upper()}"
    out = server.cli("create-dossier", "--firm-id", "1", "--reference", f"2026PART/{tag}", "--label", label,
                     "--client-email", identifier, "--interlocutor-email", "fabien.delmas@example.com")
    dossier_id = re.search(r"n° (\d+)", out).group(1)
    return {"identifier": identifier, "password": password, "label": label, "id": dossier_id,
            "name": f"Alex PARTAGE{tag.upper()}", "reference": f"2026PART/{tag}"}


@pytest.fixture
def client_page(browser, server):
    """The client's own browser (a separate context: its own cookies)."""
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


def _lawyer_opens(page, dossier: dict) -> None:
    login(page, *LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto(f"/admin/dossiers/{dossier['id']}")
    expect(page.get_by_role("heading", name=dossier["label"])).to_be_visible()


def _client_opens_dossier(page, dossier: dict) -> None:
    page.goto(f"/dossiers/{dossier['id']}")
    expect(page.get_by_role("heading", name=dossier["label"])).to_be_visible()


def test_share_documents_and_rdv_then_unshare(page, client_page, server, tmp_path):
    dossier = _fresh_client(server)
    _lawyer_opens(page, dossier)
    expect(page.get_by_text(dossier["identifier"])).to_be_visible()  # the dossier's client
    # Two PDFs at once, shared immediately (the default).
    (tmp_path / "Assignation.pdf").write_bytes(PDF)
    (tmp_path / "Conclusions adverses.pdf").write_bytes(PDF)
    expect(page.get_by_role("checkbox", name="Partager immédiatement les documents ajoutés")).to_be_checked()
    page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        [str(tmp_path / "Assignation.pdf"), str(tmp_path / "Conclusions adverses.pdf")])
    uploads = page.get_by_role("list", name="Envois en cours")
    expect(uploads.get_by_role("listitem")).to_have_count(2)
    expect(uploads.get_by_role("listitem").filter(has_text="Assignation.pdf")).to_contain_text("Déposé")
    expect(uploads.get_by_role("listitem").filter(has_text="Conclusions adverses.pdf")).to_contain_text("Déposé")
    docs = page.get_by_role("list", name="Documents du dossier")
    expect(docs.get_by_role("listitem")).to_have_count(2)
    expect(docs.get_by_role("listitem").filter(has_text="Assignation.pdf")).to_contain_text("Partagé")
    expect(page.get_by_role("tab", name=re.compile(r"^Documents \(2\)"))).to_be_visible()

    # An RDV added without sharing, then shared.
    page.get_by_role("tab", name=re.compile(r"^RDV")).click()
    page.get_by_label("Date").fill("2027-03-15")
    page.get_by_label("Heure").fill("14:30")
    page.get_by_role("textbox", name="Lieu").fill("Tribunal judiciaire de Montpellier")
    page.get_by_role("textbox", name="Objet").fill("Audience de plaidoirie")
    page.get_by_role("checkbox", name="Partager immédiatement").uncheck()
    page.get_by_role("button", name="Ajouter le RDV").click()
    expect(page.get_by_text("Le RDV a été ajouté (non partagé).")).to_be_visible()
    rdv = page.get_by_role("list", name="RDV du dossier").get_by_role("listitem").filter(
        has_text="Audience de plaidoirie")
    expect(rdv).to_contain_text("lundi 15/03/2027 à 14 h 30")
    expect(rdv).to_contain_text("Non partagé")
    rdv.get_by_role("button", name="Partager Audience de plaidoirie").click()
    expect(rdv).to_contain_text("Partagé")
    expect(rdv.get_by_role("button", name="Retirer Audience de plaidoirie")).to_be_visible()
    assert_no_horizontal_scroll(page)

    # The client sees them.
    sign_in(client_page, server, dossier["identifier"], dossier["password"])
    expect(client_page.get_by_role("link", name="Documents (2)")).to_be_visible()
    expect(client_page.get_by_role("link", name="RDV (1)")).to_be_visible()
    _client_opens_dossier(client_page, dossier)
    client_page.get_by_role("tab", name=re.compile(r"^Documents reçus \(2\)")).click()
    expect(client_page.get_by_role("tabpanel")).to_contain_text("Assignation.pdf")
    expect(client_page.get_by_role("tabpanel")).to_contain_text("Conclusions adverses.pdf")
    client_page.get_by_role("tab", name=re.compile(r"^RDV \(1\)")).click()
    expect(client_page.get_by_role("tabpanel")).to_contain_text("Audience de plaidoirie")
    expect(client_page.get_by_role("tabpanel")).to_contain_text("lundi 15/03/2027 à 14 h 30")

    # The lawyer takes one document back: gone for the client at the next load.
    page.get_by_role("tab", name=re.compile(r"^Documents \(2\)")).click()
    item = page.get_by_role("list", name="Documents du dossier").get_by_role("listitem").filter(
        has_text="Assignation.pdf")
    # `Retirer` asks first; « Annuler » leaves it shared.
    item.get_by_role("button", name="Retirer Assignation.pdf").click()
    dialog = page.get_by_role("alertdialog", name="Retirer « Assignation.pdf » du partage ?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_have_count(0)
    expect(item.get_by_text("Partagé", exact=True)).to_be_visible()
    item.get_by_role("button", name="Retirer Assignation.pdf").click()
    dialog.get_by_role("button", name="Retirer du partage").click()
    expect(item).to_contain_text("Non partagé")
    expect(page.get_by_text("Retiré : le client ne le voit plus.")).to_be_visible()
    client_page.reload()
    expect(client_page.get_by_role("heading", name=dossier["label"])).to_be_visible()
    client_page.get_by_role("tab", name=re.compile(r"^Documents reçus \(1\)")).click()
    expect(client_page.get_by_role("tabpanel")).to_contain_text("Conclusions adverses.pdf")
    expect(client_page.get_by_role("tabpanel")).not_to_contain_text("Assignation.pdf")


def test_add_invoice_with_french_amount_and_errors_kept(desktop, client_page, server):
    dossier = _fresh_client(server)
    _lawyer_opens(desktop, dossier)
    desktop.get_by_role("tab", name=re.compile(r"^Factures")).click()
    desktop.get_by_role("textbox", name="Numéro").fill("FA-2027-0100")
    desktop.get_by_label("Date").fill("2027-01-10")
    desktop.get_by_role("textbox", name="Montant TTC (€)").fill("mille euros")
    desktop.get_by_role("checkbox", name="Payable en ligne").check()
    desktop.get_by_role("button", name="Ajouter la facture").click()
    expect(desktop.get_by_text("Montant invalide (exemple : 1 440,00).")).to_be_visible()
    expect(desktop.get_by_role("textbox", name="Numéro")).to_have_value("FA-2027-0100")  # kept
    desktop.get_by_role("textbox", name="Montant TTC (€)").fill("1 440,00")
    desktop.get_by_role("button", name="Ajouter la facture").click()
    row = desktop.get_by_role("list", name="Factures du dossier").get_by_role("listitem")
    expect(row).to_contain_text("Facture n° FA-2027-0100")
    expect(row).to_contain_text(re.compile(r"1\s440,00\s€ · À régler · payable en ligne"))
    sign_in(client_page, server, dossier["identifier"], dossier["password"])
    client_page.get_by_role("link", name="Factures (1)").click()
    expect(client_page.get_by_text(re.compile(r"1\s440,00\s€"))).to_be_visible()


def test_deposit_is_new_until_the_lawyer_downloads_it(desktop, client_page, server):
    dossier = _fresh_client(server)
    sign_in(client_page, server, dossier["identifier"], dossier["password"])
    expect(client_page).to_have_url(re.compile(r"/accueil/?$"))
    resp = client_page.request.post(f"/api/depots/{dossier['id']}", data=PDF, headers={
        "X-Requested-With": "espace", "X-Filename": "Justificatif%20de%20domicile.pdf",
        "Content-Type": "application/octet-stream"})
    assert resp.status == 200, resp.text()

    _lawyer_opens(desktop, dossier)
    desktop.get_by_role("tab", name=re.compile(r"^Documents déposés \(1\)\s· 1 nouveau")).click()
    item = desktop.get_by_role("list", name="Documents déposés par le client").get_by_role("listitem")
    expect(item).to_contain_text("Justificatif de domicile.pdf")
    expect(item).to_contain_text("Nouveau")
    expect(item).to_contain_text(dossier["name"])
    with desktop.expect_download() as download:
        item.get_by_role("link", name="Télécharger Justificatif de domicile.pdf").click()
    assert download.value.suggested_filename == "Justificatif de domicile.pdf"
    expect(item).not_to_contain_text("Nouveau")  # refreshed once the download went through
    desktop.reload()
    expect(desktop.get_by_role("heading", name=dossier["label"])).to_be_visible()
    desktop.get_by_role("tab", name=re.compile(r"^Documents déposés \(1\)")).click()
    expect(desktop.get_by_role("list", name="Documents déposés par le client")).to_contain_text(
        "Justificatif de domicile.pdf")
    expect(desktop.get_by_role("list", name="Documents déposés par le client")).not_to_contain_text("Nouveau")


def test_contact_request_accepted_then_another_refused(page, client_page, server):
    dossier = _fresh_client(server)
    sign_in(client_page, server, dossier["identifier"], dossier["password"])
    expect(client_page).to_have_url(re.compile(r"/accueil/?$"))
    client_page.goto("/mon-compte/coordonnees")
    expect(client_page.get_by_role("heading", name="Mettre à jour mes coordonnées")).to_be_visible()
    client_page.get_by_label("Adresse").fill("Impasse Adam 1er")
    client_page.get_by_label("Code postal").fill("34470")
    client_page.get_by_label("Ville").fill("PEROLS")
    client_page.get_by_role("button", name="Envoyer").click()
    expect(client_page.get_by_text("en attente de validation").first).to_be_visible()

    sign_in(page, server, *LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    page.goto("/admin/demandes")
    card = page.get_by_role("article", name=f"Demande de {dossier['name']}")
    expect(card).to_be_visible()
    ville = card.get_by_role("row", name=re.compile("^Ville"))
    expect(ville).to_contain_text("MONTPELLIER")
    expect(ville).to_contain_text("PEROLS")
    assert_no_horizontal_scroll(page)
    card.get_by_role("button", name=f"Accepter la demande de {dossier['name']}").click()
    expect(page.get_by_text(f"Demande de {dossier['name']} acceptée")).to_be_visible()
    expect(card).to_have_count(0)
    expect(page.get_by_role("list", name="Demandes traitées")).to_contain_text(dossier["name"])

    client_page.reload()
    expect(client_page.get_by_role("heading", name="Mettre à jour mes coordonnées")).to_be_visible()
    expect(client_page.get_by_label("Ville")).to_have_value("PEROLS")
    expect(client_page.get_by_label("Adresse")).to_have_value("Impasse Adam 1er")
    expect(client_page.get_by_text("en attente de validation")).to_have_count(0)

    # A second request, refused: the reason is required.
    client_page.get_by_label("Ville").fill("LATTES")
    client_page.get_by_label("Code postal").fill("34970")
    client_page.get_by_role("button", name="Envoyer").click()
    expect(client_page.get_by_text("en attente de validation").first).to_be_visible()
    page.reload()
    card = page.get_by_role("article", name=f"Demande de {dossier['name']}")
    card.get_by_role("button", name=f"Refuser la demande de {dossier['name']}").click()
    expect(card.get_by_text("Indiquez le motif du refus.")).to_be_visible()
    card.get_by_label("Motif").fill("Merci de joindre un justificatif de domicile.")
    card.get_by_role("button", name=f"Refuser la demande de {dossier['name']}").click()
    expect(page.get_by_text(f"Demande de {dossier['name']} refusée")).to_be_visible()
    expect(page.get_by_role("list", name="Demandes traitées")).to_contain_text(
        "Merci de joindre un justificatif de domicile.")
    client_page.reload()
    expect(client_page.get_by_label("Ville")).to_have_value("PEROLS")


def test_lawyer_answers_a_client_message(page, client_page, server):
    dossier = _fresh_client(server)
    sign_in(client_page, server, dossier["identifier"], dossier["password"])
    expect(client_page).to_have_url(re.compile(r"/accueil/?$"))
    client_page.goto(f"/contacter?dossier={dossier['id']}")
    subject = f"Question {uuid.uuid4().hex[:6]}"
    client_page.get_by_label("Objet").fill(subject)
    client_page.get_by_label("Message").fill("Bonjour Maître,\nquand aura lieu l'audience ?")
    client_page.get_by_role("button", name="Envoyer").click()
    expect(client_page.get_by_text("Votre message a été envoyé")).to_be_visible()

    sign_in(page, server, *LAWYER)
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    nav(page, "Messages")
    expect(page.get_by_role("heading", name="Messages des clients")).to_be_visible()
    thread = page.get_by_role("listitem").filter(has_text=dossier["label"])
    expect(thread).to_contain_text("1 non lu")
    expect(thread).not_to_contain_text("(s)")  # « 1 non lu », « 1 message »: plurals by count
    expect(thread).to_contain_text(subject)
    assert_no_horizontal_scroll(page)
    thread.get_by_role("link", name=re.compile("^Messages du dossier")).click()
    expect(page.get_by_role("heading", name=dossier["label"])).to_be_visible()
    messages = page.get_by_role("list", name="Messages du dossier")
    expect(messages).to_contain_text("quand aura lieu l'audience ?")
    page.get_by_label("Réponse").fill("Bonjour,\nl'audience est fixée au 15/03/2027 à 14 h 30.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_text("Votre réponse a été envoyée au client.")).to_be_visible()
    expect(messages.get_by_role("listitem")).to_have_count(2)
    expect(messages).to_contain_text(f"Re : {subject}")
    assert_no_horizontal_scroll(page)
    nav(page, "Messages")
    expect(page.get_by_role("listitem").filter(has_text=dossier["label"])).to_contain_text("Lu")

    client_page.reload()
    expect(client_page.get_by_text("l'audience est fixée au 15/03/2027 à 14 h 30.")).to_be_visible()
    expect(client_page.get_by_text(f"Re : {subject}")).to_be_visible()


def test_admin_dossier_page_is_refused_to_a_client_and_another_firm(desktop, server):
    sign_in(desktop, server, *LUCE)
    expect(desktop).to_have_url(re.compile(r"/accueil/?$"))
    desktop.goto("/admin/dossiers/1")
    expect(desktop).to_have_url(re.compile(r"/accueil/?$"))
    resp = desktop.request.post("/api/admin/dossiers/1/documents", data=PDF,
                                headers={"X-Requested-With": "espace", "X-Filename": "x.pdf"})
    assert resp.status == 403
    nav(desktop, "Déconnexion")
    expect(desktop).to_have_url(re.compile(r"/connexion"))
    login(desktop, *LEROY)
    expect(desktop).to_have_url(re.compile(r"/admin/?$"))
    desktop.goto("/admin/dossiers/1")
    expect(desktop.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    expect(desktop.get_by_text("ALEXANDER")).to_have_count(0)
    resp = desktop.request.post("/api/admin/dossiers/1/documents", data=PDF,
                                headers={"X-Requested-With": "espace", "X-Filename": "x.pdf"})
    assert resp.status == 404
