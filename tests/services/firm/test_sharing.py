"""The firm shares items into a dossier and takes them back; uploads documents
through the streaming route; sees the clients' deposits with their « Nouveau »
marker. Everything is scoped to the acting lawyer's firm."""
from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.config import settings
from espace.db import session_scope
from espace.demo import LAWYER_EMAIL, LAWYER_PASSWORD, LEROY_EMAIL, LEROY_PASSWORD, LUCE_EMAIL, LUCE_PASSWORD, make_pdf
from espace.domain import french
from espace.http import admin_sharing as api_admin_sharing
from espace.http import routes as api
from espace.models import (
    AuditEvent,
    Direction,
    Document,
    DossierClient,
    Facture,
    Frais,
    Rdv,
    Role,
    ShareNotice,
    Tache,
    TempsPasse,
    User,
)
from espace.services import AccessDenied
from espace.services.accounts import auth
from espace.services.client import deposit, dossier_view, home, lists
from espace.services.firm import dossier_page, sharing
from tests.admin_helpers import user as _user

XRW = {"X-Requested-With": "espace"}


# --------------------------------------------------------------------------- helpers
def _by_email(email: str) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.email == email)).one()


class Feed:
    def __init__(self, data: bytes, chunk: int = 64 * 1024):
        self.parts = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]

    async def _gen(self):
        for part in self.parts:
            yield part

    def __aiter__(self):
        return self._gen()


@pytest.fixture
def people(demo):
    return {
        "lawyer": _user(demo["lawyer_id"]),
        "luce": _user(demo["client_user_id"]),
        "marc": _user(demo["other_client_user_id"]),
        "claire": _by_email(LEROY_EMAIL),
    }


def _firm_rows(lawyer: User, did: int, key: str) -> list[dossier_page.FirmItemRow]:
    """The first page of a tab of the firm's dossier page (the demo's tabs fit in one)."""
    return dossier_page.tab_page(lawyer, did, key).rows


def _client_names(user: User, key: str) -> list[str]:
    return [r.name for r in lists.list_category(user, key).rows]


def _notices(category: str, item_id: int) -> list[ShareNotice]:
    with session_scope() as s:
        return list(s.exec(select(ShareNotice).where(ShareNotice.category == category,
                                                     ShareNotice.item_id == item_id)).all())


def _token(email: str, password: str) -> str:
    result = auth.login(email, password, "127.0.0.1")
    assert result.ok
    opened = auth.open_session(result.ticket, result.browser_key)
    assert opened is not None
    return opened[0]


# --------------------------------------------------------------------------- overview
def test_overview_shows_every_item_with_its_state(demo, people):
    lawyer, did = people["lawyer"], demo["dossier_ids"][0]
    data = dossier_page.dossier_overview(lawyer, did)
    assert data.label == "ALEXANDER / AGENCE IMMO"
    assert data.interlocutor == "Fabien DELMAS"
    assert {"name": "Luce ALEXANDER", "email": LUCE_EMAIL} in data.clients
    items = {k: _firm_rows(lawyer, did, k) for k in dossier_page.page_keys() if k != dossier_page.DEPOSITS}
    assert data.page == dossier_page.tab_page(lawyer, did, "documents")  # the first tab's page
    assert data.counts == {k: len(rows) for k, rows in items.items()} | {"deposes": data.counts["deposes"]}
    states = {r.state for rows in items.values() for r in rows}
    assert states == {"Partagé", "Non partagé"}  # the demo hides a few items from Luce
    facture = items["factures"][0]
    assert facture.name == "Facture n° FA-2024-0042" and "1\u202f440,00\u00a0€" in facture.detail
    # Deposits are listed apart, with their « Nouveau » flag.
    deposited = dossier_page.tab_page(lawyer, did, "deposes").deposits
    assert deposited and all(r.new for r in deposited)
    assert data.counts["deposes"] == len(deposited) and data.new_deposits == len(deposited)
    assert all(r.state for r in items["documents"])
    hidden_docs = [r for r in items["documents"] if not r.shared]
    luce_docs = set(_client_names(people["luce"], "documents"))
    assert hidden_docs and not any(r.name in luce_docs for r in hidden_docs)


