"""The email announcing new shares, as the client receives it: the app's own
outbox worker groups the shares of the window (15 s here, SHARE_GROUP_MINUTES)
into one email; its link leads to the portal where the items are."""
from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import ROOT
from tests.e2e.conftest import assert_no_horizontal_scroll

# Depends on the embedded path too (docs/testing.md « Two paths for the browser tests »): run on both paths by make test-browser.
pytestmark = pytest.mark.embedded

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# What the firm side does when it shares: the item and its notice in one transaction.
SHARE = f"""
import sys
from datetime import date, timedelta
from espace.db import session_scope
from espace.models import Direction, Document, Rdv, utcnow
from espace.services import storage
from espace.services.mail import share_notices
from espace.services.shared import counters

args = sys.argv[1:]
for dossier_id, kind, name in zip(args[::3], args[1::3], args[2::3]):
    now = utcnow()
    with session_scope() as s:
        if kind == "document":
            key, size, sha = storage.save_bytes({PDF!r})
            item = Document(dossier_id=int(dossier_id), direction=Direction.recu, name=name, doc_date=date.today(),
                            storage_key=key, size=size, sha256=sha, content_type="application/pdf", shared_at=now)
        else:
            item = Rdv(dossier_id=int(dossier_id), starts_at=now + timedelta(days=7), subject=name,
                       place="Cabinet", shared_at=now)
        s.add(item)
        s.flush()
        counters.item_shared(s, item, 1)  # as the sharing service: the clients' counts
        share_notices.record(s, 1, item)
        s.commit()
"""


def _share(server, *items: tuple[str, str, str]) -> None:
    """Share (dossier id, "document" | "rdv", name) items one after the other."""
    args = [value for item in items for value in item]
    subprocess.run([sys.executable, "-c", SHARE, *args], cwd=ROOT, env=server.env, check=True, capture_output=True)


def _client_with_two_dossiers(server) -> dict:
    tag = uuid.uuid4().hex[:6]
    identifier = f"annonce-{tag}@example.com"
    password = "Annonce-Mot2passe"
    server.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", f"ANNONCE{tag.upper()}",
               "--prenom", "Lou", "--password", password)
    dossiers = []
    for n in (1, 2):
        label = f"ANNONCE / ESSAI {n} {tag.upper()}"
        reference = f"2026ANN/{tag}{n}"
        out = server.cli("create-dossier", "--firm-id", "1", "--reference", reference, "--label", label,
                         "--client-email", identifier, "--interlocutor-email", "fabien.delmas@example.com")
        dossiers.append({"id": re.search(r"n° (\d+)", out).group(1), "label": label, "reference": reference})
    return {"identifier": identifier, "password": password, "dossiers": dossiers}


def test_shares_are_announced_in_one_email_that_leads_to_them(page, server):
    client = _client_with_two_dossiers(server)
    first, second = client["dossiers"]
    _share(server, (first["id"], "document", "Conclusions adverses"), (first["id"], "document", "Bordereau de pièces"),
           (second["id"], "rdv", "Audience de mise en état"))

    [mail] = server.wait_for_emails(client["identifier"], 1, timeout=60)
    assert mail["Subject"] == "Nouveaux éléments dans votre espace client"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "- 2 documents" in text and "- 1 rendez-vous" in text
    assert f"- {first['reference']} - {first['label']}" in text
    assert f"- {second['reference']} - {second['label']}" in text
    link = re.search(r"https?://\S+/connexion", text).group(0)

    # The link opens the portal; the client finds what was announced.
    page.goto(link)
    page.get_by_label("Identifiant").fill(client["identifier"])
    page.get_by_label("Mot de passe").fill(client["password"])
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("link", name="Documents (2)")).to_be_visible()
    expect(page.get_by_role("link", name="RDV (1)")).to_be_visible()
    page.get_by_role("link", name="Documents (2)").click()
    expect(page.get_by_text("Conclusions adverses")).to_be_visible()
    expect(page.get_by_text("Bordereau de pièces")).to_be_visible()
    assert_no_horizontal_scroll(page)

    # Sent once: the worker keeps running, nothing comes twice.
    assert_sent_once_after_another_pass(server, client["identifier"], 1)


def assert_sent_once_after_another_pass(server, identifier: str, count: int) -> None:
    """`identifier` still has `count` emails after the share-notice worker has run again:
    a share recorded now for another client is announced at a later pass (after its own
    grouping window), so once its email is written, a second email to `identifier` would
    have been too."""
    witness = _client_with_two_dossiers(server)
    _share(server, (witness["dossiers"][0]["id"], "document", "Pièce témoin"))
    assert server.wait_for_emails(witness["identifier"], 1, timeout=60), "the witness's email never came"
    assert len(server.emails_to(identifier)) == count


def test_a_later_share_is_a_second_email(desktop, server):
    client = _client_with_two_dossiers(server)
    dossier = client["dossiers"][0]
    _share(server, (dossier["id"], "document", "Premier envoi"))
    server.wait_for_emails(client["identifier"], 1, timeout=60)
    _share(server, (dossier["id"], "rdv", "Rendez-vous de suivi"))
    mails = server.wait_for_emails(client["identifier"], 2, timeout=60)
    assert len(mails) == 2
    second = mails[-1].get_body(preferencelist=("plain",)).get_content()
    assert "- 1 rendez-vous" in second and "document" not in second
    assert f"- {dossier['reference']} - {dossier['label']}" in second and "Dossier concerné" in second
