"""The demo data set: exact counts of the manual's screens, hidden items, real PDF files."""
from __future__ import annotations

import hashlib
import re
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from espace import demo as demo_module
from espace.config import settings
from espace.db import session_scope
from espace.domain import items as registry
from espace.models import (
    Account,
    Client,
    Direction,
    Document,
    Dossier,
    DossierClient,
    Facture,
    FactureStatus,
    Firm,
    Frais,
    Rdv,
    Role,
    Tache,
    TempsPasse,
    User,
)
from espace.services.accounts import hashing

# Every registered kind: a new kind fails here until the demo shows some of it.
SHARED_ITEMS = tuple(k.model for k in registry.kinds())
EXPECTED_SHARED = {Document: 45, Rdv: 9, Facture: 1, Tache: 8, TempsPasse: 11, Frais: 1}
EXPECTED_HIDDEN = {Document: 2, Rdv: 1, Facture: 1, Tache: 0, TempsPasse: 0, Frais: 0}


def count(s, model, *where) -> int:
    return s.exec(select(func.count()).select_from(model).where(*where)).one()


def table_counts() -> dict[str, int]:
    with session_scope() as s:
        return {m.__name__: count(s, m) for m in (Firm, User, Client, Dossier, DossierClient, *SHARED_ITEMS)}


def test_load_demo_returns_ids(engine):
    ids = demo_module.load_demo()
    assert set(ids) == {
        "firm_id", "lawyer_id", "staff_id", "client_user_id", "client_id", "dossier_ids", "other_client_user_id",
        "other_client_id", "other_dossier_id", "other_firm_id", "other_firm_client_user_id",
        "other_firm_dossier_id", "both_firms_user_ids", "both_firms_client_ids", "both_firms_dossier_ids",
    }
    assert len(ids["dossier_ids"]) == 4
    with session_scope() as s:
        firm = s.get(Firm, ids["firm_id"])
        assert (firm.name, firm.sender_email) == ("Cabinet DELMAS Avocats", "contact@cabinet-delmas.example")
        lawyer = s.get(User, ids["lawyer_id"])
        assert (lawyer.role, lawyer.email, lawyer.nom, lawyer.prenom) == (
            Role.admin, "fabien.delmas@example.com", "DELMAS", "Fabien")
        julie = s.get(User, ids["staff_id"])
        assert (julie.role, julie.email, julie.firm_id) == (Role.staff, "julie.moreau@example.com", firm.id)
        luce = s.get(User, ids["client_user_id"])
        assert (luce.role, luce.email, luce.nom, luce.prenom, luce.firm_id) == (
            Role.client, "academy@secib.fr", "ALEXANDER", "Luce", firm.id)
        client = s.get(Client, ids["client_id"])
        assert client.user_id == luce.id
        assert (client.email, client.adresse, client.code_postal, client.ville, client.tel, client.mobile) == (
            "academy@secib.fr", "Impasse Adam 1er", "34470", "PEROLS", "04 67 15 98 42", "06 15 25 65 25")
        dossiers = [s.get(Dossier, i) for i in ids["dossier_ids"]]
        assert [(d.reference, d.label) for d in dossiers] == [
            ("2017IIDOS/1529", "ALEXANDER / AGENCE IMMO"),
            ("2019IIDOS/0412", "ALEXANDER / JPA"),
            ("2021IIDOS/0877", "ALEXANDER / SUCCESSION MARTIN"),
            ("2023IIDOS/1102", "ALEXANDER / PRUD'HOMMES"),
        ]
        assert all(d.firm_id == firm.id and d.interlocutor_id == lawyer.id for d in dossiers)
        linked = s.exec(select(DossierClient.dossier_id).where(DossierClient.client_id == client.id)).all()
        assert sorted(linked) == sorted(ids["dossier_ids"])

        marc = s.get(User, ids["other_client_user_id"])
        assert (marc.email, marc.nom, marc.prenom, marc.firm_id) == (
            "marc.bertrand@example.com", "BERTRAND", "Marc", firm.id)
        marc_dossier = s.get(Dossier, ids["other_dossier_id"])
        assert (marc_dossier.reference, marc_dossier.label, marc_dossier.firm_id) == (
            "2022IIDOS/0555", "BERTRAND / LICENCIEMENT", firm.id)
        assert s.exec(select(DossierClient.client_id).where(
            DossierClient.dossier_id == marc_dossier.id)).all() == [ids["other_client_id"]]

        other_firm = s.get(Firm, ids["other_firm_id"])
        assert other_firm.name == "Cabinet LEROY"
        paul = s.get(User, ids["other_firm_client_user_id"])
        assert (paul.email, paul.firm_id) == ("paul.martin@example.com", other_firm.id)
        paul_dossier = s.get(Dossier, ids["other_firm_dossier_id"])
        assert (paul_dossier.reference, paul_dossier.label, paul_dossier.firm_id) == (
            "2024LER/0001", "MARTIN / DIVORCE", other_firm.id)
        claire = s.exec(select(User).where(User.email == "claire.leroy@example.com")).one()
        assert (claire.role, claire.firm_id, claire.nom, claire.prenom) == (
            Role.admin, other_firm.id, "LEROY", "Claire")


