"""RDV done right (issue 13), as Luce sees them: upcoming first (soonest at the top),
then past ones; weekday and time; « Ajouter à mon agenda » downloads a valid .ics
(parsed with icalendar); the subscription address of « Mon compte › Agenda » is shown
once, lists her RDV without a cookie, and answers 404 once revoked. Marc and a
visitor without a session get nothing of hers."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar
from playwright.sync_api import expect

from espace.domain.french import fweekday_time
from tests.e2e.conftest import LAWYER, LUCE, MARC, assert_no_horizontal_scroll, sign_in

PARIS = ZoneInfo("Europe/Paris")


def _paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


# Luce's shared RDV in the demo (espace/demo.py), by dossier.
AGENCE_IMMO = [_paris(2022, 3, 15, 10, 0), _paris(2024, 2, 6, 14, 0), _paris(2027, 1, 19, 9, 30)]
LUCE_RDV = [*AGENCE_IMMO, _paris(2022, 5, 10, 9, 0), _paris(2026, 12, 8, 17, 0), _paris(2023, 3, 14, 11, 0),
            _paris(2027, 3, 2, 14, 0), _paris(2023, 6, 27, 9, 0), _paris(2026, 12, 15, 13, 30)]


def _agenda_order(starts: list[datetime]) -> list[str]:
    now = datetime.now(UTC)
    ordered = sorted(s for s in starts if s >= now) + sorted((s for s in starts if s < now), reverse=True)
    return [fweekday_time(s) for s in ordered]


def test_rdv_upcoming_first_with_weekday_and_an_ics_per_rdv(page, browser, server):
    sign_in(page, server, *LUCE)
    page.get_by_role("link", name="RDV (9)").click()
    expect(page.get_by_role("heading", name="RDV (9)")).to_be_visible()
    rows = page.get_by_role("listitem")
    expect(rows).to_have_count(9)
    expected = _agenda_order(LUCE_RDV)
    shown = [t for t in rows.all_inner_texts()]
    for text, when in zip(shown, expected, strict=True):
        assert when in text, (when, text)
    assert re.match(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d\d/\d\d/\d{4} à \d{1,2} h( \d\d)?$",
                    expected[0])
    assert_no_horizontal_scroll(page)

    # « Ajouter à mon agenda » on the first (the soonest) RDV: a valid .ics of that RDV.
    first = rows.first
    add = first.get_by_role("link", name=re.compile(r"^Ajouter à mon agenda"))
    expect(add).to_be_visible()
    with page.expect_download() as dl:
        add.click()
    assert dl.value.suggested_filename.endswith(".ics")
    cal = Calendar.from_ical(Path(dl.value.path()).read_bytes())
    (event,) = cal.walk("VEVENT")
    assert fweekday_time(event.decoded("DTSTART")) == expected[0]
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/Paris"
    assert str(event["SUMMARY"]) in first.inner_text()
    href = add.get_attribute("href")
    assert href and re.fullmatch(r"/api/rdv/\d+/agenda\.ics", href)
    mine = page.request.get(href)
    assert mine.status == 200 and mine.headers["content-type"].startswith("text/calendar")
    assert mine.headers["x-content-type-options"] == "nosniff" and "no-store" in mine.headers["cache-control"]

    # Nobody else gets it: no session → 401, Marc → 404 (as an unknown id).
    anonymous = browser.new_context(base_url=server.url)
    assert anonymous.request.get(href).status == 401
    anonymous.close()
    other = browser.new_context(base_url=server.url)
    marc = other.new_page()
    sign_in(marc, server, *MARC)
    expect(marc.get_by_role("link", name="Mon compte", exact=True)).to_be_visible()
    refused = other.request.get(href)
    assert refused.status == 404 and b"BEGIN:VCALENDAR" not in refused.body()
    assert other.request.get("/api/rdv/999999999/agenda.ics").status == 404
    other.close()

    # The dossier's RDV tab: the same order, with its « Précédents / Suivants » pager words.
    # A full load of /dossiers first shows the tab's previous list (the RDV above, whose rows
    # also link to the dossier, to its RDV tab) until the page's load answers: its own
    # heading proves the list is the dossiers'.
    page.goto("/dossiers")
    expect(page.get_by_role("heading", name=re.compile(r"^Dossiers \(\d+\)$"))).to_be_visible()
    page.get_by_role("link", name="ALEXANDER / AGENCE IMMO").click()
    expect(page).to_have_url(re.compile(r"/dossiers/\d+$"))
    # The dossier's page (its heading) before its tab: a click before the page's load
    # would be dropped (set_tab waits for `loaded`).
    expect(page.get_by_role("heading", name="ALEXANDER / AGENCE IMMO", level=1)).to_be_visible()
    page.get_by_role("tab", name=re.compile(r"^RDV")).click()
    expect(page.get_by_role("tab", name=re.compile(r"^RDV"))).to_have_attribute("aria-selected", "true")
    tab_rows = page.get_by_role("tabpanel").get_by_role("listitem")
    expect(tab_rows).to_have_count(3)
    for text, when in zip(tab_rows.all_inner_texts(), _agenda_order(AGENCE_IMMO), strict=True):
        assert when in text, (when, text)
    assert_no_horizontal_scroll(page)


def test_subscription_address_shown_once_works_without_cookie_and_dies_when_revoked(desktop, browser, server):
    sign_in(desktop, server, *LUCE)
    desktop.get_by_role("link", name="Mon compte", exact=True).click()
    card = desktop.locator("section").filter(has=desktop.get_by_role("heading", name="Agenda"))
    expect(card.get_by_text("Aucune adresse d'abonnement.")).to_be_visible()
    card.get_by_role("button", name="Créer mon adresse d'abonnement").click()
    address = card.get_by_role("textbox", name="Adresse d'abonnement")
    expect(address).to_have_value(re.compile(r"^https?://.+/api/agenda/[A-Za-z0-9_-]{43}\.ics$"))
    expect(card.get_by_role("status")).to_contain_text("elle ne sera plus affichée")
    url = address.input_value()
    path = "/api/agenda/" + url.rsplit("/api/agenda/", 1)[1]

    # A calendar app fetches it without any cookie: all of Luce's shared RDV, none hidden.
    app = browser.new_context(base_url=server.url)
    feed = app.request.get(path)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert sorted(fweekday_time(e.decoded("DTSTART")) for e in events) == sorted(_agenda_order(LUCE_RDV))
    assert "Réunion interne" not in feed.text()

    # Shown once: back on the page, only that an address exists.
    desktop.reload()
    expect(card.get_by_text(re.compile(r"Adresse active, créée le \d\d/\d\d/\d{4}"))).to_be_visible()
    expect(card.get_by_role("textbox", name="Adresse d'abonnement")).to_have_count(0)
    card.get_by_role("button", name="Révoquer l'adresse d'abonnement").click()
    expect(card.get_by_role("status")).to_contain_text("L'adresse d'abonnement a été révoquée")
    expect(card.get_by_text("Aucune adresse d'abonnement.")).to_be_visible()
    gone = app.request.get(path)
    assert gone.status == 404 and b"BEGIN:VCALENDAR" not in gone.body()
    assert app.request.get(path.replace(".ics", "x.ics")).status == 404
    app.close()

    # The card is a client's: a lawyer opening /mon-compte keeps the page, without it.
    firm = browser.new_context(base_url=server.url)
    lawyer = firm.new_page()
    sign_in(lawyer, server, *LAWYER)
    expect(lawyer.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    lawyer.goto("/mon-compte")
    expect(lawyer.get_by_role("heading", name="Sessions ouvertes")).to_be_visible()
    expect(lawyer.get_by_role("heading", name="Agenda")).to_have_count(0)
    expect(lawyer).to_have_url(re.compile(r"/mon-compte/?$"))
    firm.close()
