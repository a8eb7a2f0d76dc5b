"""Keyset pages (issue 11): the category lists and the dossier tabs, read one page at a
time, give exactly the items and the order of the full list (newest first on the
kind's date, then the id), across page boundaries in both directions, ties on the
same date included; cursors are positions, the client's scope always applies."""
from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from espace.config import settings
from espace.db import get_engine
from espace.domain import items as registry
from espace.models import Dossier, DossierClient
from espace.services import AccessDenied
from espace.services.client import dossier_view, lists, paging, views
from espace.services.shared import keyset
from tests.admin_helpers import recount
from tests.admin_helpers import user as _user
from tests.migrations import alembic_config

SIZE = 4


@pytest.fixture
def ties(demo, monkeypatch):
    """The demo, plus for every kind many copies of one of Luce's shared items (same
    date: the ids break the tie) in her first dossier, some of them not shared, and
    copies in Marc's dossier; PAGE_SIZE 4 so that every list spans several pages."""
    monkeypatch.setattr(settings, "page_size", SIZE)
    luce_dossier, marc_dossier = demo["dossier_ids"][0], demo["other_dossier_id"]
    with get_engine().begin() as conn:
        for kind in registry.kinds():
            table = kind.model.__table__
            seeds = conn.execute(sa.select(table).where(table.c.dossier_id == luce_dossier,
                                                        table.c.shared_at.is_not(None))).mappings().all()
            for seed in seeds[:2]:
                base = {k: v for k, v in seed.items() if k != "id"}
                copies = [{**base, "shared_at": None if n % 5 == 4 else base["shared_at"]} for n in range(15)]
                copies += [{**base, "dossier_id": marc_dossier} for _ in range(3)]
                conn.execute(table.insert(), copies)
    recount()  # written directly: the clients' counts (the lists' totals) recomputed
    return demo


def _luce(demo):
    return _user(demo["client_user_id"])


def _expected(kind: registry.ItemKind, dossier_ids: list[int], where: tuple = ()) -> list[str]:
    """The full, unpaginated order (as before: ORDER BY date DESC, id DESC); for an
    agenda (RDV): the upcoming ones ascending, then the past ones descending."""
    model = kind.model
    with get_engine().connect() as conn:
        rows = conn.execute(sa.select(model.id, kind.order.label("at"))
                            .where(model.dossier_id.in_(dossier_ids), model.shared_at.is_not(None), *where)
                            .order_by(kind.order.desc(), model.id.desc())).all()
    if kind.upcoming_first:
        split = paging.now()
        return [str(r.id) for r in reversed(rows) if r.at >= split] + [str(r.id) for r in rows if r.at < split]
    return [str(r.id) for r in rows]


def _expected_dossiers(demo) -> list[str]:
    with get_engine().connect() as conn:
        rows = conn.execute(sa.select(Dossier.id).where(Dossier.id.in_(demo["dossier_ids"]))
                            .order_by(Dossier.reference.desc(), Dossier.id.desc())).all()
    return [str(r.id) for r in rows]


def _walk(fetch) -> tuple[list[str], list[str], list[list[str]]]:
    """(ids walking older from the newest page, ids walking newer from the oldest page,
    the pages of the first walk)."""
    pages, page = [], fetch()
    seen = 0
    while True:
        pages.append([r.id for r in page.rows])
        assert 0 < len(page.rows) <= SIZE
        seen += 1
        assert seen < 200
        if not page.older:
            break
        page = fetch(avant=page.older)
    forward = [i for p in pages for i in p]
    back, page = [], fetch(fin="1")
    assert page.older == ""
    while True:
        back = [r.id for r in page.rows] + back
        if not page.newer:
            break
        page = fetch(apres=page.newer)
    return forward, back, pages


