"""The client read path: counts, lists, dossiers, downloads — and the access rules."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.models import Document
from espace.services import AccessDenied
from espace.services.client import dossier_view, home, lists
from tests.admin_helpers import user as _user


def test_home_counts_are_the_manuals(demo):
    data = home.home(_user(demo["client_user_id"]))
    assert data.name == "Luce ALEXANDER"
    assert [(t.label, t.count) for t in data.tiles] == [
        ("Documents", 45), ("Dossiers", 4), ("RDV", 9), ("Factures", 1),
        ("Tâches", 8), ("Temps passés", 11), ("Frais", 1),
    ]


def test_home_runs_few_queries_and_hides_empty_categories(demo):
    user = _user(demo["other_client_user_id"])
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        data = home.home(user)
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)
    # client row + one grouped count query + the dossier choice of the deposit zone
    assert len(statements) == 3, statements
    assert [d["title"] for d in data.dossiers] == ["2022IIDOS/0555 - BERTRAND / LICENCIEMENT"]
    labels = [t.label for t in data.tiles]
    assert "Tâches" not in labels and "Frais" not in labels and "Documents" in labels


def test_category_list_newest_first_with_dossier(demo):
    data = lists.list_category(_user(demo["client_user_id"]), "documents")
    assert data.total == 45 and len(data.rows) == 45
    first = data.rows[0]
    assert first.name == "Lettre au client AR dossier Appelant (CA 09-17)"
    assert first.date == "08/01/2024" and first.dossier == "ALEXANDER / AGENCE IMMO"
    assert first.url == f"/api/documents/{first.id}"


def test_category_list_paginates_beyond_page_size(demo, monkeypatch):
    monkeypatch.setattr(settings, "page_size", 20)
    user = _user(demo["client_user_id"])
    first = lists.list_category(user, "documents")
    second = lists.list_category(user, "documents", avant=first.older)
    third = lists.list_category(user, "documents", avant=second.older)
    pages = [first, second, third]
    assert [len(p.rows) for p in pages] == [20, 20, 5]
    assert [p.total for p in pages] == [45, 45, 45]
    assert first.newer == "" and second.newer and second.older and third.older == ""
    ids = [r.id for p in pages for r in p.rows]
    assert len(set(ids)) == 45
    assert lists.list_category(user, "documents", apres=third.newer) == second


def test_unknown_category_is_refused(demo):
    with pytest.raises(AccessDenied):
        lists.list_category(_user(demo["client_user_id"]), "utilisateurs")


def test_dossier_tabs_hide_empty_ones(demo):
    user = _user(demo["client_user_id"])
    dossiers = lists.list_category(user, "dossiers").rows
    assert len(dossiers) == 4
    agence = next(d for d in dossiers if d.name == "ALEXANDER / AGENCE IMMO")
    data = dossier_view.dossier(user, agence.dossier_id)
    assert data.interlocutor == "Fabien DELMAS"
    assert data.title.startswith("2017IIDOS/1529 - ALEXAN")
    keys = [t.key for t in data.tabs]
    assert keys[0] == "recus" and "factures" in keys
    for t in data.tabs:
        assert int(t.count) == len(dossier_view.dossier_tab(user, agence.dossier_id, t.key).rows) > 0
    assert data.page.key == "recus"
    assert data.page.rows == dossier_view.dossier_tab(user, agence.dossier_id, "recus").rows
    names = [r.name for r in data.page.rows]
    assert names[:1] == ["Lettre au client AR dossier Appelant (CA 09-17)"]


def test_unshared_items_are_never_listed(demo):
    user = _user(demo["client_user_id"])
    with session_scope() as s:
        from sqlmodel import select

        hidden = s.exec(select(Document).where(Document.shared_at.is_(None))).all()
    assert hidden
    listed = {r.id for r in lists.list_category(user, "documents").rows}
    for doc in hidden:
        assert str(doc.id) not in listed
        with pytest.raises(AccessDenied):
            dossier_view.document_for_download(user, doc.id)


def test_a_client_never_reaches_another_clients_or_firms_dossier(demo):
    luce = _user(demo["client_user_id"])
    for dossier_id in (demo["other_dossier_id"], demo["other_firm_dossier_id"], 999999, "1 OR 1=1", None):
        with pytest.raises(AccessDenied):
            dossier_view.dossier(luce, dossier_id)


def test_documents_of_others_are_refused_for_download(demo):
    luce = _user(demo["client_user_id"])
    with session_scope() as s:
        from sqlmodel import select

        foreign = s.exec(
            select(Document).where(Document.dossier_id.in_([demo["other_dossier_id"], demo["other_firm_dossier_id"]]))
        ).all()
    assert foreign
    for doc in foreign:
        with pytest.raises(AccessDenied):
            dossier_view.document_for_download(luce, doc.id)


def test_lawyer_reads_own_firm_documents_only(demo):
    lawyer = _user(demo["lawyer_id"])
    with session_scope() as s:
        from sqlmodel import select

        own = s.exec(select(Document).where(Document.dossier_id == demo["other_dossier_id"])).first()
        foreign = s.exec(select(Document).where(Document.dossier_id == demo["other_firm_dossier_id"])).first()
    assert dossier_view.document_for_download(lawyer, own.id).id == own.id
    with pytest.raises(AccessDenied):
        dossier_view.document_for_download(lawyer, foreign.id)


def test_client_pages_refuse_a_lawyer(demo):
    with pytest.raises(AccessDenied):
        home.home(_user(demo["lawyer_id"]))
