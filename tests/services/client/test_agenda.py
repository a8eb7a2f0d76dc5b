"""RDV done right (issue 13): the client reads them as an agenda (upcoming first, soonest
at the top, then past ones, most recent first, across keyset pages), with weekday and
time; one RDV as a valid .ics (checked by the icalendar package) scoped to the client;
a revocable subscription address (only the token's sha256 stored) and its audit trail."""
from __future__ import annotations

import hashlib
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from sqlmodel import select

from espace.config import settings
from espace.db import get_engine, session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, MARC_EMAIL, MARC_PASSWORD
from espace.domain import french
from espace.models import AuditEvent, CalendarFeed, Rdv
from espace.services import AccessDenied
from espace.services.client import agenda, dossier_view, lists, paging
from tests.admin_helpers import recount, session_token
from tests.admin_helpers import user as _user

with warnings.catch_warnings():  # "use httpx2" notice of this Starlette version
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PARIS = ZoneInfo("Europe/Paris")


def _rdv_ids(dossier_ids: list[int], shared: bool = True) -> list[int]:
    with get_engine().connect() as conn:
        cond = Rdv.shared_at.is_not(None) if shared else Rdv.shared_at.is_(None)
        return [r.id for r in conn.execute(sa.select(Rdv.id).where(Rdv.dossier_id.in_(dossier_ids), cond)).all()]


@pytest.fixture
def agenda_demo(demo, monkeypatch):
    """Luce's first dossier with 7 RDV at known times around a fixed « now » (besides the
    demo's), PAGE_SIZE 3 so that the list spans pages on both sides of now."""
    split = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(paging, "now", lambda: split)
    monkeypatch.setattr(settings, "page_size", 3)
    did = demo["dossier_ids"][0]
    offsets = [-400, -2, -1, 0, 1, 2, 300]  # days from now; 0: exactly now (upcoming)
    with session_scope() as s:
        for days in offsets:
            s.add(Rdv(dossier_id=did, starts_at=split + timedelta(days=days), subject=f"RDV-test {days}",
                      place="Au cabinet", shared_at=split))
        s.add(Rdv(dossier_id=did, starts_at=split + timedelta(days=5), subject="RDV-cache", shared_at=None))
        s.commit()
    recount()  # written directly: the clients' counts (the lists' totals) recomputed
    return {**demo, "split": split}


def _all_starts(demo) -> list[tuple[datetime, int]]:
    with get_engine().connect() as conn:
        return [(r.starts_at, r.id) for r in conn.execute(
            sa.select(Rdv.starts_at, Rdv.id).where(Rdv.dossier_id.in_(demo["dossier_ids"]), Rdv.shared_at.is_not(None)))]


def _walk(fetch):
    pages, page = [], fetch()
    while True:
        pages.append([r.id for r in page.rows])
        assert len(pages) < 100
        if not page.older:
            break
        page = fetch(avant=page.older)
    back, page = [], fetch(fin="1")
    while True:
        back = [r.id for r in page.rows] + back
        if not page.newer:
            break
        page = fetch(apres=page.newer)
    return [i for p in pages for i in p], back, pages


def test_rdv_list_and_tab_show_upcoming_soonest_first_then_past_most_recent_first(agenda_demo):
    luce = _user(agenda_demo["client_user_id"])
    split = agenda_demo["split"]
    rows = sorted(_all_starts(agenda_demo))
    expected = [str(i) for at, i in rows if at >= split] + [str(i) for at, i in reversed(rows) if at < split]
    forward, back, pages = _walk(lambda **kw: lists.list_category(luce, "rdv", **kw))
    assert forward == expected and back == expected
    assert len(pages) > 3
    first = lists.list_category(luce, "rdv")
    assert [r.name for r in first.rows] == ["RDV-test 0", "RDV-test 1", "RDV-test 2"]
    assert first.newer == "" and first.total == len(expected)
    # one page holds the last upcoming RDV and the first past one
    upcoming = {str(i) for at, i in rows if at >= split}
    assert any(set(p) & upcoming and set(p) - upcoming for p in pages)
    # the dossier's tab, same order (its own RDV)
    did = agenda_demo["dossier_ids"][0]
    tab_rows = sorted((at, i) for at, i in rows if i in set(_rdv_ids([did])))
    tab_expected = ([str(i) for at, i in tab_rows if at >= split]
                    + [str(i) for at, i in reversed(tab_rows) if at < split])
    tab_forward = []
    page = dossier_view.dossier_tab(luce, did, "rdv")
    while True:
        tab_forward += [r.id for r in page.rows]
        if not page.older:
            break
        older = dossier_view.dossier_tab(luce, did, "rdv", avant=page.older)
        assert dossier_view.dossier_tab(luce, did, "rdv", apres=older.newer).rows == page.rows  # back one page
        page = older
    assert tab_forward == tab_expected