def test_lawyers_offered_for_time_entries_are_of_the_firm(demo, people):
    data = dossier_page.dossier_overview(people["lawyer"], demo["dossier_ids"][0])
    assert [p["name"] for p in data.lawyers] == ["Fabien DELMAS", "Julie MOREAU"]


# --------------------------------------------------------------------------- adding
def test_add_rdv_paris_time_is_stored_in_utc_and_shown_to_the_client(demo, people):
    before = len(_client_names(people["luce"], "rdv"))
    ok, errors, rdv_id = sharing.add_item(people["lawyer"], demo["dossier_ids"][1], "rdv",
                                          {"date": "15/03/2027", "heure": "14:30", "lieu": "Au cabinet",
                                           "objet": "Préparation de l'audience"})
    assert ok and errors == {}
    with session_scope() as s:
        rdv = s.get(Rdv, rdv_id)
        assert rdv.starts_at.replace(tzinfo=UTC) == datetime(2027, 3, 15, 13, 30, tzinfo=UTC)
        assert rdv.shared_at is not None
    rows = lists.list_category(people["luce"], "rdv").rows
    assert len(rows) == before + 1
    row = next(r for r in rows if r.name == "Préparation de l'audience")
    assert row.date == "lundi 15/03/2027 à 14 h 30" and row.detail == "Au cabinet"
    # Summer time: 14:30 in Paris is 12:30 UTC (an HTML date input sends ISO dates).
    ok, _, summer = sharing.add_item(people["lawyer"], demo["dossier_ids"][1], "rdv",
                                     {"date": "2027-07-15", "heure": "14:30", "objet": "Expertise"})
    with session_scope() as s:
        assert s.get(Rdv, summer).starts_at.replace(tzinfo=UTC).hour == 12


def test_add_facture_parses_a_french_amount(demo, people):
    ok, errors, fid = sharing.add_item(
        people["lawyer"], demo["dossier_ids"][0], "factures",
        {"numero": "FA-2027-0001", "date": "10/01/2027", "montant": "1 440,00", "echeance": "10/02/2027",
         "payable_en_ligne": "on"},
    )
    assert ok, errors
    with session_scope() as s:
        f = s.get(Facture, fid)
        assert f.amount_cents == 144000 and f.payable_online and str(f.due_date) == "2027-02-10"
    row = next(r for r in lists.list_category(people["luce"], "factures").rows if r.id == str(fid))
    assert row.detail.startswith("1\u202f440,00\u00a0€ · À régler · échéance 10/02/2027")
    ok, _, other = sharing.add_item(people["lawyer"], demo["dossier_ids"][0], "factures",
                                    {"numero": "FA-2027-0002", "date": "10/01/2027", "montant": "89,5 €"})
    with session_scope() as s:
        f = s.get(Facture, other)
        assert f.amount_cents == 8950 and not f.payable_online and f.due_date is None


@pytest.mark.parametrize("text, cents", [("1 440,00", 144000), ("1\u202f440,00 €", 144000), ("1440", 144000),
                                         ("1440.5", 144050), ("1.440,00", 144000), ("0,99", 99)])
def test_parse_amount(text, cents):
    assert french.parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,234", "12,345,00", "-5", "1 440,001"])
def test_parse_amount_refuses(text):
    assert french.parse_amount(text) is None


@pytest.mark.parametrize("text, minutes", [("1h30", 90), ("1 h 30", 90), ("90", 90), ("2h", 120), ("1:15", 75),
                                           ("45 min", 45), ("0h45", 45)])
def test_parse_duration(text, minutes):
    assert french.parse_duration(text) == minutes


