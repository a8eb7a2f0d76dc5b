"""A tab forgets everything when its user changes (issue 9, item 0).

A shared office or family computer: the session of the person before ends on the
server (revoked here, as an administrator, idle expiry or deactivation would), the
tab stays open, someone else logs in in the same tab. Every websocket frame the
browser receives is recorded; none received after the session ended may carry the
previous user's data."""
from __future__ import annotations

import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.e2e.appserver import ROOT
from tests.e2e.conftest import HYDRATED, LAWYER, LUCE, MARC, login, nav, wait_until

# Revoke the session of one cookie (its token is stored hashed), as the firm or an
# expiry would end it: the browser is told nothing.
_REVOKE = """
import sys
from sqlmodel import select
from espace.services import crypto as security
from espace.db import session_scope
from espace.models import AuthSession, utcnow
with session_scope() as s:
    row = s.exec(select(AuthSession).where(AuthSession.token_hash == security.token_hash(sys.argv[1]))).one()
    row.revoked_at = utcnow()
    s.add(row)
    s.commit()
"""

# Luce's data as the lawyer sees it, and as she sees it herself (espace/demo.py).
LUCE_DETAILS = ["academy@secib.fr", "Impasse Adam", "PEROLS", "04 67 15 98 42", "06 15 25 65 25", "ALEXANDER"]
UNSHARED = ["Note interne", "Réunion interne de préparation"]


def _record_frames(page) -> list[str]:
    frames: list[str] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else payload.decode("utf-8", "replace")))

    page.on("websocket", on_socket)
    return frames


def _end_session_on_server(page, server) -> None:
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "espace_session")
    subprocess.run([sys.executable, "-c", _REVOKE, token], cwd=ROOT, env=server.env, check=True,
                   capture_output=True, text=True)


def _leaked(frames: list[str], needles: list[str]) -> dict[str, str]:
    found = {}
    for frame in frames:
        for needle in needles:
            if needle in frame and needle not in found:
                found[needle] = frame[:300]
    return found


def _marc_logs_in_same_tab(page, frames: list[str]) -> None:
    login(page, *MARC)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    expect(page.get_by_role("heading", name=re.compile("BERTRAND"))).to_be_visible()
    since = len(frames)
    nav(page, "Mon compte")
    expect(page).to_have_url(re.compile(r"/mon-compte/?$"))
    # Every delta of the pages has arrived: the last page's load has answered (its last
    # reply sets is_hydrated), and frames come in order on the socket.
    wait_until(page, lambda: any(HYDRATED.search(f) for f in frames[since:]), "the load of « Mon compte »")


def test_lawyer_session_ends_then_a_client_logs_in_in_the_same_tab(desktop, server):
    page = desktop
    frames = _record_frames(page)
    login(page, *LAWYER)
    expect(page.get_by_role("heading", name="Espace cabinet")).to_be_visible()
    nav(page, "Clients")
    listing = page.get_by_role("list", name="Liste des clients")
    listing.get_by_role("link", name="Luce ALEXANDER").click()
    expect(page.get_by_role("heading", name="Luce ALEXANDER")).to_be_visible()
    expect(page.get_by_role("textbox", name="Adresse", exact=True)).to_have_value("Impasse Adam 1er")
    page.goto("/admin/dossiers")
    page.get_by_role("link", name=re.compile(r"^2017IIDOS.1529 — ")).click()
    expect(page.get_by_text("Note interne — stratégie en appel").first).to_be_visible()
    # The recording sees what the lawyer was sent (so the check below can fail).
    before = _leaked(frames, LUCE_DETAILS + UNSHARED + ["BERTRAND"])
    assert {"academy@secib.fr", "Impasse Adam", "Note interne", "BERTRAND"} <= set(before), before

    _end_session_on_server(page, server)
    switch = len(frames)
    _marc_logs_in_same_tab(page, frames)
    after = frames[switch:]
    assert len(after) > 3, "no frame recorded after the switch"
    assert _leaked(after, LUCE_DETAILS + UNSHARED) == {}


def test_client_session_ends_then_another_client_logs_in_in_the_same_tab(desktop, server):
    page = desktop
    frames = _record_frames(page)
    login(page, *LUCE)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.goto("/mon-compte/coordonnees")
    expect(page.get_by_role("textbox", name="Adresse", exact=True)).to_have_value("Impasse Adam 1er")
    page.goto("/accueil")
    page.get_by_role("link", name=re.compile(r"^Dossiers")).click()
    page.get_by_role("link", name=re.compile("AGENCE IMMO")).first.click()
    expect(page.get_by_role("heading", name="ALEXANDER / AGENCE IMMO")).to_be_visible()
    luce_seen = [*LUCE_DETAILS, "AGENCE IMMO", "2017IIDOS/1529"]
    before = _leaked(frames, luce_seen)
    assert {"academy@secib.fr", "Impasse Adam", "AGENCE IMMO"} <= set(before), before

    _end_session_on_server(page, server)
    switch = len(frames)
    _marc_logs_in_same_tab(page, frames)
    after = frames[switch:]
    assert len(after) > 3, "no frame recorded after the switch"
    assert _leaked(after, luce_seen) == {}