def test_rdv_rows_show_weekday_and_time_and_the_agenda_link(agenda_demo):
    luce = _user(agenda_demo["client_user_id"])
    row = lists.list_category(luce, "rdv").rows[0]
    # 15/06/2026 10:00 UTC = 12:00 in Paris (summer time), a Monday
    assert row.date == "lundi 15/06/2026 à 12 h"
    assert row.agenda == f"/api/rdv/{row.id}/agenda.ics"
    assert french.fweekday_time(datetime(2024, 1, 9, 13, 30, tzinfo=UTC)) == "mardi 09/01/2024 à 14 h 30"
    assert french.fweekday_time(datetime(2024, 1, 9, 8, 5, tzinfo=UTC)) == "mardi 09/01/2024 à 9 h 05"


def _event_of(body: bytes):
    cal = Calendar.from_ical(body)
    events = list(cal.walk("VEVENT"))
    return cal, events


def test_one_rdv_as_a_valid_ics_for_its_client_only(agenda_demo):
    luce, marc = _user(agenda_demo["client_user_id"]), _user(agenda_demo["other_client_user_id"])
    rid = next(r.id for r in lists.list_category(luce, "rdv").rows if r.name == "RDV-test 1")
    ics = agenda.rdv_ics(luce, rid)
    assert ics.filename == f"rendez-vous-{rid}.ics"
    cal, events = _event_of(ics.body)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    (event,) = events
    assert str(event["SUMMARY"]) == "RDV-test 1" and str(event["LOCATION"]) == "Au cabinet"
    start = event.decoded("DTSTART")
    assert start == agenda_demo["split"] + timedelta(days=1) and str(start.tzinfo) == "Europe/Paris"
    assert event.decoded("DTEND") - start == timedelta(hours=1)
    assert str(event["UID"]) == f"rdv-{rid}@localhost"
    assert agenda.rdv_ics(luce, rid).body.count(b"\r\nUID:rdv-") == 1
    assert str(Calendar.from_ical(agenda.rdv_ics(luce, rid).body).walk("VEVENT")[0]["UID"]) == str(event["UID"])
    assert "Dossier : " in str(event["DESCRIPTION"])
    hidden = _rdv_ids(agenda_demo["dossier_ids"], shared=False)
    marcs = _rdv_ids([agenda_demo["other_dossier_id"]])
    others = _rdv_ids([agenda_demo["other_firm_dossier_id"]])
    assert hidden and marcs
    for bad in [*hidden, *marcs, *others, 0, -1, 99999999, "1 OR 1=1", None, "9" * 40]:
        with pytest.raises(AccessDenied):
            agenda.rdv_ics(luce, bad)
    with pytest.raises(AccessDenied):
        agenda.rdv_ics(marc, rid)
    for nobody in (None, _user(agenda_demo["lawyer_id"])):
        with pytest.raises(AccessDenied):
            agenda.rdv_ics(nobody, rid)


def test_subscription_address_lists_the_clients_rdv_until_revoked(agenda_demo):
    luce = _user(agenda_demo["client_user_id"])
    assert agenda.feed_status(luce).active is False
    url = agenda.create_feed(luce, "10.0.0.1")
    assert url.startswith(settings.public_url + "/api/agenda/") and url.endswith(".ics")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes
    with session_scope() as s:
        feeds = s.exec(select(CalendarFeed).where(CalendarFeed.user_id == luce.id)).all()
        assert [f.token_hash for f in feeds] == [hashlib.sha256(token.encode()).hexdigest()]
        assert token not in str([f.model_dump() for f in feeds])
    _, events = _event_of(agenda.feed_ics(token))
    shared = _rdv_ids(agenda_demo["dossier_ids"])
    assert sorted(str(e["UID"]) for e in events) == sorted(f"rdv-{i}@localhost" for i in shared)
    assert "RDV-cache" not in str([e["SUMMARY"] for e in events])
    status = agenda.feed_status(luce)
    assert status.active and status.created and status.last_used
    # a new address replaces the old one
    url2 = agenda.create_feed(luce)
    token2 = url2.rsplit("/", 1)[1].removesuffix(".ics")
    with pytest.raises(AccessDenied):
        agenda.feed_ics(token)
    assert agenda.feed_ics(token2)
    assert agenda.revoke_feed(luce, "10.0.0.1") is True
    assert agenda.revoke_feed(luce) is False
    for bad in (token2, token2 + "x", "", None, "A" * 43, ["x"], "x" * 10_000):
        with pytest.raises(AccessDenied):
            agenda.feed_ics(bad)
    assert agenda.feed_status(luce).active is False
    with session_scope() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.user_id == luce.id)
                                            .order_by(AuditEvent.id)).all()]
    assert actions.count("agenda_abonnement_cree") == 2 and actions.count("agenda_abonnement_revoque") == 1