def test_add_time_entry_frais_and_tache(demo, people):
    lawyer = people["lawyer"]
    did = demo["dossier_ids"][2]
    ok, errors, tid = sharing.add_item(lawyer, did, "temps-passes",
                                       {"date": "05/01/2027", "duree": "1h30", "description": "Rédaction des conclusions"})
    assert ok, errors
    ok, _, fid = sharing.add_item(lawyer, did, "frais", {"date": "06/01/2027", "montant": "35", "libelle": "Timbre"})
    ok2, _, kid = sharing.add_item(lawyer, did, "taches", {"date": "07/01/2027", "libelle": "Envoyer les pièces"})
    assert ok and ok2
    with session_scope() as s:
        t = s.get(TempsPasse, tid)
        assert t.minutes == 90 and t.lawyer_id == lawyer.id
        assert s.get(Frais, fid).amount_cents == 3500
        assert s.get(Tache, kid).label == "Envoyer les pièces"
    luce = people["luce"]
    assert "Rédaction des conclusions" in _client_names(luce, "temps-passes")
    row = next(r for r in lists.list_category(luce, "temps-passes").rows if r.id == str(tid))
    assert row.detail == "1 h 30"
    assert "Timbre" in _client_names(luce, "frais")
    assert "Envoyer les pièces" in _client_names(luce, "taches")


def test_validation_errors_are_french_and_per_field(demo, people):
    lawyer, did = people["lawyer"], demo["dossier_ids"][0]
    ok, errors, item = sharing.add_item(lawyer, did, "rdv", {"date": "", "heure": "", "objet": " "})
    assert not ok and item is None
    assert errors == {"date": "Ce champ est obligatoire.", "heure": "Ce champ est obligatoire.",
                      "objet": "Ce champ est obligatoire."}
    _, errors, _ = sharing.add_item(lawyer, did, "rdv", {"date": "31/02/2027", "heure": "25:00", "objet": "X"})
    assert errors["date"].startswith("Date invalide") and errors["heure"].startswith("Heure invalide")
    _, errors, _ = sharing.add_item(lawyer, did, "factures", {"numero": "FA-2024-0042", "date": "10/01/2027",
                                                              "montant": "abc", "echeance": "01/01/2027"})
    assert errors["montant"].startswith("Montant invalide")
    assert errors["echeance"] == "L'échéance ne peut pas précéder la date de la facture."
    assert errors["numero"] == "Une facture de ce dossier porte déjà ce numéro."
    _, errors, _ = sharing.add_item(lawyer, did, "frais", {"date": "01/01/2027", "montant": "0", "libelle": "x"})
    assert errors["montant"] == "Le montant doit être supérieur à zéro."
    _, errors, _ = sharing.add_item(lawyer, did, "temps-passes",
                                    {"date": "01/01/2027", "duree": "beaucoup", "description": "x"})
    assert errors["duree"].startswith("Durée invalide")
    # A lawyer of another firm cannot be chosen for a time entry.
    _, errors, _ = sharing.add_item(lawyer, did, "temps-passes",
                                    {"date": "01/01/2027", "duree": "30", "description": "x",
                                     "avocat": str(people["claire"].id)})
    assert errors == {"avocat": "Choisissez un avocat du cabinet."}
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(TempsPasse).where(TempsPasse.description == "x")).one() == 0


# --------------------------------------------------------------------------- share / unshare
def _two_client_dossier(demo) -> int:
    """Luce's first dossier with Marc linked too: a dossier of two clients."""
    did = demo["dossier_ids"][3]
    with session_scope() as s:
        s.add(DossierClient(dossier_id=did, client_id=demo["other_client_id"]))
        s.commit()
    return did


def test_share_later_then_share_notifies_every_client_and_unshare_hides_at_once(demo, people):
    lawyer, luce, marc = people["lawyer"], people["luce"], people["marc"]
    did = _two_client_dossier(demo)
    ok, _, rdv_id = sharing.add_item(lawyer, did, "rdv", {"date": "01/04/2027", "heure": "09:00",
                                                          "objet": "Rendez-vous d'essai"}, share_now=False)
    assert ok
    assert "Rendez-vous d'essai" not in _client_names(luce, "rdv")
    assert _notices("rdv", rdv_id) == []
    assert _firm_rows(lawyer, did, "rdv")[0].state == "Non partagé"

    assert sharing.share(lawyer, "rdv", rdv_id) is True
    assert "Rendez-vous d'essai" in _client_names(luce, "rdv")
    assert "Rendez-vous d'essai" in _client_names(marc, "rdv")
    notices = _notices("rdv", rdv_id)
    assert sorted(n.client_id for n in notices) == sorted([demo["client_id"], demo["other_client_id"]])
    assert sharing.share(lawyer, "rdv", rdv_id) is False  # already shared: no second notice
    assert len(_notices("rdv", rdv_id)) == 2
    with session_scope() as s:
        trail = s.exec(select(AuditEvent).where(AuditEvent.action == "partage",
                                                AuditEvent.detail == f"rdv {rdv_id} dossier {did}")).all()
        assert {e.subject_user_id for e in trail} == {luce.id, marc.id}

    assert sharing.unshare(lawyer, "rdv", rdv_id) is True
    assert "Rendez-vous d'essai" not in _client_names(luce, "rdv")
    assert "Rendez-vous d'essai" not in _client_names(marc, "rdv")
    assert _notices("rdv", rdv_id) == []  # the pending notification is dropped
    assert sharing.unshare(lawyer, "rdv", rdv_id) is False
    with session_scope() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "retrait")).first() is not None


