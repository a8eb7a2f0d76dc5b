"""The client's search (/recherche) and the dossier filter of the category lists:
what they find, page by page, and what they never reach."""
from __future__ import annotations

import pytest
from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.models import Document, Dossier
from espace.services import AccessDenied
from espace.services.client import lists, search, views
from tests.admin_helpers import user as _user


def _agence(user) -> views.ItemRow:
    return next(d for d in lists.list_category(user, "dossiers").rows if d.name == "ALEXANDER / AGENCE IMMO")


def test_dossiers_list_shows_reference_and_interlocutor(demo):
    rows = lists.list_category(_user(demo["client_user_id"]), "dossiers").rows
    agence = next(d for d in rows if d.name == "ALEXANDER / AGENCE IMMO")
    assert agence.detail == "2017IIDOS/1529 · Interlocuteur : Fabien DELMAS"
    assert agence.date == ""


def test_filter_keeps_one_dossier_and_pages_correctly(demo, monkeypatch):
    user = _user(demo["client_user_id"])
    agence = _agence(user)
    everything = lists.list_category(user, "documents")
    assert everything.dossier == "" and len(everything.choices) == 4
    expected = [r.id for r in everything.rows if r.dossier_id == agence.dossier_id]
    assert 5 < len(expected) < 45
    monkeypatch.setattr(settings, "page_size", 5)
    pages = [lists.list_category(user, "documents", dossier=agence.dossier_id)]
    while pages[-1].older:
        pages.append(lists.list_category(user, "documents", avant=pages[-1].older, dossier=agence.dossier_id))
    assert all(p.dossier == agence.dossier_id and p.total == len(expected) for p in pages)
    assert [r.id for p in pages for r in p.rows] == expected  # every one, once, newest first
    back = lists.list_category(user, "documents", apres=pages[-1].newer, dossier=agence.dossier_id)
    assert back.rows == pages[-2].rows
    oldest = lists.list_category(user, "documents", fin="1", dossier=agence.dossier_id)
    assert oldest.rows == pages[-1].rows


@pytest.mark.parametrize("which", ["other_dossier_id", "other_firm_dossier_id"])
def test_filter_on_a_dossier_not_the_clients_shows_only_their_own(demo, which):
    user = _user(demo["client_user_id"])
    page = lists.list_category(user, "documents", dossier=str(demo[which]))
    assert page.dossier == "" and page.total == 45  # no filter: their own items only
    mine = {c["id"] for c in page.choices}
    assert {r.dossier_id for r in page.rows} <= mine and str(demo[which]) not in mine


@pytest.mark.parametrize("raw", ["1 OR 1=1", "-1", "999999999999999999999", "", None, ["1"]])
def test_filter_malformed_is_no_filter(demo, raw):
    page = lists.list_category(_user(demo["client_user_id"]), "factures", dossier=raw)
    assert page.dossier == "" and page.total == 1


def test_search_finds_names_numbers_and_dossiers(demo):
    user = _user(demo["client_user_id"])
    found = search.search(user, "  lettre au CLIENT  ")
    assert found.query == "lettre au CLIENT"
    docs = next(g for g in found.groups if g.key == "documents")
    assert "Lettre au client AR dossier Appelant (CA 09-17)" in [r.name for r in docs.rows]
    assert all("lettre au client" in r.name.lower() for r in docs.rows)
    by_reference = search.search(user, "2017IIDOS/1529")
    assert by_reference.groups[0].key == "dossiers"
    assert [r.name for r in by_reference.groups[0].rows] == ["ALEXANDER / AGENCE IMMO"]
    items = [r for g in by_reference.groups[1:] for r in g.rows]
    assert items and {r.dossier for r in items} == {"ALEXANDER / AGENCE IMMO"}
    invoice = lists.list_category(user, "factures").rows[0]
    number = invoice.name.removeprefix("Facture n° ")
    hits = search.search(user, number)
    assert invoice.id in [r.id for g in hits.groups if g.key == "factures" for r in g.rows]


def test_search_escapes_like_wildcards_and_limits(demo):
    user = _user(demo["client_user_id"])
    for raw in ("%%", "__", "\\%", "%' OR 1=1 --", "<script>alert(1)</script>"):
        assert search.search(user, raw).groups == []
    assert search.search(user, "a").too_short
    assert search.search(user, "").groups == [] and not search.search(user, "").too_short
    assert len(search.search(user, "x" * 5000).query) == search.MAX_LENGTH
    assert search.like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
    broad = search.search(user, "e")  # too short
    assert broad.groups == []
    wide = search.search(user, "es")
    assert all(len(g.rows) <= search.LIMIT for g in wide.groups)


def test_search_never_reaches_others_or_unshared(demo):
    luce = _user(demo["client_user_id"])
    with session_scope() as s:
        hidden = s.exec(select(Document).where(Document.shared_at.is_(None))).first()
        foreign_docs = s.exec(select(Document).where(Document.dossier_id.in_(
            [demo["other_dossier_id"], demo["other_firm_dossier_id"]]))).all()
        foreign_dossiers = [s.get(Dossier, demo["other_dossier_id"]), s.get(Dossier, demo["other_firm_dossier_id"])]
    assert hidden is not None and foreign_docs
    mine = {c["id"] for c in lists.list_category(luce, "documents").choices}
    for text in [hidden.name, *(d.name for d in foreign_docs), *(d.reference for d in foreign_dossiers)]:
        for g in search.search(luce, text).groups:
            for r in g.rows:
                assert r.dossier_id in mine
                assert g.key != "documents" or r.id not in {str(hidden.id), *(str(d.id) for d in foreign_docs)}


def test_search_refuses_anyone_but_a_client(demo):
    with pytest.raises(AccessDenied):
        search.search(_user(demo["lawyer_id"]), "lettre")
    with pytest.raises(AccessDenied):
        search.search(None, "lettre")  # type: ignore[arg-type]