@pytest.mark.parametrize("key", [c.key for c in views.categories()])
def test_list_pages_give_the_full_order_both_ways(ties, key):
    luce = _luce(ties)
    kind = registry.kind(key)
    expected = _expected(kind, ties["dossier_ids"]) if kind else _expected_dossiers(ties)
    forward, back, _ = _walk(lambda **kw: lists.list_category(luce, key, **kw))
    assert forward == expected
    assert back == expected
    assert lists.list_category(luce, key).total == len(expected)
    if kind is not None:
        assert len(expected) > 3 * SIZE  # several pages, many ties
        # The oldest page is the last SIZE items; the first has nothing newer.
        assert [r.id for r in lists.list_category(luce, key, fin="1").rows] == expected[-SIZE:]
        assert lists.list_category(luce, key).newer == ""


def test_ties_on_one_date_are_ordered_by_id_across_pages(ties):
    luce = _luce(ties)
    rows = []
    page = lists.list_category(luce, "factures")
    while True:
        rows += page.rows
        if not page.older:
            break
        page = lists.list_category(luce, "factures", avant=page.older)
    same_day = [r for r in rows if r.date == rows[0].date]
    assert len(same_day) > 2 * SIZE
    assert [int(r.id) for r in same_day] == sorted((int(r.id) for r in same_day), reverse=True)


def test_dossier_tabs_give_the_full_order_both_ways(ties):
    luce = _luce(ties)
    did = ties["dossier_ids"][0]
    view = dossier_view.dossier(luce, did)
    assert [t.key for t in view.tabs][:1] == ["recus"]
    assert view.page.key == "recus" and len(view.page.rows) == SIZE
    for kind in registry.kinds():
        for tab in kind.tabs:
            expected = _expected(kind, [did], tab.where)
            count = next((t.count for t in view.tabs if t.key == tab.key), 0)
            assert count == len(expected)
            if not expected:
                continue
            forward, back, _ = _walk(
                lambda tab=tab, **kw: dossier_view.dossier_tab(luce, did, tab.key, kw.get("avant"), kw.get("apres"))
                if "fin" not in kw else _tab_fin(luce, did, tab.key))
            assert forward == expected, tab.key
            assert back == expected, tab.key


def _tab_fin(user, did, key):
    """A tab's oldest page, reached by walking older (tabs have no `fin`)."""
    page = dossier_view.dossier_tab(user, did, key)
    while page.older:
        page = dossier_view.dossier_tab(user, did, key, avant=page.older)
    return page


def test_dossier_page_loads_the_counts_and_one_tab_page_in_few_queries(ties):
    luce = _luce(ties)
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        view = dossier_view.dossier(luce, ties["dossier_ids"][0], tab="factures")
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)
    # the dossier (authorised, with interlocutor and firm), the grouped counts, the page
    assert len(statements) == 3, statements
    assert view.page.key == "factures" and len(view.page.rows) == SIZE and view.page.older


def test_an_empty_or_unknown_tab_asked_for_gives_the_first_one(ties):
    luce = _luce(ties)
    for asked in ("utilisateurs", None, ["recus"], "x" * 10_000):
        assert dossier_view.dossier(luce, ties["dossier_ids"][0], tab=asked).page.key == "recus"
    assert dossier_view.dossier(luce, ties["dossier_ids"][0], tab="deposes").page.key == "deposes"


HOSTILE = [None, "", "1", "abc", "20240108", "20240108.", ".12", "20241301.5", "20240231.5", "2024-01-08.5",
           "20240108.0", "20240108.-1", "20240108.99999999999999999999999", "20240108T093000.1x", "é.1",
           "20240108T256000.1", "A" * 5000 + ".1", 12, 1.5, [1], {"a": 1}, True, "1e23", "\x00.1", "' OR 1=1 --.1"]


@pytest.mark.parametrize("key", ["documents", "rdv", "dossiers"])
def test_hostile_cursors_give_the_first_page(ties, key):
    luce = _luce(ties)
    first = lists.list_category(luce, key)
    for bad in HOSTILE:
        assert lists.list_category(luce, key, avant=bad) == first, bad
        assert lists.list_category(luce, key, apres=bad) == first, bad
    assert lists.list_category(luce, key, fin="oui") == first
    did = ties["dossier_ids"][0]
    tab = "rdv" if key == "rdv" else "recus"
    first_tab = dossier_view.dossier_tab(luce, did, tab)
    for bad in HOSTILE:
        assert dossier_view.dossier_tab(luce, did, tab, avant=bad) == first_tab, bad
        assert dossier_view.dossier_tab(luce, did, tab, apres=bad) == first_tab, bad


