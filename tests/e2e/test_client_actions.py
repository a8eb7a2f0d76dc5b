"""Deposit documents, ask for a contact-details update, write to the interlocutor."""
from __future__ import annotations

import contextlib
import http.client
import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LUCE, MARC, assert_no_horizontal_scroll, nav, sign_in

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »): run on both paths by make test-browser.
pytestmark = pytest.mark.embedded

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _new_client_with_dossier(server) -> tuple[str, str]:
    """A fresh client linked to a new dossier of the demo firm (keeps Luce's counts stable)."""
    identifier = f"depot-{uuid.uuid4().hex[:8]}@example.com"
    password = "Depot-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", "DEPOT", "--prenom", "Alex",
               "--password", password)
    server.cli("create-dossier", "--firm-id", "1", "--reference", f"2026TEST/{uuid.uuid4().hex[:4]}",
               "--label", "DEPOT / ESSAI", "--client-email", identifier,
               "--interlocutor-email", "fabien.delmas@example.com")
    return identifier, password


def _open_only_dossier(page):
    page.get_by_role("link", name="Dossiers (1)").click()
    page.get_by_role("link", name="DEPOT / ESSAI").click()
    expect(page.get_by_role("heading", name="DEPOT / ESSAI")).to_be_visible()


def test_deposit_several_files_one_refused(page, server, tmp_path):
    identifier, password = _new_client_with_dossier(server)
    sign_in(page, server, identifier, password)
    _open_only_dossier(page)
    (tmp_path / "Attestation employeur.pdf").write_bytes(PDF)
    (tmp_path / "notes.txt").write_text("Mes notes pour le rendez-vous.\n", encoding="utf-8")
    (tmp_path / "facture.pdf.exe").write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    before = len(server.emails_to("fabien.delmas@example.com"))
    chooser = page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner")
    # The file input is hidden in its label: the keyboard focus shows on the label (:focus-within).
    chooser.focus()
    assert chooser.evaluate("i => getComputedStyle(i.closest('label')).outlineStyle") == "solid"
    chooser.set_input_files(
        [str(tmp_path / "Attestation employeur.pdf"), str(tmp_path / "notes.txt"), str(tmp_path / "facture.pdf.exe")]
    )
    uploads = page.get_by_role("list", name="Envois en cours")
    expect(uploads.get_by_role("listitem")).to_have_count(3)
    expect(uploads.get_by_role("listitem").filter(has_text="Attestation employeur.pdf")).to_contain_text("Déposé")
    expect(uploads.get_by_role("listitem").filter(has_text="notes.txt")).to_contain_text("Déposé")
    refused = uploads.get_by_role("listitem").filter(has_text="facture.pdf.exe")
    expect(refused).to_contain_text(re.compile(r"Refusé : « facture\.pdf\.exe » : .+"))
    # A refused file shows as refused (red, no bar); a deposited one says 100 %.
    expect(refused.get_by_role("progressbar")).to_have_count(0)
    assert refused.evaluate("li => getComputedStyle(li).color") == page.evaluate(
        "() => { const s = document.createElement('span'); s.style.color = 'var(--red-11)';"
        " document.body.append(s); const c = getComputedStyle(s).color; s.remove(); return c; }")
    done = uploads.get_by_role("listitem").filter(has_text="notes.txt")
    expect(done.get_by_role("progressbar", name="Progression de notes.txt")).to_have_attribute("aria-valuenow", "100")
    expect(done).to_contain_text("100 %")
    size = len(b"Mes notes pour le rendez-vous.\n")  # 31 bytes: « 31 o » here and in the list, not « 1 Ko »
    expect(done).to_contain_text(f"notes.txt ({size} o)")
    tab = page.get_by_role("tab", name=re.compile(r"^Documents déposés \(2\)"))
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("Attestation employeur.pdf")
    expect(panel).to_contain_text("notes.txt")
    expect(panel.get_by_role("listitem").filter(has_text="notes.txt")).to_contain_text(f"{size} o")
    expect(panel).not_to_contain_text("facture.pdf.exe")
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Accueil", exact=True).click()
    expect(page.get_by_role("link", name="Documents (2)")).to_be_visible()
    # One email to the interlocutor for the batch, naming the files.
    emails = server.wait_for_emails("fabien.delmas@example.com", before + 1)
    assert len(emails) == before + 1
    text = emails[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Attestation employeur.pdf" in text and "notes.txt" in text and "facture.pdf.exe" not in text


def test_deposit_from_home_with_file_chooser(desktop, server, tmp_path):
    identifier, password = _new_client_with_dossier(server)
    sign_in(desktop, server, identifier, password)
    expect(desktop.get_by_label("Dossier")).to_contain_text("DEPOT / ESSAI")  # one dossier: preselected
    (tmp_path / "piece.pdf").write_bytes(PDF)
    with desktop.expect_file_chooser() as fc:
        desktop.get_by_text("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").click()
    fc.value.set_files(str(tmp_path / "piece.pdf"))
    expect(desktop.get_by_role("list", name="Envois en cours")).to_contain_text("Déposé")
    expect(desktop.get_by_role("link", name="Documents (1)")).to_be_visible()


def _session_cookie(page) -> str:
    cookie = next(c for c in page.context.cookies() if c["name"] == "espace_session")
    return f"espace_session={cookie['value']}"


def test_oversized_file_is_refused_by_the_server_even_without_the_browser_check(desktop, server):
    sign_in(desktop, server, *LUCE)
    expect(desktop.get_by_role("link", name="Documents (45)")).to_be_visible()
    host, port = server.url.split("//")[1].split(":")
    # Bypass the page: post straight to the route with the session cookie, announcing 51 MB.
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/depots/1")
    for name, value in {"Cookie": _session_cookie(desktop), "X-Requested-With": "espace", "X-Filename": "gros.pdf",
                        "Content-Type": "application/octet-stream", "Content-Length": str(51 * 1024 * 1024)}.items():
        conn.putheader(name, value)
    conn.endheaders()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the server may answer and close first
        conn.send(b"%PDF-" + b"0" * (1024 * 1024))
    resp = conn.getresponse()
    assert resp.status == 413
    assert "trop volumineux" in json.loads(resp.read())["error"]
    conn.close()
    desktop.reload()
    expect(desktop.get_by_role("link", name="Documents (45)")).to_be_visible()


def test_deposit_into_another_clients_dossier_is_refused(desktop, server):
    sign_in(desktop, server, *MARC)
    expect(desktop).to_have_url(re.compile("/accueil"))
    resp = desktop.request.post("/api/depots/1", data=PDF,
                                headers={"X-Requested-With": "espace", "X-Filename": "x.pdf"})
    assert resp.status == 404
    anonymous = urllib.request.Request(f"{server.url}/api/depots/1", data=PDF, method="POST",
                                       headers={"X-Requested-With": "espace"})
    try:
        urllib.request.urlopen(anonymous)
        raise AssertionError("anonymous upload accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 401


def test_contact_details_update_request(page, server):
    identifier, password = _new_client_with_dossier(server)
    sign_in(page, server, identifier, password)
    nav(page, "Mon compte")
    page.get_by_role("link", name="Mettre à jour mes coordonnées").click()
    expect(page.get_by_role("heading", name="Mettre à jour mes coordonnées")).to_be_visible()
    expect(page.get_by_role("textbox", name="Nom", exact=True)).to_have_value("DEPOT")
    expect(page.get_by_label("E-mail")).to_have_value(identifier)
    page.get_by_label("Adresse").fill("Impasse Adam 1er")
    page.get_by_label("Code postal").fill("3447")
    page.get_by_label("Ville").fill("PEROLS")
    page.get_by_role("textbox", name="Tél", exact=True).fill("04 67 15 98 42")
    page.get_by_label("Mobile").fill("06 15 25 65 25")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text(re.compile("code postal", re.I)).last).to_be_visible()
    expect(page.get_by_label("Adresse")).to_have_value("Impasse Adam 1er")  # typed values kept
    page.get_by_label("Code postal").fill("34470")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("en attente de validation").first).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="34470")).to_be_visible()
    assert_no_horizontal_scroll(page)


def test_message_to_the_interlocutor(page, server):
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="Dossiers (4)").click()
    page.get_by_role("link", name="ALEXANDER / AGENCE IMMO").click()
    page.get_by_role("link", name="Contacter l'interlocuteur").click()
    expect(page.get_by_text("Contacter l'interlocuteur : Fabien DELMAS")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Dossier : 2017IIDOS/1529 - ALEXAN"))).to_be_visible()
    page.get_by_role("button", name="Envoyer").click()  # empty: the browser's required check stops it
    subject = f"Demande de RDV {uuid.uuid4().hex[:6]}"
    page.get_by_label("Objet").fill(subject)
    page.get_by_label("Message").fill("Bonjour,\n<b>pas du HTML</b> merci.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Votre message a été envoyé à Fabien DELMAS.")).to_be_visible()
    thread = page.get_by_role("listitem").filter(has_text=subject)
    expect(thread).to_contain_text("<b>pas du HTML</b> merci.")
    assert_no_horizontal_scroll(page)