def test_unshare_a_demo_document_drops_it_from_the_client_lists_and_download(demo, people):
    lawyer, luce = people["lawyer"], people["luce"]
    doc = next(r for r in _firm_rows(lawyer, demo["dossier_ids"][0], "documents") if r.shared)
    before = lists.list_category(luce, "documents").total
    sharing.unshare(lawyer, "documents", doc.id)
    assert lists.list_category(luce, "documents").total == before - 1
    did = demo["dossier_ids"][0]
    assert doc.name not in [r.name for t in dossier_view.dossier(luce, did).tabs
                            for r in dossier_view.dossier_tab(luce, did, t.key).rows]
    with pytest.raises(AccessDenied):
        dossier_view.document_for_download(luce, int(doc.id))
    sharing.share(lawyer, "documents", doc.id)
    assert lists.list_category(luce, "documents").total == before


def test_a_clients_deposit_cannot_be_shared_or_unshared(demo, people):
    dep = sharing.deposits(people["lawyer"], demo["dossier_ids"][0])[0]
    for fn in (sharing.share, sharing.unshare):
        with pytest.raises(AccessDenied):
            fn(people["lawyer"], "documents", dep.id)


# --------------------------------------------------------------------------- attacks
def _firm1_ids(demo, people) -> dict:
    did = demo["dossier_ids"][0]
    rows = {k: _firm_rows(people["lawyer"], did, k) for k in [*sharing.addable(), "documents"]}
    return {"dossier": did, "items": {k: found[0].id for k, found in rows.items() if found}}


@pytest.mark.parametrize("who", ["claire", "luce"])
def test_other_firm_lawyer_and_client_are_refused_everything(demo, people, who):
    ids = _firm1_ids(demo, people)
    actor = people[who]
    did = ids["dossier"]
    before = dossier_page.dossier_overview(people["lawyer"], did)
    luce_before = home.home(people["luce"])
    with pytest.raises(AccessDenied):
        dossier_page.dossier_overview(actor, did)
    for key in dossier_page.page_keys():
        with pytest.raises(AccessDenied):
            dossier_page.tab_page(actor, did, key)
    for category in sharing.addable():
        with pytest.raises(AccessDenied):
            sharing.add_item(actor, did, category, {"date": "01/01/2027", "heure": "10:00", "objet": "x",
                                                    "numero": "Z", "montant": "1", "libelle": "x", "duree": "1",
                                                    "description": "x"})
    for category, item_id in ids["items"].items():
        for fn in (sharing.share, sharing.unshare):
            with pytest.raises(AccessDenied):
                fn(actor, category, item_id)
    with pytest.raises(AccessDenied):
        sharing.deposits(actor, did)
    with pytest.raises(AccessDenied):  # refused as not theirs before the announced size is looked at
        asyncio.run(sharing.upload_document(actor, did, "x.pdf", Feed(make_pdf("x")), declared_size=10**12))
    with pytest.raises(AccessDenied):
        asyncio.run(sharing.upload_document(actor, did, "x.pdf", Feed(make_pdf("x"))))
    if who == "luce":
        with pytest.raises(AccessDenied):
            sharing.deposits(actor)
        with pytest.raises(AccessDenied):
            sharing.new_deposits_count(actor)
    else:  # Claire's firm-wide lists hold nothing of firm 1
        assert all(r.dossier_id != str(did) for r in sharing.deposits(actor))
    # Nothing changed, for the firm or for Luce.
    assert dossier_page.dossier_overview(people["lawyer"], did) == before
    assert home.home(people["luce"]) == luce_before
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(ShareNotice)).one() == 0