def test_only_a_client_may_have_an_address_and_it_lists_only_their_rdv(agenda_demo):
    for nobody in (None, _user(agenda_demo["lawyer_id"])):
        with pytest.raises(AccessDenied):
            agenda.create_feed(nobody)
        with pytest.raises(AccessDenied):
            agenda.revoke_feed(nobody)
    marc = _user(agenda_demo["other_client_user_id"])
    url = agenda.create_feed(marc)
    _, events = _event_of(agenda.feed_ics(url.rsplit("/", 1)[1].removesuffix(".ics")))
    uids = {str(e["UID"]) for e in events}
    assert uids == {f"rdv-{i}@localhost" for i in _rdv_ids([agenda_demo["other_dossier_id"]])}
    # A client whose access is withdrawn: the address reads nothing.
    with get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE user SET active = 0 WHERE id = :id") if conn.dialect.name == "sqlite"
                     else sa.text('UPDATE "user" SET active = false WHERE id = :id'), {"id": marc.id})
    with pytest.raises(AccessDenied):
        agenda.feed_ics(url.rsplit("/", 1)[1].removesuffix(".ics"))


@pytest.fixture
def http(data_dir):
    from espace.http import routes

    with TestClient(routes.security_headers(routes.api), base_url=settings.public_url) as client:
        yield client


def test_the_routes_answer_ics_to_the_client_and_404_to_others(agenda_demo, http):
    luce = _user(agenda_demo["client_user_id"])
    rid = lists.list_category(luce, "rdv").rows[0].id
    luce_cookie = {"Cookie": f"espace_session={session_token(LUCE_EMAIL, LUCE_PASSWORD)}"}
    marc_cookie = {"Cookie": f"espace_session={session_token(MARC_EMAIL, MARC_PASSWORD)}"}
    answer = http.get(f"/api/rdv/{rid}/agenda.ics", headers=luce_cookie)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "private, no-store"
    assert len(list(Calendar.from_ical(answer.content).walk("VEVENT"))) == 1
    assert http.get(f"/api/rdv/{rid}/agenda.ics").status_code == 401
    assert http.get(f"/api/rdv/{rid}/agenda.ics", headers=marc_cookie).status_code == 404
    assert http.get("/api/rdv/abc/agenda.ics", headers=luce_cookie).status_code == 404
    url = agenda.create_feed(luce)
    path = url.removeprefix(settings.public_url)
    feed = http.get(path)  # no cookie: the token is the credential
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert len(list(Calendar.from_ical(feed.content).walk("VEVENT"))) == len(_rdv_ids(agenda_demo["dossier_ids"]))
    agenda.revoke_feed(luce)
    assert http.get(path).status_code == 404
    assert http.get("/api/agenda/inconnu.ics").status_code == 404


def test_hostile_subjects_stay_text_in_the_ics(agenda_demo):
    """Line breaks, ; , and markup in a subject or place cannot add properties or events."""
    luce = _user(agenda_demo["client_user_id"])
    hostile = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:pirate; a, b <img src=x onerror=alert(1)>"
    with session_scope() as s:
        rdv = Rdv(dossier_id=agenda_demo["dossier_ids"][0], starts_at=agenda_demo["split"], subject=hostile,
                  place="Lieu\nATTENDEE:mailto:x@example.com", shared_at=agenda_demo["split"])
        s.add(rdv)
        s.commit()
        rid = rdv.id
    (event,) = Calendar.from_ical(agenda.rdv_ics(luce, rid).body).walk("VEVENT")
    assert str(event["SUMMARY"]) == hostile.replace("\r\n", "\n")  # one event, its subject kept as text
    assert "ATTENDEE" not in event and str(event["LOCATION"]).startswith("Lieu")
