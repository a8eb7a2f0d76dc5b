"""The firm's dossier page, one keyset page of one tab at a time: the counts of every
tab (shared and hidden items), the first page, older and newer pages, the deposits'
tab, and items added or taken back between two pages neither lost nor repeated."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from espace.config import settings
from espace.db import session_scope
from espace.models import Direction, Document, Tache, User
from espace.services import AccessDenied
from espace.services.firm import dossier_page, sharing
from espace.services.firm.dossier_page import DEPOSITS
from tests.admin_helpers import user as _user

SIZE = 5


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(settings, "page_size", SIZE)


def _add_taches(lawyer: User, did: int, days: list[int]) -> list[int]:
    """One tâche a day of January 2027 per entry of `days`; every third one kept hidden."""
    ids = []
    for n, day in enumerate(days):
        ok, errors, tid = sharing.add_item(lawyer, did, "taches", {"date": f"{day:02d}/01/2027", "libelle": f"T{n}"},
                                           share_now=n % 3 != 0)
        assert ok, errors
        ids.append(tid)
    return ids


def _taches_in_order(did: int) -> list[str]:
    """Every tâche of the dossier, shared or not, as the firm reads them: newest first."""
    with session_scope() as s:
        rows = s.exec(select(Tache).where(Tache.dossier_id == did)
                      .order_by(col(Tache.date).desc(), col(Tache.id).desc())).all()
        return [str(t.id) for t in rows]


def _walk_older(lawyer: User, did: int, key: str, older: str) -> list[str]:
    seen = []
    while older:
        page = dossier_page.tab_page(lawyer, did, key, avant=older)
        assert len(page.rows) <= SIZE and page.newer
        seen += [r.id for r in page.rows]
        older = page.older
    return seen


def test_pages_of_a_tab_first_older_newer_and_counts(demo, small_pages):
    lawyer, did = _user(demo["lawyer_id"]), demo["dossier_ids"][1]
    _add_taches(lawyer, did, list(range(1, 13)))
    expected = _taches_in_order(did)
    assert len(expected) > 2 * SIZE

    data = dossier_page.dossier_overview(lawyer, did, "taches")
    assert data.counts["taches"] == len(expected)  # shared and hidden alike
    first = data.page
    assert first.key == "taches" and [r.id for r in first.rows] == expected[:SIZE]
    assert first.newer == "" and first.older != ""
    assert {r.state for r in first.rows} == {"Partagé", "Non partagé"}

    second = dossier_page.tab_page(lawyer, did, "taches", avant=first.older)
    assert [r.id for r in second.rows] == expected[SIZE:2 * SIZE]
    assert second.newer != "" and second.older != ""
    back = dossier_page.tab_page(lawyer, did, "taches", apres=second.newer)
    assert back == first  # « Plus récents » from the second page: the first again

    assert [r.id for r in first.rows] + _walk_older(lawyer, did, "taches", first.older) == expected


def test_items_added_or_taken_back_between_two_pages_are_neither_lost_nor_repeated(demo, small_pages):
    lawyer, did = _user(demo["lawyer_id"]), demo["dossier_ids"][1]
    _add_taches(lawyer, did, [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24])
    before = _taches_in_order(did)
    first = dossier_page.tab_page(lawyer, did, "taches")

    # Between the first page and the next: a tâche newer than everything shown, one
    # among the older pages, and a shared one of the older pages taken back.
    newest = _add_taches(lawyer, did, [31])[0]
    middle = _add_taches(lawyer, did, [3])[0]
    second = dossier_page.tab_page(lawyer, did, "taches", avant=first.older)
    taken = next(r for r in second.rows if r.shared)
    assert sharing.unshare(lawyer, "taches", taken.id)

    rest = [r.id for r in second.rows] + _walk_older(lawyer, did, "taches", second.older)
    walked = [r.id for r in first.rows] + rest
    assert len(walked) == len(set(walked))  # nothing twice
    assert set(walked) == set(before) | {str(middle)}  # nothing lost, the one added among them too
    assert str(newest) not in walked  # newer than the page read first: above it
    again = dossier_page.tab_page(lawyer, did, "taches", avant=first.older)
    assert next(r for r in again.rows if r.id == taken.id).state == "Non partagé"  # still listed for the firm
    assert dossier_page.tab_page(lawyer, did, "taches", apres=second.newer).newer != ""  # the newest above


def _deposit(did: int, uploader: int, n: int, opened: bool) -> int:
    at = datetime(2027, 2, 1, 9, 0, tzinfo=UTC) + timedelta(hours=n)
    with session_scope() as s:
        doc = Document(dossier_id=did, direction=Direction.depose, name=f"Dépôt {n}.pdf", doc_date=date(2027, 2, 1),
                       storage_key=f"depot-{n}", size=1000, sha256="0" * 64, content_type="application/pdf",
                       uploaded_by_id=uploader, created_at=at, shared_at=at, opened_at=at if opened else None)
        s.add(doc)
        s.commit()
        assert doc.id is not None
        return doc.id


def test_the_deposits_tab_pages_newest_deposit_first_with_its_new_count(demo, small_pages):
    lawyer, did = _user(demo["lawyer_id"]), demo["dossier_ids"][1]
    start = dossier_page.dossier_overview(lawyer, did, DEPOSITS)
    ids = [_deposit(did, demo["client_user_id"], n, opened=n % 2 == 0) for n in range(8)]
    data = dossier_page.dossier_overview(lawyer, did, DEPOSITS)
    assert data.counts[DEPOSITS] == start.counts[DEPOSITS] + 8
    assert data.new_deposits == start.new_deposits + 4
    assert data.counts["documents"] == start.counts["documents"]  # deposits are not the firm's documents
    first = data.page
    assert [r.id for r in first.deposits] == [str(i) for i in reversed(ids)][:SIZE] and not first.rows
    assert [r.new for r in first.deposits] == [n % 2 == 1 for n in reversed(range(8))][:SIZE]
    assert first.deposits[0].client == "Luce ALEXANDER" and first.deposits[0].dossier_id == str(did)
    older = dossier_page.tab_page(lawyer, did, DEPOSITS, avant=first.older)
    assert [r.id for r in older.deposits][:3] == [str(i) for i in reversed(ids)][SIZE:]
    assert dossier_page.tab_page(lawyer, did, DEPOSITS, apres=older.newer) == first


def test_hostile_cursors_and_keys(demo, small_pages):
    lawyer, did = _user(demo["lawyer_id"]), demo["dossier_ids"][1]
    _add_taches(lawyer, did, list(range(1, 9)))
    first = dossier_page.tab_page(lawyer, did, "taches")
    for bad in ("garbage", "99999999.1", "20270131.99999999999999999999", "x" * 5000, None, 12, ["a"]):
        assert dossier_page.tab_page(lawyer, did, "taches", avant=bad) == first
        assert dossier_page.tab_page(lawyer, did, "taches", apres=bad) == first
    # A cursor past the oldest item: the first page, not an empty one.
    assert dossier_page.tab_page(lawyer, did, "taches", avant="00010102.1") == first
    # A cursor of another kind's tab is a position only: this tab's items, this dossier's.
    assert all(r.id in _taches_in_order(did) for r in dossier_page.tab_page(lawyer, did, "taches",
                                                                             avant=first.older).rows)
    for key in ("messages", "dossiers", "", None, ["taches"], "documents' OR 1=1"):
        with pytest.raises(AccessDenied):
            dossier_page.tab_page(lawyer, did, key)
    assert dossier_page.dossier_overview(lawyer, did, "messages").page == dossier_page.FirmPage(key="")
