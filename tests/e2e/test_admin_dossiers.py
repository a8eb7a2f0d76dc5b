"""The firm's dossiers in a browser: create with clients and interlocutor, find
it with the filters, edit it; the client then sees it."""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import (
    HYDRATED,
    LAWYER,
    HeldReplies,
    assert_no_horizontal_scroll,
    hydrations,
    login,
    nav,
    sign_in,
    wait_hydrated_after,
    wait_until,
    watch_sockets,
)


def test_create_filter_and_edit_a_dossier(page, server):
    tag = uuid.uuid4().hex[:6].upper()
    identifier, password = f"dossier-{tag.lower()}@example.com", "Dossier-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", f"NOUVEAU{tag}", "--prenom", "Dom",
               "--password", password)
    reference = f"2026IIDOS/{tag}"
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Dossiers")
    expect(page.get_by_role("heading", name=re.compile(r"^Dossiers \("))).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.get_by_role("link", name="Nouveau dossier").click()
    expect(page.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    page.get_by_role("textbox", name="Référence", exact=True).fill("2017IIDOS/1529")
    page.get_by_role("textbox", name="Intitulé", exact=True).fill(f"NOUVEAU{tag} / BAIL")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Choisissez au moins un client.")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(f"Dom NOUVEAU{tag}")).check()
    page.get_by_label("Interlocuteur").select_option(label="Fabien DELMAS")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_text("Cette référence est déjà utilisée par un autre dossier du cabinet.")).to_be_visible()
    expect(page.get_by_role("textbox", name="Intitulé", exact=True)).to_have_value(f"NOUVEAU{tag} / BAIL")
    page.get_by_role("textbox", name="Référence", exact=True).fill(reference)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Le dossier {reference} a été créé.")
    assert_no_horizontal_scroll(page)

    page.get_by_role("link", name="Voir la liste des dossiers").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Dossiers \("))).to_be_visible()
    # The client filter offers a bounded list of choices: typing finds the others.
    page.get_by_role("textbox", name="Chercher un client").fill(f"nouveau{tag}")
    client_filter = page.get_by_label("Client", exact=True)
    expect(client_filter.locator("option")).to_have_count(2)  # « Tous » and the one found
    client_filter.select_option(label=f"Dom NOUVEAU{tag}")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.get_by_role("list", name="Liste des dossiers").get_by_role("listitem")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"{reference} — NOUVEAU{tag} / BAIL")
    expect(rows).to_contain_text("Interlocuteur : Fabien DELMAS")
    assert rows.get_by_role("link", name=f"{reference} — NOUVEAU{tag} / BAIL").get_attribute("href").startswith("/admin/dossiers/")
    page.get_by_role("button", name="Effacer").click()
    expect(client_filter).to_have_value("")  # the filters are cleared
    page.get_by_role("searchbox", name="Rechercher").fill(tag.lower())
    page.get_by_role("button", name="Filtrer").click()
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=f"Modifier le dossier {reference}").click()
    expect(page.get_by_role("heading", name="Modifier le dossier")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(f"Dom NOUVEAU{tag}"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("Luce ALEXANDER"))).not_to_be_checked()
    page.get_by_role("textbox", name="Intitulé", exact=True).fill(f"NOUVEAU{tag} / BAIL COMMERCIAL")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Le dossier a été enregistré.")
    assert_no_horizontal_scroll(page)

    # The client sees the dossier with its new label.
    page.context.clear_cookies()
    login(page, identifier, password)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.goto("/dossiers")
    expect(page.get_by_text(f"NOUVEAU{tag} / BAIL COMMERCIAL")).to_be_visible()


def test_coming_back_to_the_form_waits_for_its_load_so_nothing_typed_is_lost(desktop, server):
    """Reflex renders a page from the state it holds, then runs on_load. The server's
    replies are held back while the lawyer comes back to « Nouveau dossier »: the previous
    visit's form must not be shown (a quick user would type into it, then lose it when the
    load replaces it). Once the replies arrive, the form is there and keeps what is typed."""
    page = desktop
    held = HeldReplies(page, on=False)
    watch_sockets(page)
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Dossiers")
    page.get_by_role("link", name="Nouveau dossier").click()
    expect(page.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    page.get_by_role("link", name="‹ Dossiers").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Dossiers \("))).to_be_visible()

    held.on = True
    page.get_by_role("link", name="Nouveau dossier").click()
    expect(page).to_have_url(re.compile(r"/admin/dossiers/nouveau/?$"))
    # The page's load has answered (its last reply, is_hydrated, is held with the others).
    wait_until(page, lambda: any(HYDRATED.search(str(message)) for _, message in held.messages),
               "the held reply of the page's load")
    expect(page.get_by_role("textbox", name="Référence", exact=True)).to_have_count(0)
    before = hydrations(page)
    held.release()
    wait_hydrated_after(page, before)  # every held reply has reached the page
    reference = page.get_by_role("textbox", name="Référence", exact=True)
    reference.fill("2026TAPE/1")
    expect(page.get_by_role("heading", name="Nouveau dossier")).to_be_visible()
    expect(reference).to_have_value("2026TAPE/1")