def test_old_page_links_give_the_first_page(ties):
    """`?page=N` is not read any more: the list page passes only avant/apres/fin."""
    luce = _luce(ties)
    assert lists.list_category(luce, "documents").older
    assert lists.list_category(luce, "documents", None, None, None) == lists.list_category(luce, "documents")


def test_a_cursor_past_either_end_gives_the_first_page(ties):
    luce = _luce(ties)
    first = lists.list_category(luce, "documents")
    assert lists.list_category(luce, "documents", avant="19000101.1") == first
    assert lists.list_category(luce, "documents", apres="21000101.1") == first
    assert lists.list_category(luce, "rdv", apres="21000101T000000.1") == lists.list_category(luce, "rdv")


def test_a_cursor_into_another_clients_items_reveals_nothing(ties):
    """A cursor is a position: built from Marc's items, it still pages Luce's own items
    only, exactly where that position falls in her order."""
    luce, marc = _luce(ties), _user(ties["other_client_user_id"])
    for key in ("documents", "rdv", "factures"):
        kind = registry.kind(key)
        mine = _expected(kind, ties["dossier_ids"])
        theirs = _expected(kind, [ties["other_dossier_id"]])
        assert theirs and not set(theirs) & set(mine)
        with get_engine().connect() as conn:
            value = conn.execute(sa.select(kind.order).where(kind.model.id == int(theirs[0]))).scalar_one()
        cursor = keyset.make_cursor(value, int(theirs[0]))
        older = lists.list_category(luce, key, avant=cursor)
        newer = lists.list_category(luce, key, apres=cursor)
        shown = {r.id for r in older.rows + newer.rows}
        assert shown <= set(mine) and not shown & set(theirs)
        assert older.total == newer.total == len(mine)
        # Marc, with his own cursor, sees his own items only.
        assert {r.id for r in lists.list_category(marc, key, avant=cursor).rows} <= set(theirs)
        assert not {r.id for r in lists.list_category(marc, key, apres=cursor).rows} & set(mine)
    # In a tab: a cursor of Luce's other dossier pages this dossier only.
    did, other = ties["dossier_ids"][0], ties["dossier_ids"][1]
    recus = registry.kinds()[0].tabs[0]
    elsewhere = _expected(registry.kinds()[0], [other], recus.where)
    if elsewhere:
        with get_engine().connect() as conn:
            value = conn.execute(sa.select(registry.kinds()[0].order)
                                 .where(registry.kinds()[0].model.id == int(elsewhere[0]))).scalar_one()
        page = dossier_view.dossier_tab(luce, did, "recus", avant=keyset.make_cursor(value, int(elsewhere[0])))
        assert {r.id for r in page.rows} <= set(_expected(registry.kinds()[0], [did], recus.where))


def test_a_tab_key_not_in_the_registry_is_refused(ties):
    luce = _luce(ties)
    did = ties["dossier_ids"][0]
    for key in ("utilisateurs", "", None, 1, ["recus"], {"k": "recus"}, "recus' OR 1=1", "documents", "x" * 100_000):
        with pytest.raises(AccessDenied):
            dossier_view.dossier_tab(luce, did, key)


def test_another_clients_dossier_is_refused_in_the_tab_handler(ties):
    luce, marc = _luce(ties), _user(ties["other_client_user_id"])
    for dossier_id in (ties["other_dossier_id"], ties["other_firm_dossier_id"], 999999, "1 OR 1=1", None, "", [1]):
        with pytest.raises(AccessDenied):
            dossier_view.dossier_tab(luce, dossier_id, "recus")
    with pytest.raises(AccessDenied):
        dossier_view.dossier_tab(marc, ties["dossier_ids"][0], "recus")
    with pytest.raises(AccessDenied):
        dossier_view.dossier_tab(_user(ties["lawyer_id"]), ties["dossier_ids"][0], "recus")
    with pytest.raises(AccessDenied):
        dossier_view.dossier_tab(None, ties["dossier_ids"][0], "recus")


