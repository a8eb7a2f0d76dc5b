"""Bad input gets a clear French answer (issue 9, item 4): huge ids and hostile page
numbers in URLs, and events sent by hand on the websocket with wrong payload types
(a list for a form, a float for a page, a 1 MB string). Reflex's English toast « An
error occurred » never shows, in the page or in any websocket frame."""
from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import HYDRATED, LAWYER, LUCE, sign_in, wait_until

HUGE = "99999999999999999999999"
ENGLISH = ["An error occurred", "Contact the website administrator"]
# The French refusal, as it travels in a frame (non-ASCII letters JSON-escaped).
REFUSED = "te invalide : les donn"

# An attacker's own websocket from the page (same origin, the page's cookie), speaking
# Reflex's Socket.IO protocol: connect, then one event with the given payload.
SEND = """async ([name, payload, path]) => {
  const ws = new WebSocket(`ws://${location.host}/_event/?token=${crypto.randomUUID()}&EIO=4&transport=websocket`);
  const got = [];
  await new Promise((resolve) => {
    ws.onmessage = (m) => {
      got.push(m.data);
      if (m.data.startsWith('0{')) ws.send('40/_event,');
      else if (m.data.startsWith('40/_event')) ws.send('42/_event,' + JSON.stringify(['event',
          {name, payload, router_data: {pathname: path, asPath: path, query: {}}}]));
      else if (m.data === '2') ws.send('3');
    };
    setTimeout(resolve, 2500);
  });
  ws.close();
  return got.join('\\n');
}"""


def _record(page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(str(data))))
    return frames


def _loaded(page, frames: list[str], since: int) -> None:
    """The current page's load has answered on the websocket since frame `since` (its
    last reply sets is_hydrated): the frames of that page are all in `frames`."""
    wait_until(page, lambda: any(HYDRATED.search(f) for f in frames[since:]), "the page's load answer")


def _all_received(page, frames: list[str], got: str) -> None:
    """The frames a hand-made socket received (SEND's answer) have all reached `frames`
    (Playwright reports them a little after the page's answer)."""
    wait_until(page, lambda: all(f in frames for f in got.split("\n") if f), "the hand-made socket's frames")


def _no_english(page, frames: list[str]) -> None:
    text = page.locator("body").inner_text()
    for words in ENGLISH:
        assert words not in text
        assert not [f for f in frames if words in f], words


def _handler(state: str, name: str) -> str:
    from espace.web.client.contact.state import ContactDetailsState
    from espace.web.firm.clients.state import ClientsListState
    from espace.web.public.login.state import LoginState

    return {"login": LoginState, "contact": ContactDetailsState, "clients": ClientsListState}[state].get_full_name() + "." + name


def test_huge_ids_and_hostile_pages_answer_in_french(desktop, server):
    page = desktop
    frames = _record(page)
    sign_in(page, server, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.goto(f"/dossiers/{HUGE}")
    expect(page.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    for query in ("1e23", HUGE, "-1", "abc", "0x10", "2.5"):
        page.goto(f"/documents?page={query}")
        expect(page.get_by_role("heading", name=re.compile(r"^Documents \(\d+\)"))).to_be_visible()
    since = len(frames)
    page.goto(f"/factures/{HUGE}/paiement")
    expect(page.get_by_role("heading", name="Facture introuvable")).to_be_visible()
    for path in (f"/api/documents/{HUGE}", "/api/documents/-1", "/api/documents/abc", "/api/documents/1e3"):
        answer = page.request.get(path)
        assert answer.status == 404 and answer.text() == "Document introuvable.", (path, answer.status)
    _loaded(page, frames, since)
    _no_english(page, frames)


def test_admin_huge_ids_answer_introuvable(desktop, server):
    page = desktop
    frames = _record(page)
    sign_in(page, server, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    page.goto(f"/admin/clients/{HUGE}")
    expect(page.get_by_role("heading", name="Client introuvable")).to_be_visible()
    page.goto(f"/admin/dossiers/{HUGE}")
    expect(page.get_by_role("heading", name="Dossier introuvable")).to_be_visible()
    page.goto(f"/admin/dossiers?client={HUGE}")
    expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()
    page.goto(f"/admin/clients?page={HUGE}")
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()
    # Wrong payload types sent by hand: refused in French, nothing runs.
    for payload in ({"page": 1e300}, {"page": [1]}, {"page": {"a": 1}}, {"page": 10**30}):
        got = page.evaluate(SEND, [_handler("clients", "go"), payload, "/admin/clients"])
        assert REFUSED in got, (payload, got[-500:])
        assert "An error occurred" not in got
        _all_received(page, frames, got)
    _no_english(page, frames)


def test_wrong_payload_types_are_refused_in_french(desktop, server):
    page = desktop
    sign_in(page, server, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    frames = _record(page)
    page.goto("/mon-compte/coordonnees")
    expect(page.get_by_role("textbox", name="Adresse", exact=True)).to_have_value("Impasse Adam 1er")
    pending_before = page.get_by_text("en attente de validation").count()
    hostile = [
        ("contact", "submit", {"form": ["adresse", "1 rue X"]}),
        ("contact", "submit", {"form": "adresse=1 rue X"}),
        ("contact", "submit", {"form": {"adresse": "x" * 900_000}}),  # under the socket's 1 MB frame limit
        ("contact", "submit", {"form": {"adresse": {"$ne": 1}}, "extra": 1}),
        ("contact", "submit", {}),
        ("login", "submit", {"form": [LUCE[0], LUCE[1]]}),
        ("login", "submit", {"form": {"identifier": LUCE[0], "password": ["a"] * 5000}}),
    ]
    for state, name, payload in hostile:
        got = page.evaluate(SEND, [_handler(state, name), payload, "/mon-compte/coordonnees"])
        assert REFUSED in got, (name, json.dumps(payload)[:80], got[-500:])
        assert "An error occurred" not in got
    # Over the socket's frame limit (1 MB), the server drops the connection: nothing runs.
    got = page.evaluate(SEND, [_handler("contact", "submit"), {"form": {"adresse": "x" * 1_100_000}},
                               "/mon-compte/coordonnees"])
    assert "An error occurred" not in got and REFUSED not in got
    # Nothing changed: no contact-details request reached the firm.
    since = len(frames)
    page.reload()
    expect(page.get_by_role("textbox", name="Adresse", exact=True)).to_have_value("Impasse Adam 1er")
    _loaded(page, frames, since)
    assert page.get_by_text("en attente de validation").count() == pending_before
    _no_english(page, frames)
