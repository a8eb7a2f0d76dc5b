"""The firm handles contact-details requests: old and new values side by side,
accept (applied, new login identifier, client emailed), refuse (reason required,
client emailed); scoped to the firm."""
from __future__ import annotations

import json

import pytest
from sqlmodel import select

from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, MARC_EMAIL
from espace.domain.outcome import Outcome
from espace.models import AuditEvent, Client, ContactRequest, ContactStatus, OutboxEmail
from espace.services import AccessDenied
from espace.services.accounts import auth
from espace.services.client import contact
from espace.services.firm import requests as firm_requests
from tests import admin_helpers
from tests.services.accounts.step_up_helpers import session_for

NEW = {
    "nom": "ALEXANDER", "prenom": "Luce", "email": "luce.alexander@example.com", "adresse": "2 rue Neuve",
    "code_postal": "34000", "ville": "MONTPELLIER", "tel": "04 67 15 98 42", "mobile": "06 15 25 65 25",
}


@pytest.fixture
def people(demo):
    return admin_helpers.people(demo)


@pytest.fixture
def request_id(people):
    result = contact.request_update(people["luce"], NEW, session_for(people["luce"]))
    ok, errors = result.ok, result.errors
    assert ok, errors
    with session_scope() as s:
        return s.exec(select(ContactRequest.id).where(ContactRequest.status == ContactStatus.en_attente)).one()


def _emails(template: str) -> list[OutboxEmail]:
    with session_scope() as s:
        return list(s.exec(select(OutboxEmail).where(OutboxEmail.template == template)).all())


def test_pending_request_shows_old_and_new_values(people, request_id):
    rows = firm_requests.list_requests(people["lawyer"])
    assert len(rows) == 1
    row = rows[0]
    assert row.id == request_id and row.client == "Luce ALEXANDER"
    fields = {f.label: f for f in row.fields}
    assert fields["Ville"].old == "PEROLS" and fields["Ville"].new == "MONTPELLIER" and fields["Ville"].changed
    assert fields["E-mail"].old == LUCE_EMAIL and fields["E-mail"].new == "luce.alexander@example.com"
    assert fields["Nom"].changed is False
    assert row.changed == "E-mail, Adresse, Code postal, Ville"
    assert firm_requests.pending_count(people["lawyer"]) == 1
    assert firm_requests.list_requests(people["lawyer"], "processed") == []


def test_accept_applies_values_changes_the_identifier_and_emails_the_client(people, request_id):
    result = firm_requests.accept(people["lawyer"], request_id)
    ok, errors = result.ok, result.errors
    assert ok and errors == {}
    luce = admin_helpers.user(people["luce"].id)
    assert luce.email == "luce.alexander@example.com"
    assert contact.current_values(luce) == NEW
    assert contact.pending(luce) is None
    # The new e-mail is the login identifier; the old one no longer is.
    assert auth.login("luce.alexander@example.com", LUCE_PASSWORD, "127.0.0.2").ok
    assert not auth.login(LUCE_EMAIL, LUCE_PASSWORD, "127.0.0.3").ok
    sent = _emails("contact_accepted")
    assert sorted(e.to for e in sent) == sorted(["luce.alexander@example.com", LUCE_EMAIL])
    context = json.loads(sent[0].context_json)
    assert context["email_changed"] is True and {"label": "Ville", "value": "MONTPELLIER"} in context["rows"]
    with session_scope() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "demande_traitee")).one()
        assert event.subject_user_id == luce.id and event.user_id == people["lawyer"].id
        row = s.get(ContactRequest, request_id)
        assert row.status == ContactStatus.acceptee and row.decided_by_id == people["lawyer"].id
    processed = firm_requests.list_requests(people["lawyer"], "processed")
    assert processed[0].status == "Acceptée" and processed[0].by == "Fabien DELMAS"
    assert firm_requests.list_requests(people["lawyer"]) == []
    # A second decision is refused.
    assert firm_requests.accept(people["lawyer"], request_id) == Outcome.refused({"form": firm_requests.ALREADY})
    assert firm_requests.refuse(people["lawyer"], request_id, "non").ok is False


def test_accept_refused_when_the_email_is_another_member_of_the_firm(people):
    result = contact.request_update(people["luce"], {**NEW, "email": MARC_EMAIL}, session_for(people["luce"]))
    ok, _ = result.ok, result.errors
    assert ok
    rid = firm_requests.list_requests(people["lawyer"])[0].id
    result = firm_requests.accept(people["lawyer"], rid)
    ok, errors = result.ok, result.errors
    assert not ok and MARC_EMAIL in errors["form"] and "déjà celle d'un autre compte de votre cabinet" in errors["form"]
    luce = admin_helpers.user(people["luce"].id)
    assert luce.email == LUCE_EMAIL and contact.current_values(luce)["ville"] == "PEROLS"
    assert contact.pending(luce) is not None  # still waiting: it can be refused with a reason
    assert _emails("contact_accepted") == []


def test_refuse_needs_a_reason_and_emails_it(people, request_id):
    assert firm_requests.refuse(people["lawyer"], request_id, "  ") == Outcome.refused(
        {"reason": "Indiquez le motif du refus."})
    assert contact.pending(people["luce"]) is not None
    result = firm_requests.refuse(people["lawyer"], request_id, "Merci de joindre un justificatif de domicile.")
    ok, errors = result.ok, result.errors
    assert ok and errors == {}
    luce = admin_helpers.user(people["luce"].id)
    assert contact.pending(luce) is None
    assert contact.current_values(luce)["ville"] == "PEROLS" and luce.email == LUCE_EMAIL
    sent = _emails("contact_refused")
    assert [e.to for e in sent] == [LUCE_EMAIL]
    assert json.loads(sent[0].context_json)["reason"] == "Merci de joindre un justificatif de domicile."
    processed = firm_requests.list_requests(people["lawyer"], "processed")
    assert processed[0].status == "Refusée"
    assert processed[0].reason == "Merci de joindre un justificatif de domicile."
    with session_scope() as s:
        assert s.exec(select(AuditEvent.subject_user_id).where(AuditEvent.action == "demande_traitee")).one() == luce.id


@pytest.mark.parametrize("who", ["claire", "luce"])
def test_other_firm_lawyer_and_client_are_refused(people, request_id, who):
    actor = people[who]
    if who == "claire":
        assert firm_requests.list_requests(actor) == []  # her firm's list only
        assert firm_requests.list_requests(actor, "processed") == []
        assert firm_requests.pending_count(actor) == 0
    else:
        for status in ("pending", "processed"):
            with pytest.raises(AccessDenied):
                firm_requests.list_requests(actor, status)
        with pytest.raises(AccessDenied):
            firm_requests.pending_count(actor)
    with pytest.raises(AccessDenied):
        firm_requests.accept(actor, request_id)
    with pytest.raises(AccessDenied):
        firm_requests.refuse(actor, request_id, "non")
    with session_scope() as s:
        assert s.get(ContactRequest, request_id).status == ContactStatus.en_attente
        assert s.exec(select(Client.ville).where(Client.user_id == people["luce"].id)).one() == "PEROLS"
    for bad in ("x", None, 0, -3, str(request_id) + "0"):
        with pytest.raises(AccessDenied):
            firm_requests.accept(people["lawyer"], bad)