def test_exact_counts_shared_and_hidden(engine):
    ids = demo_module.load_demo()
    luce_dossiers = ids["dossier_ids"]
    with session_scope() as s:
        for model in SHARED_ITEMS:
            in_luce = model.dossier_id.in_(luce_dossiers)
            assert count(s, model, in_luce, model.shared_at.is_not(None)) == EXPECTED_SHARED[model], model
            assert count(s, model, in_luce, model.shared_at.is_(None)) == EXPECTED_HIDDEN[model], model
        shared_docs = Document.shared_at.is_not(None), Document.dossier_id.in_(luce_dossiers)
        assert count(s, Document, *shared_docs, Document.direction == Direction.recu,
                     Document.uploaded_by_id == ids["lawyer_id"]) == 42
        assert count(s, Document, *shared_docs, Document.direction == Direction.depose,
                     Document.uploaded_by_id == ids["client_user_id"]) == 3
        # Every dossier has documents; every category appears somewhere.
        for dossier_id in luce_dossiers:
            assert count(s, Document, Document.dossier_id == dossier_id, Document.shared_at.is_not(None)) > 0
        assert count(s, TempsPasse, TempsPasse.lawyer_id != ids["lawyer_id"]) == 0

        # Marc's dossier and the other firm.
        other = ids["other_dossier_id"]
        assert count(s, Document, Document.dossier_id == other, Document.shared_at.is_not(None)) == 2
        assert count(s, Rdv, Rdv.dossier_id == other, Rdv.shared_at.is_not(None)) == 1
        marc_facture = s.exec(select(Facture).where(Facture.dossier_id == other)).one()
        assert (marc_facture.amount_cents, marc_facture.payable_online) == (50000, True)
        assert marc_facture.shared_at is not None
        assert count(s, Document, Document.dossier_id == ids["other_firm_dossier_id"],
                     Document.shared_at.is_not(None)) == 1


def test_named_items(engine):
    ids = demo_module.load_demo()
    immo = ids["dossier_ids"][0]
    with session_scope() as s:
        facture = s.exec(select(Facture).where(Facture.number == "FA-2024-0042")).one()
        assert facture.dossier_id == immo
        assert (facture.amount_cents, facture.status, facture.payable_online) == (
            144000, FactureStatus.a_regler, True)
        assert facture.due_date > date(2026, 11, 26)
        assert facture.shared_at is not None
        frais = s.exec(select(Frais)).one()
        assert (frais.label, frais.amount_cents) == ("Frais d'huissier", 8950)

        docs = {d.name: d for d in s.exec(select(Document).where(Document.dossier_id == immo)).all()}
        assert docs["Lettre au client AR dossier Appelant (CA 09-17)"].doc_date == date(2024, 1, 8)
        assert docs["Lettre"].doc_date == date(2022, 10, 19)
        assert docs["Facture avec détail"].doc_date == date(2021, 12, 10)

        shared = s.exec(select(Document).where(
            Document.dossier_id.in_(ids["dossier_ids"]), Document.shared_at.is_not(None))).all()
        newest = max(shared, key=lambda d: d.doc_date)
        assert newest.name == "Lettre au client AR dossier Appelant (CA 09-17)"
        dates = [d.doc_date for d in shared]
        assert len(set(dates)) == len(dates), "document dates are distinct"
        assert all(date(2017, 1, 1) <= d < date(2024, 1, 8) for d in dates if d != newest.doc_date)

        rdv_years = {r.starts_at.year for r in s.exec(select(Rdv).where(Rdv.shared_at.is_not(None))).all()}
        assert min(rdv_years) == 2022 and max(rdv_years) == 2027


