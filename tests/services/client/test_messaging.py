"""Messages to the interlocutor: target, validation and limits, the thread, the
email (HTML kept as text), read marks, and other clients' dossiers refused."""
from __future__ import annotations

import email
import email.policy
import re

import pytest
from sqlmodel import select

from espace.db import session_scope
from espace.domain.forms import BODY_MAX, SUBJECT_MAX
from espace.domain.outcome import Outcome
from espace.models import Message, MessageDirection, utcnow
from espace.services import AccessDenied
from espace.services.client import messaging
from espace.services.mail import mailer, outbox
from espace.services.shared import messaging as firm_thread
from tests.admin_helpers import sent_emails as _outbox
from tests.admin_helpers import user as _user


def _messages() -> list[Message]:
    with session_scope() as s:
        return list(s.exec(select(Message).order_by(Message.id)).all())


def test_contact_target_is_the_manuals(demo):
    target = messaging.contact_target(_user(demo["client_user_id"]), demo["dossier_ids"][0])
    assert target == {
        "interlocutor": "Fabien DELMAS",
        "dossier": "2017IIDOS/1529 - ALEXANDER / AGENCE IMMO",
        "dossier_id": str(demo["dossier_ids"][0]),
    }


def test_required_and_limits(demo):
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    assert messaging.send(user, did, "  ", "\n \n") == Outcome.refused(
        {"subject": "Ce champ est obligatoire.", "body": "Ce champ est obligatoire."})
    result = messaging.send(user, did, "x" * (SUBJECT_MAX + 1), "y" * (BODY_MAX + 1))
    ok, errors = result.ok, result.errors
    assert not ok
    assert errors == {
        "subject": "L'objet ne doit pas dépasser 150 caractères.",
        "body": "Le message ne doit pas dépasser 5 000 caractères.",
    }
    sent = messaging.send(user, did, "x" * SUBJECT_MAX, "y" * BODY_MAX)
    assert sent.ok and [row["subject"] for row in sent.value or []] == ["x" * SUBJECT_MAX]  # the thread, refreshed
    assert len(_messages()) == 1


def test_send_stores_emails_and_threads(demo):
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    body = "Bonjour Maître,\n<b>Pouvez-vous</b> me recevoir ? <script>alert(1)</script>\r\nCordialement"
    sent = messaging.send(user, did, "  Demande de\nRDV ", body)
    assert sent.ok and sent.value == messaging.thread(user, did)  # the page's thread, read in the action
    [msg] = _messages()
    assert msg.direction == MessageDirection.client and msg.sender_id == user.id
    assert msg.firm_id == demo["firm_id"] and msg.dossier_id == did and msg.read_at is None
    assert msg.subject == "Demande de RDV"  # one line: it also goes in the email subject
    expected_body = body.replace("\r\n", "\n")
    assert msg.body == expected_body

    [path] = _outbox()
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mail["To"] == "fabien.delmas@example.com"
    assert "Demande de RDV" in mail["Subject"] and "Luce ALEXANDER" in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "&lt;b&gt;Pouvez-vous&lt;/b&gt;" in html and "<script>" not in html
    assert expected_body in text
    assert "2017IIDOS/1529 - ALEXANDER / AGENCE IMMO" in text

    [row] = messaging.thread(user, did)
    assert row["body"] == expected_body  # kept as text, the UI escapes it
    assert row["subject"] == "Demande de RDV" and row["direction"] == "client"
    assert row["author"] == "Luce ALEXANDER" and row["id"] == str(msg.id)
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row["date"])


def test_thread_oldest_first_and_reading_marks_the_firms_messages(demo):
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    assert messaging.send(user, did, "Question", "Première question").ok
    with session_scope() as s:
        s.add(Message(firm_id=demo["firm_id"], dossier_id=did, sender_id=demo["lawyer_id"],
                      direction=MessageDirection.cabinet, subject="Re: Question", body="Réponse du cabinet",
                      created_at=utcnow()))
        s.commit()
    assert messaging.send(user, did, "Merci", "Merci pour la réponse").ok
    rows = messaging.thread(user, did)
    assert [r["body"] for r in rows] == ["Première question", "Réponse du cabinet", "Merci pour la réponse"]
    assert rows[1]["author"] == "Fabien DELMAS" and rows[1]["direction"] == "cabinet"
    by_direction = {m.direction: m for m in _messages()}
    assert by_direction[MessageDirection.cabinet].read_at is not None
    # The client reading does not mark the client's own messages as read by the firm.
    assert all(m.read_at is None for m in _messages() if m.direction == MessageDirection.client)
    # The other dossiers' threads are their own.
    assert messaging.thread(user, demo["dossier_ids"][1]) == []


def test_firm_reads_the_thread_of_its_dossiers_only(demo):
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    assert messaging.send(user, did, "Question", "Texte").ok
    lawyer = _user(demo["lawyer_id"])
    assert [r["body"] for r in firm_thread.thread(lawyer, did)] == ["Texte"]  # the firm's read of a thread
    assert _messages()[0].read_at is not None
    with pytest.raises(AccessDenied):
        messaging.thread(_user(demo["other_firm_client_user_id"]), did)


def test_other_clients_dossier_refused(demo):
    luce = _user(demo["client_user_id"])
    marc = _user(demo["other_client_user_id"])
    assert messaging.send(luce, demo["dossier_ids"][0], "Privé", "Message de Luce").ok
    for user, did in [
        (luce, demo["other_dossier_id"]),
        (luce, demo["other_firm_dossier_id"]),
        (marc, demo["dossier_ids"][0]),
        (_user(demo["other_firm_client_user_id"]), demo["dossier_ids"][0]),
        (luce, "abc"),
        (None, demo["dossier_ids"][0]),
    ]:
        with pytest.raises(AccessDenied):
            messaging.contact_target(user, did)
        with pytest.raises(AccessDenied):
            messaging.send(user, did, "Objet", "Message")
        with pytest.raises(AccessDenied):
            messaging.thread(user, did)
    assert len(_messages()) == 1 and len(_outbox()) == 1


def test_mail_failure_keeps_the_message(demo, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("smtp down")

    monkeypatch.setattr(mailer, "send", broken)
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    assert messaging.send(user, did, "Objet", "Message").ok
    assert outbox.run_once() == 0  # the worker's failure stays in the outbox
    assert len(messaging.thread(user, did)) == 1
    assert outbox.status_counts()["pending"] == 1  # retried later, not lost


def test_sending_is_throttled(demo, monkeypatch):
    monkeypatch.setattr(messaging, "PER_HOUR_MAX", 2)
    user, did = _user(demo["client_user_id"]), demo["dossier_ids"][0]
    assert messaging.send(user, did, "1", "a").ok and messaging.send(user, did, "2", "b").ok
    result = messaging.send(user, did, "3", "c")
    ok, errors = result.ok, result.errors
    assert not ok and "form" in errors
    assert len(_messages()) == 2
