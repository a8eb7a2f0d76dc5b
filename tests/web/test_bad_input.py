"""Ids, page numbers and event payloads from outside: one parser (espace/ids.py),
the payload check of every handler (state/payload_guard.py), the French error toast
with a reference (espace/errors.py), the download route's 404."""
from __future__ import annotations

import logging
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

from espace.demo import LUCE_EMAIL, LUCE_PASSWORD
from espace.domain.ids import MAX_ID, parse_id, parse_page
from espace.http import routes
from espace.services import AccessDenied, payments
from espace.services.accounts import auth
from espace.services.client import dossier_view, lists
from espace.services.firm import clients as firm_clients
from espace.web import errors

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("raw,expected", [
    (1, 1), ("1", 1), (" 42 ", 42), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID),
    (0, None), (-1, None), ("-1", None), ("0", None), (MAX_ID + 1, None), (str(MAX_ID + 1), None),
    (HUGE, None), ("1e23", None), ("1.0", None), (1.0, None), (True, None), (False, None), (None, None),
    ([1], None), ({"id": 1}, None), ("", None), ("0x10", None), ("١٢", None), ("²", None), ("1" * 1_000_000, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def test_parse_page_defaults_and_caps():
    assert parse_page("3") == 3
    assert parse_page("1e23") == parse_page(HUGE) == parse_page(None) == parse_page([2]) == 1
    assert parse_page(10**12) == 1_000_000


def _luce():
    return auth.current_user(auth.open_session(*_ticket())[0])


def _ticket():
    result = auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.1")
    return result.ticket, result.browser_key


# 2**31 and 2**40: beyond the INTEGER id columns (PostgreSQL refuses to compare them).
@pytest.mark.parametrize("bad", [HUGE, int(HUGE), "1e23", 2**63, 2**31, str(2**40), [1], {"a": 1}, 1.5, True,
                                 None])
def test_services_answer_introuvable_for_any_bad_id(demo, bad):
    luce = _luce()
    for call in (lambda: dossier_view.dossier(luce, bad), lambda: dossier_view.document_for_download(luce, bad),
                 lambda: payments.payment_view(luce, bad)):
        with pytest.raises(AccessDenied):
            call()


def test_lists_take_any_cursor(demo):
    luce = _luce()
    first = lists.list_category(luce, "documents")
    for bad in (HUGE, int(HUGE), "1e23", 1e300, [1], None, -5, "20240108", "20240231.1", "x" * 1_000_000):
        for page in (lists.list_category(luce, "documents", avant=bad),
                     lists.list_category(luce, "documents", apres=bad)):
            assert page == first, bad


def test_download_route_huge_or_malformed_id_is_a_french_404(demo):
    token = auth.open_session(*_ticket())[0]
    with TestClient(Starlette(routes=routes.api.routes)) as http:
        for raw in (HUGE, "-1", "abc", "1e3", "0"):
            r = http.get(f"/api/documents/{raw}", headers={"Cookie": f"espace_session={token}"})
            assert (r.status_code, r.text) == (404, "Document introuvable."), raw


def test_backend_exception_handler_logs_a_reference_and_answers_in_french(caplog):
    with caplog.at_level(logging.ERROR, logger="espace.web.errors"):
        spec = errors.backend_exception_handler(OverflowError("Python int too large to convert to SQLite INTEGER"))
    rendered = str(spec)
    ref = caplog.records[-1].getMessage().split("ref=")[1].split(":")[0]
    assert len(ref) == 6
    assert f"Une erreur est survenue (r\\\\u00e9f. {ref})" in rendered or f"(réf. {ref})" in rendered
    assert "An error occurred" not in rendered
    assert caplog.records[-1].exc_info is not None  # the traceback is in the log


def test_payload_guard_against_handler_signatures():
    import espace.espace  # noqa: F401  (registers the states)
    from espace.web.client.contact.state import ContactDetailsState
    from espace.web.firm.clients.state import ClientsListState
    from espace.web.payload_guard import payload_fits

    submit = ContactDetailsState.event_handlers["submit"].fn
    assert payload_fits(submit, {"form": {"adresse": "1 rue X", "ville": "PEROLS"}})
    for bad in ({"form": ["adresse"]}, {"form": "x"}, {"form": {"adresse": "x" * 1_000_000}}, {},
                {"form": {}, "extra": 1}, {"form": {"a": [[[[[[[[1]]]]]]]]}}, ["form"]):
        assert not payload_fits(submit, bad), bad
    go = ClientsListState.event_handlers["go"].fn
    assert payload_fits(go, {"page": 2}) and payload_fits(go, {"page": "2"})
    for bad in (1e300, float("inf"), 10**30, [1], {"p": 1}, True, None):
        assert not payload_fits(go, {"page": bad}), bad


def test_admin_services_refuse_huge_ids(demo):
    from sqlmodel import select

    from espace.db import session_scope
    from espace.models import User

    with session_scope() as s:
        lawyer = s.exec(select(User).where(User.email == "fabien.delmas@example.com")).one()
    with pytest.raises(AccessDenied):
        firm_clients.get_client(lawyer, HUGE)


def test_upload_routes_huge_or_malformed_dossier_id_is_a_french_404(demo):
    from espace.http import admin_sharing as api_admin_sharing
    from espace.http import uploads as api_uploads

    token = auth.open_session(*_ticket())[0]
    headers = {"Cookie": f"espace_session={token}", "X-Requested-With": "espace", "X-Filename": "a.pdf"}
    with TestClient(Starlette(routes=api_uploads.routes + api_admin_sharing.routes)) as http:
        for raw in (HUGE, "-1", "abc", "1e3", "0", str(2**63)):
            for path in (f"/api/depots/{raw}", f"/api/depots/{raw}/termine"):
                r = http.post(path, headers=headers, content=b"%PDF-1.4\n")
                assert r.status_code == 404 and r.json()["error"] == "Dossier introuvable.", (path, r.text)
