"""Contact details update requests: validation, pending/replaced, the stored
details untouched, the firm emailed, and each client sees only their own."""
from __future__ import annotations

import email
import email.policy

import pytest
from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.domain.contact import REQUIRED
from espace.models import Client, ContactRequest, ContactStatus, User
from espace.services import AccessDenied
from espace.services.client import contact
from espace.services.mail import mailer, outbox
from tests.admin_helpers import sent_emails as _outbox
from tests.admin_helpers import user as _user

LUCE = {
    "nom": "ALEXANDER", "prenom": "Luce", "email": "academy@secib.fr", "adresse": "Impasse Adam 1er",
    "code_postal": "34470", "ville": "PEROLS", "tel": "04 67 15 98 42", "mobile": "06 15 25 65 25",
}


def _requests(client_id: int) -> list[ContactRequest]:
    with session_scope() as s:
        return list(s.exec(select(ContactRequest).where(ContactRequest.client_id == client_id)
                           .order_by(ContactRequest.id)).all())


def test_fields_and_current_values(demo):
    assert [label for _, label in contact.FIELDS] == [
        "Nom", "Prénom", "E-mail", "Adresse", "Code postal", "Ville", "Tél", "Mobile"]
    assert contact.current_values(_user(demo["client_user_id"])) == LUCE
    assert contact.pending(_user(demo["client_user_id"])) is None


def test_all_fields_required(demo):
    result = contact.request_update(_user(demo["client_user_id"]), {k: "   " for k in LUCE})
    ok, errors = result.ok, result.errors
    assert ok is False
    assert errors == {k: REQUIRED for k in LUCE}
    result = contact.request_update(_user(demo["client_user_id"]), {})
    ok, errors = result.ok, result.errors
    assert not ok and set(errors) == set(LUCE)
    assert _requests(demo["client_id"]) == []


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "pas-une-adresse", "Adresse e-mail invalide (exemple : nom@domaine.fr)."),
        ("email", "luce@exemple", "Adresse e-mail invalide (exemple : nom@domaine.fr)."),
        ("code_postal", "3447", "Code postal invalide : 5 chiffres (exemple : 34470)."),
        ("code_postal", "2A004", "Code postal invalide : 5 chiffres (exemple : 34470)."),
        ("code_postal", "00100", "Code postal invalide : 5 chiffres (exemple : 34470)."),
        ("tel", "04 67 15", "Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international (+33 6 12 34 56 78)."),
        ("mobile", "06-abc", "Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international (+33 6 12 34 56 78)."),
        ("mobile", "+33 6 15 25 65", "Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international (+33 6 12 34 56 78)."),
        ("nom", "X" * 101, "100 caractères maximum."),
        ("adresse", "A" * 201, "200 caractères maximum."),
    ],
)
def test_format_errors(demo, field, value, message):
    result = contact.request_update(_user(demo["client_user_id"]), {**LUCE, field: value})
    ok, errors = result.ok, result.errors
    assert ok is False
    assert errors == {field: message}


@pytest.mark.parametrize(
    "field, value",
    [
        ("code_postal", "20000"),  # Ajaccio (Corse-du-Sud, 2A)
        ("code_postal", "20200"),  # Bastia (Haute-Corse, 2B)
        ("code_postal", "97400"),
        ("tel", "0467159843"),
        ("tel", "04.67.15.98.43"),
        ("mobile", "+33 6 15 25 65 26"),
        ("mobile", "+33 (0)6 15 25 65 26"),
        ("mobile", "+41 79 123 45 67"),
        ("email", "Luce.Alexander@Exemple.FR"),
    ],
)
def test_accepted_formats(demo, field, value):
    from tests.services.accounts.step_up_helpers import session_for

    user = _user(demo["client_user_id"])
    result = contact.request_update(user, {**LUCE, field: value}, session_for(user))  # a new e-mail: step-up
    ok, errors = result.ok, result.errors
    assert (ok, errors) == (True, {})


def test_unchanged_details_send_nothing(demo):
    result = contact.request_update(_user(demo["client_user_id"]), {**LUCE, "ville": "  PEROLS "})
    ok, errors = result.ok, result.errors
    assert ok is False and errors == {"form": contact.UNCHANGED}
    assert _requests(demo["client_id"]) == [] and _outbox() == []


def test_request_is_pending_replaces_the_previous_and_changes_nothing(demo):
    user = _user(demo["client_user_id"])
    result = contact.request_update(user, {**LUCE, "adresse": "  2 rue   de la Paix ", "ville": "MONTPELLIER",
                                          "code_postal": "34000"})
    ok, _ = result.ok, result.errors
    assert ok
    first = contact.pending(user)
    assert result.value == first  # the action answers with the pending request the page shows
    assert first["adresse"] == "2 rue de la Paix" and first["ville"] == "MONTPELLIER"
    assert len(first["date"]) == 10 and first["date"][2] == "/"

    result = contact.request_update(user, {**LUCE, "mobile": "07 00 00 00 01"})
    ok, _ = result.ok, result.errors
    assert ok
    rows = _requests(demo["client_id"])
    assert [r.status for r in rows] == [ContactStatus.remplacee, ContactStatus.en_attente]
    assert rows[0].decided_at is not None and rows[1].decided_at is None
    assert all(r.firm_id == demo["firm_id"] for r in rows)
    now_pending = contact.pending(user)
    assert now_pending["mobile"] == "07 00 00 00 01" and now_pending["adresse"] == "Impasse Adam 1er"

    # Nothing applied until the firm accepts.
    assert contact.current_values(user) == LUCE
    with session_scope() as s:
        client = s.get(Client, demo["client_id"])
        assert (client.adresse, client.mobile, client.email) == ("Impasse Adam 1er", "06 15 25 65 25", "academy@secib.fr")
        assert s.get(User, demo["client_user_id"]).nom == "ALEXANDER"


