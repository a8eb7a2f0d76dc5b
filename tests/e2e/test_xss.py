"""XSS payloads in every text a user can enter, shown in the other party's browser and
in the emails: a lawyer creates a client (name, address), a dossier (label), shares a
document with a hostile file name, an RDV, a task and expenses; the client reads them,
deposits a file with a hostile name, writes a message and asks to change their address;
the lawyer reads them, answers and refuses the request with a hostile reason; the
client reads the answer. Each time the payload is visible as text, `window.__xss` is
undefined and no injected element exists; every email's HTML part escapes it."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import LAWYER, sign_in
from tests.e2e.test_admin_clients import new_context_page, textbox, wait_for_email

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SHORT = "<img src=x onerror=window.__xss=1>"
LONG = '<img src=x onerror=window.__xss=1><script>window.__xss=1</script>"><svg onload=window.__xss=1>'
RAW = ("<img src=x", "<script>window", "<svg onload")


def hostile(tag: str, long: bool = True) -> str:
    return f"{tag} {LONG if long else SHORT}"


def open_tab_form(page, tab: str, title: str):
    """A tab of the firm's dossier page and its « Ajouter » form. The tabs follow the
    page's state (a click is a round trip), and every tab's form has a « Date » (Tâches and
    Frais a « Libellé » too): typing by label before the answer fills the previous tab's
    form, about to be replaced. So: the tab shown as selected, then its own form."""
    page.get_by_role("tab", name=re.compile(rf"^{tab}")).click()
    expect(page.get_by_role("tab", name=re.compile(rf"^{tab}"))).to_have_attribute("aria-selected", "true")
    form = page.get_by_role("region", name=title)
    expect(form).to_be_visible()
    return form


def assert_inert(page, *tags: str, as_typed: bool = True) -> None:
    """Each tagged payload is on the page as text (as typed; file names are shown
    sanitised), and none of them ran or made an element."""
    for tag in tags:
        shown = page.get_by_text(re.compile(re.escape(tag), re.I)).first
        expect(shown).to_be_visible()
        if as_typed:
            assert "<img src=x onerror" in shown.inner_text().lower(), shown.inner_text()
    injected = page.evaluate(
        """() => ({
            flag: typeof window.__xss,
            img: document.querySelectorAll('img[src="x"]').length,
            svg: document.querySelectorAll('svg[onload]').length,
            script: [...document.scripts].filter(s => s.textContent.includes('window.__xss=1')).length,
        })"""
    )
    assert injected == {"flag": "undefined", "img": 0, "svg": 0, "script": 0}, injected


def assert_emails_escape(server, address: str, since: int) -> int:
    """The HTML parts of the emails to `address` (from the since-th) hold no raw payload.
    Returns how many of them quoted a payload (escaped)."""
    quoted = 0
    for message in server.emails_to(address)[since:]:
        html = message.get_body(preferencelist=("html",))
        if html is None:
            continue
        content = html.get_content()
        for raw in RAW:
            assert raw not in content, f"raw {raw!r} in the email « {message['Subject']} » to {address}"
        quoted += "&lt;img src=x" in content
    return quoted


def test_hostile_texts_are_shown_as_text_everywhere(desktop, browser, server, tmp_path):
    tag = uuid.uuid4().hex[:6].upper()
    t = {k: f"X{k}{tag}" for k in ("nom", "prenom", "adresse", "label", "doc", "rdv", "tache", "frais",
                                   "depot", "objet", "message", "reponse", "reponseobjet", "coord", "motif")}
    identifier = f"xss-{tag.lower()}@example.com"
    lawyer_mails = len(server.emails_to(LAWYER[0]))
    lawyer = desktop
    sign_in(lawyer, server, *LAWYER)
    expect(lawyer.get_by_role("heading", name="Espace cabinet")).to_be_visible()

    # The lawyer creates the client with hostile name and address.
    lawyer.goto("/admin/clients/nouveau")
    textbox(lawyer, "Nom").fill(hostile(t["nom"], long=False))
    textbox(lawyer, "Prénom").fill(hostile(t["prenom"], long=False))
    textbox(lawyer, "E-mail").fill(identifier)
    textbox(lawyer, "Adresse").fill(hostile(t["adresse"]))
    textbox(lawyer, "Code postal").fill("34000")
    textbox(lawyer, "Ville").fill("MONTPELLIER")
    lawyer.get_by_role("button", name="Créer le client").click()
    expect(lawyer.get_by_role("status")).to_contain_text(f"Invitation envoyée à {identifier}")

    # The client activates the account and logs in.
    wait_for_email(server, identifier)
    link = server.link_in_last_email(identifier, "/activer")
    client_ctx, client = new_context_page(browser, server)
    client.goto(link)
    client.get_by_role("textbox", name="Nouveau mot de passe", exact=True).fill("Xss-Mot2passe-Sur")
    client.get_by_label("Confirmation du mot de passe").fill("Xss-Mot2passe-Sur")
    client.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(client.get_by_text("Votre mot de passe a été enregistré.")).to_be_visible()
    sign_in(client, server, identifier, "Xss-Mot2passe-Sur")
    expect(client).to_have_url(re.compile(r"/accueil/?$"))
    assert_inert(client, t["nom"])  # « Bonjour … » with the name

    # A dossier with a hostile label; a document with a hostile name; RDV, task, expenses.
    lawyer.goto("/admin/dossiers/nouveau")
    expect(lawyer.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    textbox(lawyer, "Référence").fill(f"2026XSS/{tag}")
    textbox(lawyer, "Intitulé").fill(hostile(t["label"]))
    lawyer.get_by_role("checkbox", name=re.compile(t["nom"], re.I)).check()
    lawyer.get_by_label("Interlocuteur").select_option(label="Fabien DELMAS")
    lawyer.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(lawyer.get_by_role("status")).to_contain_text(f"Le dossier 2026XSS/{tag} a été créé.")
    lawyer.goto(f"/admin/dossiers?q=2026XSS/{tag}")
    dossier_link = lawyer.get_by_role("list", name="Liste des dossiers").get_by_role("link").first
    href = dossier_link.get_attribute("href")
    dossier_id = href.rstrip("/").split("/")[-1]
    lawyer.goto(href)
    assert_inert(lawyer, t["label"])
    doc_name = f"{t['doc']} <img src=x onerror=window.__xss=1>.pdf"
    (tmp_path / doc_name).write_bytes(PDF)
    lawyer.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        str(tmp_path / doc_name))
    expect(lawyer.get_by_role("list", name="Envois en cours")).to_contain_text("Déposé")
    rdv = open_tab_form(lawyer, "RDV", "Ajouter un RDV")
    rdv.get_by_label("Date").fill("2027-04-20")
    rdv.get_by_label("Heure").fill("10:00")
    textbox(rdv, "Lieu").fill("Cabinet")
    textbox(rdv, "Objet").fill(hostile(t["rdv"]))
    rdv.get_by_role("button", name="Ajouter le RDV").click()
    expect(lawyer.get_by_role("list", name="RDV du dossier")).to_contain_text(t["rdv"])
    tache = open_tab_form(lawyer, "Tâches", "Ajouter une tâche")
    tache.get_by_label("Date").fill("2027-04-10")
    textbox(tache, "Libellé").fill(hostile(t["tache"]))
    tache.get_by_role("button", name="Ajouter la tâche").click()
    expect(lawyer.get_by_role("list", name="Tâches du dossier")).to_contain_text(t["tache"])
    frais = open_tab_form(lawyer, "Frais", "Ajouter des frais")
    frais.get_by_label("Date").fill("2027-04-10")
    textbox(frais, "Montant (€)").fill("12,50")
    textbox(frais, "Libellé").fill(hostile(t["frais"]))
    frais.get_by_role("button", name="Ajouter les frais").click()
    expect(lawyer.get_by_role("list", name="Frais du dossier")).to_contain_text(t["frais"])
    assert_inert(lawyer, t["frais"])

    # The client sees them as text.
    client.goto(f"/dossiers/{dossier_id}")
    assert_inert(client, t["label"])
    assert_inert(client, t["doc"], as_typed=False)
    for name, key in (("RDV", "rdv"), ("Tâches", "tache"), ("Frais", "frais")):
        client.get_by_role("tab", name=re.compile(rf"^{name}")).click()
        assert_inert(client, t[key])

    # The client deposits a file with a hostile name, writes, asks to change the address.
    depot_name = f"{t['depot']} <img src=x onerror=window.__xss=1>.pdf"
    (tmp_path / depot_name).write_bytes(PDF)
    client.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        str(tmp_path / depot_name))
    expect(client.get_by_role("list", name="Envois en cours")).to_contain_text("Déposé")
    client.goto(f"/contacter?dossier={dossier_id}")
    client.get_by_label("Objet").fill(hostile(t["objet"]))
    client.get_by_label("Message").fill(hostile(t["message"]))
    client.get_by_role("button", name="Envoyer").click()
    expect(client.get_by_text("Votre message a été envoyé à Fabien DELMAS.")).to_be_visible()
    assert_inert(client, t["objet"], t["message"])
    client.goto("/mon-compte/coordonnees")
    expect(client.get_by_role("heading", name="Mettre à jour mes coordonnées")).to_be_visible()
    expect(client.get_by_label("E-mail")).to_have_value(identifier)
    client.get_by_label("Adresse").fill(hostile(t["coord"]))
    client.get_by_role("textbox", name="Tél", exact=True).fill("04 67 11 22 33")
    client.get_by_label("Mobile").fill("06 11 22 33 44")
    client.get_by_role("button", name="Envoyer").click()
    expect(client.get_by_text("en attente de validation").first).to_be_visible()
    assert_inert(client, t["coord"])

    # The lawyer reads the deposit and the message, answers, refuses the request.
    lawyer.goto(f"/admin/dossiers/{dossier_id}?onglet=messages")
    assert_inert(lawyer, t["objet"], t["message"])
    textbox(lawyer, "Objet").fill(hostile(t["reponseobjet"]))
    textbox(lawyer, "Réponse").fill(hostile(t["reponse"]))
    lawyer.get_by_role("button", name="Envoyer la réponse").click()
    expect(lawyer.get_by_text("Votre réponse a été envoyée au client.")).to_be_visible()
    lawyer.get_by_role("tab", name=re.compile(r"^Documents déposés")).click()
    assert_inert(lawyer, t["depot"], as_typed=False)
    lawyer.goto("/admin/demandes")
    assert_inert(lawyer, t["coord"], t["nom"])
    card = lawyer.get_by_role("article").filter(has_text=t["coord"]).first
    card.get_by_label("Motif").fill(hostile(t["motif"]))
    card.get_by_role("button", name=re.compile("^Refuser la demande")).click()
    expect(lawyer.get_by_text(re.compile("refusée"))).to_be_visible()
    assert_inert(lawyer, t["motif"])

    # The client reads the answer.
    client.goto(f"/contacter?dossier={dossier_id}")
    assert_inert(client, t["reponse"])

    # Emails: the invitation, the share notice, the answer, the refusal (client); the
    # message, the deposit, the request (lawyer). None carries a raw payload.
    server.wait_for_emails(identifier, 4, timeout=60)
    server.wait_for_emails(LAWYER[0], lawyer_mails + 2, timeout=30)
    quoted = assert_emails_escape(server, identifier, 0) + assert_emails_escape(server, LAWYER[0], lawyer_mails)
    assert quoted >= 2, "no email quoted a payload: the check above proved nothing"
    client_ctx.close()