def test_lawyer_cannot_reach_the_other_firms_dossier(demo, people):
    with pytest.raises(AccessDenied):
        dossier_page.dossier_overview(people["lawyer"], demo["other_firm_dossier_id"])
    with pytest.raises(AccessDenied):
        dossier_page.tab_page(people["lawyer"], demo["other_firm_dossier_id"], "documents")
    with pytest.raises(AccessDenied):
        sharing.add_item(people["lawyer"], demo["other_firm_dossier_id"], "taches",
                         {"date": "01/01/2027", "libelle": "x"})
    with session_scope() as s:
        paul_doc = s.exec(select(Document).where(Document.dossier_id == demo["other_firm_dossier_id"])).first()
    with pytest.raises(AccessDenied):
        sharing.unshare(people["lawyer"], "documents", paul_doc.id)
    for bad in ("abc", None, -1, "1 OR 1=1", True):
        with pytest.raises(AccessDenied):
            dossier_page.dossier_overview(people["lawyer"], bad)
    with pytest.raises(AccessDenied):
        sharing.share(people["lawyer"], "dossiers", demo["dossier_ids"][0])


def test_deactivated_lawyer_is_refused(demo, people):
    with session_scope() as s:
        u = s.get(User, people["lawyer"].id)
        u.active = False
        s.add(u)
        s.commit()
    with pytest.raises(AccessDenied):
        dossier_page.dossier_overview(people["lawyer"], demo["dossier_ids"][0])


def test_role_sent_in_a_forged_user_object_is_not_trusted(demo, people):
    forged = User(id=people["luce"].id, firm_id=people["luce"].firm_id, email="x", nom="x", prenom="x",
                  role=Role.lawyer)
    with pytest.raises(AccessDenied):
        dossier_page.dossier_overview(forged, demo["dossier_ids"][0])


# --------------------------------------------------------------------------- upload route
@pytest.fixture
def http(demo):
    with TestClient(Starlette(routes=api_admin_sharing.routes)) as client:
        yield client


def _headers(token: str | None, name: str = "Pièce n°1.pdf", **extra) -> dict[str, str]:
    h = {**XRW, "X-Filename": quote(name)}
    if token:
        h["Cookie"] = f"espace_session={token}"
    return {**h, **extra}


def test_upload_route_refusals(http, demo):
    url = f"/api/admin/dossiers/{demo['dossier_ids'][0]}/documents"
    pdf = make_pdf("x")
    assert http.post(url, content=pdf, headers=_headers(None)).status_code == 401
    lawyer = _token(LAWYER_EMAIL, LAWYER_PASSWORD)
    no_csrf = _headers(lawyer)
    del no_csrf["X-Requested-With"]
    assert http.post(url, content=pdf, headers=no_csrf).status_code == 403
    luce = _token(LUCE_EMAIL, LUCE_PASSWORD)
    r = http.post(url, content=pdf, headers=_headers(luce))
    assert r.status_code == 403 and r.json()["ok"] is False
    claire = _token(LEROY_EMAIL, LEROY_PASSWORD)
    r = http.post(url, content=pdf, headers=_headers(claire))
    assert r.status_code == 404 and r.json()["error"] == "Dossier introuvable."
    r = http.post(f"/api/admin/dossiers/{demo['other_firm_dossier_id']}/documents", content=pdf,
                  headers=_headers(lawyer))
    assert r.status_code == 404
    r = http.post(url, content=b"MZ\x90\x00" + b"\x00" * 64, headers=_headers(lawyer, "outil.exe"))
    assert r.status_code == 415 and "non autorisé" in r.json()["error"]
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Document).where(Document.name.in_(
            ["Pièce n°1.pdf", "outil.exe"]))).one() == 0