def test_requests_are_capped_per_hour_and_the_firm_is_not_flooded(demo):
    """The handler is a public door: called in a loop, it stops filing (and emailing)
    after PER_HOUR_MAX requests in an hour, with a French message."""
    user = _user(demo["client_user_id"])
    for i in range(contact.PER_HOUR_MAX):
        result = contact.request_update(user, {**LUCE, "mobile": f"07 00 00 00 1{i}"})
        ok, errors = result.ok, result.errors
        assert ok, errors
    result = contact.request_update(user, {**LUCE, "mobile": "07 00 00 00 99"})
    ok, errors = result.ok, result.errors
    assert ok is False and errors == {"form": contact.TOO_MANY}
    assert len(_requests(demo["client_id"])) == contact.PER_HOUR_MAX
    assert len(_outbox()) == contact.PER_HOUR_MAX
    assert contact.pending(user)["mobile"] == f"07 00 00 00 1{contact.PER_HOUR_MAX - 1}"


def test_firm_is_emailed_old_and_new_values(demo):
    user = _user(demo["client_user_id"])
    result = contact.request_update(user, {**LUCE, "ville": "<b>MAUGUIO</b>", "code_postal": "34130"})
    ok, _ = result.ok, result.errors
    assert ok
    files = _outbox()
    assert len(files) == 1  # the demo firm has one lawyer
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "fabien.delmas@example.com"
    assert "Luce ALEXANDER" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Ville : PEROLS -> <b>MAUGUIO</b>" in text
    assert "Code postal : 34470 -> 34130" in text
    assert "&lt;b&gt;MAUGUIO&lt;/b&gt;" in html and "<b>MAUGUIO</b>" not in html
    assert f"{settings.public_url}/admin" in text


def test_mail_failure_does_not_lose_the_request(demo, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("smtp down")

    monkeypatch.setattr(mailer, "send", broken)
    result = contact.request_update(_user(demo["client_user_id"]), {**LUCE, "ville": "LATTES"})
    ok, errors = result.ok, result.errors
    assert (ok, errors) == (True, {})
    assert outbox.run_once() == 0  # the worker's failure stays in the outbox
    assert contact.pending(_user(demo["client_user_id"]))["ville"] == "LATTES"
    assert outbox.status_counts()["pending"] == 1  # retried later, not lost


def test_each_client_sees_only_their_own(demo):
    luce, marc = _user(demo["client_user_id"]), _user(demo["other_client_user_id"])
    assert contact.request_update(luce, {**LUCE, "ville": "LATTES"}).ok
    assert contact.pending(marc) is None
    marc_values = contact.current_values(marc)
    assert marc_values["nom"] == "BERTRAND" and marc_values["adresse"] == "3 rue de la Loge"
    assert "LATTES" not in marc_values.values() and "academy@secib.fr" not in marc_values.values()
    paul = _user(demo["other_firm_client_user_id"])
    assert contact.pending(paul) is None and contact.current_values(paul)["nom"] == "MARTIN"
    for nobody in (_user(demo["lawyer_id"]), None):
        with pytest.raises(AccessDenied):
            contact.current_values(nobody)
        with pytest.raises(AccessDenied):
            contact.pending(nobody)
        with pytest.raises(AccessDenied):
            contact.request_update(nobody, {**LUCE, "ville": "LATTES"})


def test_a_new_email_address_needs_the_step_up_and_tells_the_current_address(demo):
    """The e-mail may become the login identifier: a session left open cannot redirect it."""
    import json as _json

    from espace.models import OutboxEmail
    from espace.services.accounts import step_up
    from tests.services.accounts.step_up_helpers import session_for

    user = _user(demo["client_user_id"])
    new = {**LUCE, "email": "luce.nouvelle@example.com"}
    for token in (None, session_for(user, stepped_up=False), session_for(user, minutes_ago=6)):
        refused = contact.request_update(user, new, token)
        assert not refused.ok and refused.errors == {"email": contact.EMAIL_STEP_UP}
    assert contact.pending(user) is None
    # Other fields need no step-up.
    assert contact.request_update(user, {**LUCE, "mobile": "07 00 00 00 01"}).ok
    assert contact.request_update(user, new, session_for(user)).ok
    with session_scope() as s:
        notices = s.exec(select(OutboxEmail).where(OutboxEmail.template == "security_notice")).all()
    assert [n.to for n in notices] == [LUCE["email"]]
    context = _json.loads(notices[0].context_json)
    assert "luce.nouvelle@example.com" in context["what"] and "/fermer-les-sessions?jeton=" in context["end_link"]
    assert step_up.link_is_valid(context["end_link"].split("jeton=")[1])
