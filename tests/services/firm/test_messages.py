"""The firm reads the clients' messages per dossier and answers them: the answer
is in the client's thread and emailed (escaped) to the client; firm-scoped."""
from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from espace.db import session_scope
from espace.demo import LUCE_EMAIL, MARC_EMAIL
from espace.domain.outcome import Outcome
from espace.models import DossierClient, Message, MessageDirection, OutboxEmail
from espace.services import AccessDenied
from espace.services.client import messaging
from espace.services.firm import messages as firm_messages
from espace.services.mail import mailer
from tests import admin_helpers


@pytest.fixture
def people(demo):
    return admin_helpers.people(demo)


@pytest.fixture
def dossier(demo, people):
    did = demo["dossier_ids"][0]
    for subject in ("Question sur l'audience", "Pièce manquante"):
        result = messaging.send(people["luce"], did, subject, "Bonjour Maître,\nune question.")
        ok, errors = result.ok, result.errors
        assert ok, errors
    return did


def _answers() -> list[OutboxEmail]:
    with session_scope() as s:
        return list(s.exec(select(OutboxEmail).where(OutboxEmail.template == "message_answer")).all())


def test_threads_count_unread_until_the_thread_is_read(people, dossier):
    threads = firm_messages.threads(people["lawyer"])
    assert len(threads) == 1
    t = threads[0]
    assert t.dossier_id == dossier and t.unread == 2 and t.total == 2
    assert t.last_subject == "Pièce manquante" and t.clients == "Client : Luce ALEXANDER"
    assert firm_messages.unread_count(people["lawyer"]) == 2
    assert firm_messages.unread_count(people["lawyer"], dossier) == 2
    thread = firm_messages.read_thread(people["lawyer"], dossier)
    assert [m["subject"] for m in thread] == ["Question sur l'audience", "Pièce manquante"]
    assert firm_messages.threads(people["lawyer"])[0].unread == 0
    assert firm_messages.unread_count(people["lawyer"]) == 0


def test_answer_appears_in_the_clients_thread_and_is_emailed_escaped(people, dossier):
    body = "Bonjour,\n<script>alert(1)</script> l'audience est fixée au 12/03."
    result = firm_messages.answer(people["lawyer"], dossier, body, "Votre audience")
    ok, errors = result.ok, result.errors
    assert ok and errors == {}
    thread = messaging.thread(people["luce"], dossier)
    last = thread[-1]
    assert last["direction"] == "cabinet" and last["author"] == "Fabien DELMAS"
    assert last["subject"] == "Votre audience" and last["body"] == body
    sent = _answers()
    assert [e.to for e in sent] == [LUCE_EMAIL]
    context = json.loads(sent[0].context_json)
    html, text = mailer._render("message_answer", context)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert body in text and f"/contacter?dossier={dossier}" in text
    # The client reading the thread marks the firm's answer read.
    with session_scope() as s:
        answer = s.exec(select(Message).where(Message.direction == MessageDirection.cabinet)).one()
        assert answer.read_at is not None and answer.sender_id == people["lawyer"].id


def test_answer_goes_to_every_client_of_the_dossier(demo, people, dossier):
    with session_scope() as s:
        s.add(DossierClient(dossier_id=dossier, client_id=demo["other_client_id"]))
        s.commit()
    result = firm_messages.answer(people["lawyer"], dossier, "À vous deux.", "")
    ok = result.ok
    assert ok
    assert sorted(e.to for e in _answers()) == sorted([LUCE_EMAIL, MARC_EMAIL])
    # An empty subject answers the last client subject.
    assert messaging.thread(people["luce"], dossier)[-1]["subject"] == "Re : Pièce manquante"


def test_answer_needs_a_body(people, dossier):
    assert firm_messages.answer(people["lawyer"], dossier, "  \n ", "Objet") == Outcome.refused(
        {"body": "Ce champ est obligatoire."})
    result = firm_messages.answer(people["lawyer"], dossier, "x", "o" * 151)
    ok, errors = result.ok, result.errors
    assert not ok and "150" in errors["subject"]
    assert _answers() == []
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Message).where(
            Message.direction == MessageDirection.cabinet)).one() == 0


@pytest.mark.parametrize("who", ["claire", "luce"])
def test_other_firm_lawyer_and_client_are_refused(demo, people, dossier, who):
    actor = people[who]
    if who == "claire":
        assert firm_messages.threads(actor) == []
        assert firm_messages.unread_count(actor) == 0
    else:
        with pytest.raises(AccessDenied):
            firm_messages.threads(actor)
        with pytest.raises(AccessDenied):
            firm_messages.unread_count(actor)
    with pytest.raises(AccessDenied):
        firm_messages.read_thread(actor, dossier)
    with pytest.raises(AccessDenied):
        firm_messages.unread_count(actor, dossier)
    with pytest.raises(AccessDenied):
        firm_messages.answer(actor, dossier, "Intrusion", "x")
    # Nothing was read or written.
    assert firm_messages.threads(people["lawyer"])[0].unread == 2
    assert _answers() == []
    with pytest.raises(AccessDenied):
        firm_messages.answer(people["lawyer"], demo["other_firm_dossier_id"], "x", "y")