def test_a_client_who_lost_the_dossier_is_refused_at_the_next_page(ties):
    luce = _luce(ties)
    did = ties["dossier_ids"][0]
    page = dossier_view.dossier_tab(luce, did, "recus")
    assert page.rows and page.older
    with get_engine().begin() as conn:
        conn.execute(sa.delete(DossierClient.__table__).where(DossierClient.dossier_id == did))
    with pytest.raises(AccessDenied):
        dossier_view.dossier_tab(luce, did, "recus", avant=page.older)
    with pytest.raises(AccessDenied):
        dossier_view.dossier(luce, did)


@pytest.mark.parametrize("value, expected", [
    (datetime(2024, 1, 8, 9, 30, tzinfo=UTC), "20240108T093000.12"),
    (datetime(2024, 1, 8, 9, 30, 0, 5, tzinfo=UTC), "20240108T093000000005.12"),
    (datetime(2024, 1, 8, 9, 30).date(), "20240108.12"),
    ("2017IIDOS/1529", "MjAxN0lJRE9TLzE1Mjk.12"),
])
def test_cursors_are_url_safe_and_read_back(value, expected):
    cursor = keyset.make_cursor(value, 12)
    assert cursor == expected
    assert keyset.read_cursor(cursor, type(value)) == (value, 12)


@pytest.mark.skipif(os.environ.get("ESPACE_TEST_SCALE") == "1", reason=(
    "SQLite's EXPLAIN QUERY PLAN; PostgreSQL's planner chooses by table statistics and "
    "scans the few rows of a test table whole, whatever the indexes"))
def test_dossier_tab_and_list_pages_read_the_index_in_order(ties):
    """EXPLAIN QUERY PLAN: a tab's page walks its partial index in display order (no
    sort); a list page reads only the index to pick its ids (a bounded top-N sort)."""
    luce = _luce(ties)
    plans = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and " LIMIT " in statement.replace("\n", " "):
            plans.append((statement, [r[3] for r in cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters).fetchall()]))

    event.listen(get_engine(), "before_cursor_execute", explain)
    try:
        page = dossier_view.dossier_tab(luce, ties["dossier_ids"][0], "rdv")
        dossier_view.dossier_tab(luce, ties["dossier_ids"][0], "recus", avant=dossier_view.dossier_tab(
            luce, ties["dossier_ids"][0], "recus").older)
        lists.list_category(luce, "documents", fin="1")
    finally:
        event.remove(get_engine(), "before_cursor_execute", explain)
    assert page.rows
    tab_plans = [p for s, p in plans if "dossier_label" not in s]
    list_plans = [p for s, p in plans if "dossier_label" in s]
    assert tab_plans and list_plans
    for plan in tab_plans:
        assert any("_shown" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan
    for plan in list_plans:
        assert any("COVERING INDEX ix_document_shown" in step for step in plan), plan


def test_the_migration_creates_the_models_display_order_indexes(tmp_path, monkeypatch):

    from alembic import command

    cfg, url = alembic_config(tmp_path, monkeypatch)
    command.upgrade(cfg, "head")
    eng = sa.create_engine(url)

    def shown() -> dict[str, str]:
        with eng.connect() as conn:
            return dict(conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                             "AND name LIKE '%\\_shown%' ESCAPE '\\'")).all())

    migrated = shown()
    declared = {ix.name for kind in registry.kinds() for ix in kind.model.__table__.indexes if "_shown" in ix.name}
    assert set(migrated) == declared and len(declared) == 7
    for name, sql in migrated.items():
        assert sql.endswith("WHERE shared_at IS NOT NULL"), (name, sql)
        assert "(dossier_id, " in sql and ", id, shared_at)" in sql, sql
    command.downgrade(cfg, "f1c2a3b4d5e6")  # the revision before the indexes' migration (a7c41e9d3b20)
    assert shown() == {}
    eng.dispose()