def test_second_call_changes_nothing(engine):
    assert demo_module.load_demo()
    before = table_counts()
    files_before = sorted(p.name for p in settings.documents_dir.iterdir())
    assert demo_module.load_demo() == {}
    assert table_counts() == before
    assert sorted(p.name for p in settings.documents_dir.iterdir()) == files_before


def test_document_files_are_real_pdfs(engine):
    demo_module.load_demo()
    with session_scope() as s:
        documents = s.exec(select(Document)).all()
        dossiers = {d.id: d for d in s.exec(select(Dossier)).all()}
    assert len(documents) == 45 + 2 + 2 + 1 + 2  # the last 2: Sophie NOEL's, one in each firm
    assert len({d.storage_key for d in documents}) == len(documents)
    for doc in documents:
        path = settings.documents_dir / doc.storage_key
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), doc.name
        assert len(data) == doc.size
        assert hashlib.sha256(data).hexdigest() == doc.sha256
        assert doc.content_type == "application/pdf"
        assert not doc.name.lower().endswith(".pdf")
        # The page shows the document's name and its dossier.
        text = data.decode("cp1252")
        assert doc.name.split(" ")[0] in text
        assert dossiers[doc.dossier_id].reference in text


def test_pdf_structure_is_consistent():
    data = demo_module.make_pdf("Conclusions (d'appelant) \\ été — 2023", ["Dossier : X (Y)"])
    assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF")
    assert b"(Conclusions \\(d'appelant\\) \\\\ \xe9t\xe9 \x97 2023) Tj" in data
    # startxref points at the xref table, whose entries point at each object.
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF$", data).group(1))
    assert data[xref_at:].startswith(b"xref\n0 ")
    size = int(re.search(rb"/Size (\d+)", data).group(1))
    entries = data[xref_at:].split(b"\n")[3 : 3 + size - 1]
    for number, entry in enumerate(entries, start=1):
        assert len(entry) + 1 == 20
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj" % number)
    # The stream length is exact.
    m = re.search(rb"<< /Length (\d+) >>\nstream\n", data)
    assert data[m.end() + int(m.group(1)) :].startswith(b"endstream")


def test_passwords_verify(engine):
    ids = demo_module.load_demo()
    expected = {
        "fabien.delmas@example.com": "Delmas-Demo-2024",
        "academy@secib.fr": "a12RJ3d11P",
        "marc.bertrand@example.com": "Bertrand-Demo-2024",
        "claire.leroy@example.com": "Leroy-Demo-2024",
        "paul.martin@example.com": "Martin-Demo-2024",
        "sophie.noel@example.com": "Noel-Demo-2024",
        "julie.moreau@example.com": "Moreau-Demo-2024",
    }
    with session_scope() as s:
        accounts = {a.email: a for a in s.exec(select(Account)).all()}
        users = {u.email: u for u in s.exec(select(User)).all()}
        sophie = s.exec(select(User).where(User.email == "sophie.noel@example.com")).all()
    assert set(accounts) == set(users) == set(expected)
    for email, password in expected.items():
        assert hashing.verify_password(password, accounts[email].password_hash), email
    assert not hashing.verify_password("a12RJ3d11p", accounts["academy@secib.fr"].password_hash)
    assert users["academy@secib.fr"].id == ids["client_user_id"]
    # One person, one account, a membership in each firm.
    assert len(sophie) == 2 and len({u.account_id for u in sophie}) == 1
    assert {u.firm_id for u in sophie} == {ids["firm_id"], ids["other_firm_id"]}
    assert "academy@secib.fr" in demo_module.LOGIN_HINTS and "a12RJ3d11P" in demo_module.LOGIN_HINTS