def test_upload_route_size_limit(http, demo, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    url = f"/api/admin/dossiers/{demo['dossier_ids'][0]}/documents"
    lawyer = _token(LAWYER_EMAIL, LAWYER_PASSWORD)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    r = http.post(url, content=big, headers=_headers(lawyer))
    assert r.status_code == 413 and "1 Mo maximum" in r.json()["error"]

    def chunks():  # no Content-Length: the limit is enforced while streaming
        yield b"%PDF-1.4\n"
        for _ in range(20):
            yield b"0" * (128 * 1024)

    r = http.post(url, content=chunks(), headers=_headers(lawyer))
    assert r.status_code == 413
    stored = list(settings.documents_dir.glob("*"))
    assert not any(p.name.endswith(".part") for p in stored)


def test_upload_route_shares_at_once_or_later(http, demo, people):
    did = demo["dossier_ids"][0]
    lawyer = _token(LAWYER_EMAIL, LAWYER_PASSWORD)
    url = f"/api/admin/dossiers/{did}/documents"
    before = lists.list_category(people["luce"], "documents").total
    r = http.post(url, content=make_pdf("Jugement"), headers=_headers(lawyer, "C:\\Pièces\\Jugement du 12-01-2027.pdf"))
    assert r.status_code == 200 and r.json()["ok"] is True
    assert r.json()["name"] == "Jugement du 12-01-2027.pdf"  # no directory part kept
    doc_id = r.json()["id"]
    assert lists.list_category(people["luce"], "documents").total == before + 1
    assert "Jugement du 12-01-2027.pdf" in _client_names(people["luce"], "documents")
    assert [n.client_id for n in _notices("documents", doc_id)] == [demo["client_id"]]
    with session_scope() as s:
        doc = s.get(Document, doc_id)
        assert doc.direction == Direction.recu and doc.uploaded_by_id == people["lawyer"].id
        assert doc.content_type == "application/pdf"
    assert dossier_view.document_for_download(people["luce"], doc_id).id == doc_id

    r = http.post(url + "?partager=0", content=make_pdf("Brouillon"), headers=_headers(lawyer, "Brouillon.pdf"))
    assert r.status_code == 200
    later = r.json()["id"]
    assert "Brouillon.pdf" not in _client_names(people["luce"], "documents")
    assert _notices("documents", later) == []
    row = next(x for x in _firm_rows(people["lawyer"], did, "documents") if x.id == str(later))
    assert row.state == "Non partagé"
    sharing.share(people["lawyer"], "documents", later)
    assert "Brouillon.pdf" in _client_names(people["luce"], "documents")


# --------------------------------------------------------------------------- deposits
def test_deposit_is_new_until_the_firm_downloads_it(demo, people):
    did = demo["dossier_ids"][1]
    result = asyncio.run(deposit.deposit_stream(people["luce"], did, "Attestation.pdf", Feed(make_pdf("a"))))
    assert result.ok
    rows = sharing.deposits(people["lawyer"], did)
    row = next(r for r in rows if r.id == str(result.value.id))
    assert row.new and row.client == "Luce ALEXANDER" and row.url == f"/api/documents/{result.value.id}"
    firm_wide = sharing.deposits(people["lawyer"])
    assert any(r.id == row.id for r in firm_wide)
    new_before = sharing.new_deposits_count(people["lawyer"])

    with TestClient(api.api) as client:
        # The client downloading her own deposit does not clear the marker.
        luce = _token(LUCE_EMAIL, LUCE_PASSWORD)
        assert client.get(row.url, headers={"Cookie": f"espace_session={luce}"}).status_code == 200
        assert next(r for r in sharing.deposits(people["lawyer"], did) if r.id == row.id).new
        # Another firm's lawyer gets nothing and clears nothing.
        claire = _token(LEROY_EMAIL, LEROY_PASSWORD)
        assert client.get(row.url, headers={"Cookie": f"espace_session={claire}"}).status_code == 404
        assert next(r for r in sharing.deposits(people["lawyer"], did) if r.id == row.id).new
        lawyer = _token(LAWYER_EMAIL, LAWYER_PASSWORD)
        r = client.get(row.url + "?telecharger=1", headers={"Cookie": f"espace_session={lawyer}"})
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert next(r for r in sharing.deposits(people["lawyer"], did) if r.id == row.id).new is False
    assert sharing.new_deposits_count(people["lawyer"]) == new_before - 1
    assert dossier_page.dossier_overview(people["lawyer"], did).new_deposits == (
        sum(1 for r in sharing.deposits(people["lawyer"], did) if r.new))
