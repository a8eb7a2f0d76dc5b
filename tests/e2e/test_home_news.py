"""What is new and what is next (issue 13), as a client and her lawyer see it: the
home's « Nouveautés », « À venir » and unread answers, `Messages` in the header with
its count, « Nouveau » on unseen rows until opened, and the read receipts both ways."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import MARC, VIEWPORTS, assert_no_horizontal_scroll, login
from tests.e2e.test_accessibility import Audit
from tests.e2e.test_admin_sharing import PDF, _fresh_client, _lawyer_opens

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def lawyer_page(browser, server):
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


def test_home_news_badges_and_read_receipts(page, lawyer_page, server, tmp_path, viewport):
    dossier = _fresh_client(server)
    lawyer = lawyer_page
    alerts: list[str] = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))

    # The lawyer shares a document and a future RDV, and answers with a hostile subject.
    _lawyer_opens(lawyer, dossier)
    (tmp_path / "Convocation.pdf").write_bytes(PDF)
    lawyer.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        [str(tmp_path / "Convocation.pdf")])
    docs = lawyer.get_by_role("list", name="Documents du dossier")
    expect(docs.get_by_role("listitem").filter(has_text="Convocation.pdf")).to_contain_text("Partagé")
    lawyer.get_by_role("tab", name=re.compile(r"^RDV")).click()
    lawyer.get_by_label("Date").fill("2027-03-15")
    lawyer.get_by_label("Heure").fill("14:30")
    lawyer.get_by_role("textbox", name="Objet").fill("Audience de plaidoirie")
    lawyer.get_by_role("button", name="Ajouter le RDV").click()
    expect(lawyer.get_by_text("Le RDV a été ajouté et partagé avec le client.")).to_be_visible()
    lawyer.get_by_role("tab", name=re.compile(r"^Messages")).click()
    lawyer.locator("input[name=reponse_objet]").fill(f"Convocation {XSS}")
    lawyer.get_by_label("Réponse").fill("Bonjour, voici votre convocation.")
    lawyer.get_by_role("button", name="Envoyer la réponse").click()
    expect(lawyer.get_by_text("Votre réponse a été envoyée au client.")).to_be_visible()
    expect(lawyer.get_by_text("Pas encore lu par le client")).to_be_visible()

    # The client's home answers « what is new, what is next ».
    login(page, dossier["identifier"], dossier["password"])
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    news = page.get_by_role("list", name="Nouveautés")
    expect(news).to_contain_text("Convocation.pdf")
    expect(news).to_contain_text("Audience de plaidoirie")
    expect(page.get_by_role("list", name="Prochains rendez-vous")).to_contain_text(
        "lundi 15/03/2027 à 14 h 30")
    unread = page.get_by_role("list", name="Réponses non lues")
    expect(unread).to_contain_text(f"Convocation {XSS}")  # text, not HTML
    expect(page.get_by_role("link", name="Messages 1 non lu", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Documents (1)")).to_contain_text("1 nouveau")
    expect(page.get_by_role("link", name="RDV (1)")).to_contain_text("1 nouveau")
    assert_no_horizontal_scroll(page)

    # « Nouveau » until opened: an RDV once shown, a document once downloaded.
    page.get_by_role("list", name="Nouveautés").get_by_role("link", name="Audience de plaidoirie").click()
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_role("listitem").filter(has_text="Audience de plaidoirie")).to_contain_text("Nouveau")
    page.goto(f"/dossiers/{dossier['id']}?onglet=recus")
    row = page.get_by_role("tabpanel").get_by_role("listitem").filter(has_text="Convocation.pdf")
    expect(row).to_contain_text("Nouveau")
    href = row.get_by_role("link", name="Télécharger Convocation.pdf").get_attribute("href")
    assert page.request.get(href).ok
    page.goto("/accueil")
    expect(page.get_by_role("link", name="RDV (1)")).to_be_visible()
    expect(page.get_by_role("link", name="RDV (1)")).not_to_contain_text("nouveau")
    expect(page.get_by_role("link", name="Documents (1)")).not_to_contain_text("nouveau")
    expect(page.get_by_text("Rien de nouveau depuis votre dernière visite.")).to_be_visible()

    # Reading the answer clears the header's count.
    page.get_by_role("list", name="Réponses non lues").get_by_role("link").click()
    expect(page.get_by_text("Bonjour, voici votre convocation.")).to_be_visible()
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert alerts == []

    # The firm's receipts: the document opened, the answer read.
    lawyer.reload()
    expect(lawyer.get_by_role("heading", name=dossier["label"])).to_be_visible()
    item = lawyer.get_by_role("list", name="Documents du dossier").get_by_role("listitem").filter(
        has_text="Convocation.pdf")
    expect(item).to_contain_text(re.compile(r"Ouvert par le client le \d\d/\d\d/\d{4} \d\d:\d\d"))
    lawyer.get_by_role("tab", name=re.compile(r"^Messages")).click()
    expect(lawyer.get_by_role("list", name="Messages du dossier")).to_contain_text(
        re.compile(r"Lu le \d\d/\d\d/\d{4} \d\d:\d\d par le client"))

    lawyer.get_by_role("link", name="Messages", exact=True).click()
    expect(lawyer.get_by_role("listitem").filter(has_text=dossier["label"])).to_contain_text(
        re.compile(r"Lu le \d\d/\d\d/\d{4} \d\d:\d\d par le client"))

    # Another client of the firm sees none of it.
    if viewport == "bureau":
        lawyer.context.clear_cookies()
        login(lawyer, *MARC)
        expect(lawyer).to_have_url(re.compile(r"/accueil/?$"))
        expect(lawyer.get_by_role("heading", name="Nouveautés")).to_be_visible()
        expect(lawyer.locator("main")).not_to_contain_text("Convocation")
        expect(lawyer.locator("main")).not_to_contain_text("Audience de plaidoirie")


def _add(lawyer, tab: str, fields: dict[str, str], button: str, name: str, label: str) -> None:
    lawyer.get_by_role("tab", name=re.compile(rf"^{tab}")).click()
    panel = lawyer.get_by_role("tabpanel", name=re.compile(rf"^{tab}"))
    expect(panel.get_by_role("button", name=button)).to_be_enabled()
    for field, value in fields.items():
        panel.get_by_label(field).fill(value)
        expect(panel.get_by_label(field)).to_have_value(value)
    panel.get_by_role("textbox", name=label, exact=True).fill(name)
    panel.get_by_role("button", name=button).click()
    rows = lawyer.get_by_role("list", name=f"{tab} du dossier")
    expect(rows.get_by_role("listitem").filter(has_text=name)).to_contain_text("Partagé")


def test_second_login_news_agrees_with_the_tiles(page, lawyer_page, server, viewport):
    """Issue 23: on the second login « Nouveautés » said « Rien de nouveau » next to « RDV 3 nouveaux »;
    past 8 items it left the rest out. Now: the 8 newest unopened items, then « En tout » by kind."""
    dossier = _fresh_client(server)
    lawyer = lawyer_page
    _lawyer_opens(lawyer, dossier)
    for n in range(1, 4):  # shared first: the oldest, left out of the 8 listed
        _add(lawyer, "RDV", {"Date": f"2027-04-0{n}", "Heure": "09:30"}, "Ajouter le RDV", f"Audience n° {n}",
             "Objet")
    for n in range(1, 7):
        _add(lawyer, "Tâches", {"Date": f"2026-11-0{n}"}, "Ajouter la tâche", f"Pièce à fournir n° {n}", "Libellé")

    login(page, dossier["identifier"], dossier["password"])  # first visit: nothing opened
    expect(page.get_by_role("link", name="RDV (3)")).to_contain_text("3 nouveaux")
    page.context.clear_cookies()
    login(page, dossier["identifier"], dossier["password"])  # second visit: all of it shared before the first
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("link", name="RDV (3)")).to_contain_text("3 nouveaux")
    expect(page.get_by_role("link", name="Tâches (6)")).to_contain_text("6 nouvelles")
    block = page.get_by_role("region", name="Nouveautés")
    expect(block).to_contain_text("dernière visite le")
    expect(block).not_to_contain_text("Rien de nouveau")
    listed = block.get_by_role("list", name="Nouveautés", exact=True).get_by_role("listitem")
    expect(listed).to_have_count(8)
    for n in range(1, 7):
        expect(listed.filter(has_text=f"Pièce à fournir n° {n}")).to_have_count(1)
    groups = block.get_by_role("list", name="Nouveautés par catégorie")
    expect(groups.get_by_role("listitem")).to_have_count(1)
    expect(groups).to_contain_text("3 nouveaux rendez-vous")
    assert_no_horizontal_scroll(page)
    audit = Audit(viewport)
    audit.run(page, "accueil-nouveautes")
    assert audit.blocking == []

    groups.get_by_role("link", name="Tout voir : 3 nouveaux rendez-vous").click()
    expect(page).to_have_url(re.compile(r"/rdv/?$"))
    for n in range(1, 4):
        expect(page.get_by_role("listitem").filter(has_text=f"Audience n° {n}")).to_contain_text("Nouveau")
