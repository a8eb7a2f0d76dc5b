"""Notifications of new shares: one email per client for the shares of a short
window, naming the type and number of items and the dossiers concerned."""
from __future__ import annotations

import email
import email.policy
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.models import (
    Direction,
    Document,
    Dossier,
    DossierClient,
    Facture,
    Frais,
    Rdv,
    ShareNotice,
    Tache,
    TempsPasse,
    User,
    utcnow,
)
from espace.services.mail import outbox, share_notices

LUCE = "academy@secib.fr"
MARC = "marc.bertrand@example.com"
PAUL = "paul.martin@example.com"


def share(dossier_id: int, kind: str = "document", firm_id: int = 1) -> int:
    """What the firm side does: the item is created shared, and noticed, in one transaction."""
    now = utcnow()
    with session_scope() as s:
        if kind == "document":
            item = Document(dossier_id=dossier_id, direction=Direction.recu, name="Pièce.pdf", doc_date=date.today(),
                            storage_key="absent", size=1, sha256="0" * 64, content_type="application/pdf",
                            shared_at=now)
        elif kind == "rdv":
            item = Rdv(dossier_id=dossier_id, starts_at=now + timedelta(days=3), subject="Rendez-vous", shared_at=now)
        elif kind == "facture":
            item = Facture(dossier_id=dossier_id, number="F1", date=date.today(), amount_cents=1000, shared_at=now)
        elif kind == "tache":
            item = Tache(dossier_id=dossier_id, date=date.today(), label="Signer", shared_at=now)
        elif kind == "temps":
            item = TempsPasse(dossier_id=dossier_id, date=date.today(), minutes=30, description="Étude", shared_at=now)
        else:
            item = Frais(dossier_id=dossier_id, date=date.today(), amount_cents=500, label="Timbre", shared_at=now)
        s.add(item)
        s.flush()
        share_notices.record(s, firm_id, item)
        s.commit()
        return item.id


def unshare(item_id: int, model=Document) -> None:
    with session_scope() as s:
        item = s.get(model, item_id)
        item.shared_at = None
        s.add(item)
        share_notices.forget(s, item)
        s.commit()


def time_passes(minutes: float = 6) -> None:
    """Age every pending notice, as if `minutes` had passed since the shares."""
    with session_scope() as s:
        for n in s.exec(select(ShareNotice).where(ShareNotice.notified_at.is_(None))).all():
            n.created_at = n.created_at - timedelta(minutes=minutes)
            s.add(n)
        s.commit()


def emails_to(address: str) -> list[email.message.EmailMessage]:
    outbox.run_once()
    files = sorted(settings.outbox_dir.glob("*-share_notice.eml"), key=lambda p: p.stat().st_mtime_ns)
    msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
    return [m for m in msgs if str(m["To"]) == address]


def text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def html(msg) -> str:
    return msg.get_body(("html",)).get_content()


def dossier_title(dossier_id: int) -> str:
    with session_scope() as s:
        d = s.get(Dossier, dossier_id)
        return f"{d.reference} - {d.label}"


def test_shares_of_the_window_make_one_email(demo):
    first, second, third = demo["dossier_ids"][:3]
    for did in (first, first, second):
        share(did, "document")
    share(first, "rdv")

    assert emails_to(LUCE) == []  # still inside the grouping window (5 minutes)
    time_passes(4)
    assert emails_to(LUCE) == []
    time_passes(2)
    share(second, "tache")  # a recent share rides along with the older ones

    [msg] = emails_to(LUCE)
    assert msg["Subject"] == "Nouveaux éléments dans votre espace client"
    assert "Cabinet DELMAS Avocats" in str(msg["From"])
    body = text(msg)
    for line in ("- 3 documents", "- 1 rendez-vous", "- 1 tâche",
                 f"- {dossier_title(first)}", f"- {dossier_title(second)}", "Dossiers concernés"):
        assert line in body
    assert dossier_title(third) not in body  # only the dossiers concerned
    assert f"{settings.public_url}/connexion" in body and f"{settings.public_url}/connexion" in html(msg)
    assert "Bonjour Luce ALEXANDER" in body
    assert "3 documents" in html(msg) and "ALEXANDER / AGENCE IMMO" in html(msg)

    # Nothing is announced twice, and nobody else was told.
    time_passes(10)
    assert len(emails_to(LUCE)) == 1
    assert emails_to(MARC) == [] and emails_to(PAUL) == []


def test_unshared_before_the_window_is_not_announced(demo):
    did = demo["dossier_ids"][0]
    kept = share(did)
    withdrawn = share(did)
    unshare(withdrawn)
    gone = share(did, "rdv")
    unshare(gone, Rdv)
    time_passes()
    [msg] = emails_to(LUCE)
    assert "- 1 document\n" in text(msg) and "rendez-vous" not in text(msg)
    assert kept

    # Everything withdrawn before the window: no email at all.
    only = share(did)
    unshare(only)
    time_passes()
    assert len(emails_to(LUCE)) == 1


def test_a_later_share_gives_a_second_email(demo):
    did = demo["dossier_ids"][1]
    share(did)
    time_passes()
    assert len(emails_to(LUCE)) == 1
    share(did, "facture")
    share(did, "facture")
    assert len(emails_to(LUCE)) == 1  # the new window has not passed yet
    time_passes()
    msgs = emails_to(LUCE)
    assert len(msgs) == 2
    assert "- 2 factures" in text(msgs[-1]) and "document" not in text(msgs[-1])
    assert f"- {dossier_title(did)}" in text(msgs[-1]) and "Dossier concerné :" in text(msgs[-1])


def test_window_is_configurable(demo, monkeypatch):
    share(demo["dossier_ids"][0])
    assert emails_to(LUCE) == []
    monkeypatch.setattr(settings, "share_group_minutes", 0)
    assert len(emails_to(LUCE)) == 1


@pytest.mark.parametrize(
    "kind, n, expected",
    [("documents", 1, "1 document"), ("documents", 3, "3 documents"), ("rdv", 1, "1 rendez-vous"),
     ("rdv", 2, "2 rendez-vous"), ("factures", 1, "1 facture"), ("factures", 2, "2 factures"),
     ("taches", 2, "2 tâches"), ("temps-passes", 1, "1 temps passé"), ("temps-passes", 2, "2 temps passés"),
     ("frais", 1, "1 frais"), ("frais", 4, "4 frais")],
)
def test_french_singular_and_plural(kind, n, expected):
    assert share_notices.count_label(kind, n) == expected


def test_every_category_in_one_email(demo):
    did = demo["dossier_ids"][0]
    for kind in ("frais", "temps", "temps", "tache", "facture", "rdv", "rdv", "document"):
        share(did, kind)
    time_passes()
    [msg] = emails_to(LUCE)
    lines = [line[2:] for line in text(msg).splitlines() if line.startswith("- ")]
    assert lines[:6] == ["1 document", "2 rendez-vous", "1 facture", "1 tâche", "2 temps passés", "1 frais"]


def test_each_client_of_a_shared_dossier_gets_their_own_email(demo):
    did = demo["dossier_ids"][0]
    with session_scope() as s:
        s.add(DossierClient(dossier_id=did, client_id=demo["other_client_id"]))
        s.commit()
    share(did)
    share(demo["other_dossier_id"], "rdv")  # Marc's own dossier
    time_passes()
    [luce] = emails_to(LUCE)
    [marc] = emails_to(MARC)
    assert "- 1 document" in text(luce) and "rendez-vous" not in text(luce)
    assert "2022IIDOS/0555" not in text(luce)  # never another client's dossier
    assert "- 1 document" in text(marc) and "- 1 rendez-vous" in text(marc)
    assert "Bonjour Marc BERTRAND" in text(marc)


def test_other_firm_client_is_told_by_their_own_firm(demo):
    share(demo["other_firm_dossier_id"], "document", firm_id=demo["other_firm_id"])
    time_passes()
    [msg] = emails_to(PAUL)
    assert "Cabinet LEROY" in str(msg["From"]) and "DELMAS" not in text(msg)
    assert emails_to(LUCE) == []


def test_dossier_unlinked_meanwhile_is_not_named(demo):
    did = demo["dossier_ids"][0]
    share(did)
    with session_scope() as s:
        link = s.get(DossierClient, (did, demo["client_id"]))
        s.delete(link)
        s.commit()
    time_passes()
    assert emails_to(LUCE) == []
    with session_scope() as s:
        assert s.exec(select(ShareNotice).where(ShareNotice.notified_at.is_(None))).all() == []


def test_inactive_client_is_not_emailed(demo):
    share(demo["dossier_ids"][0])
    with session_scope() as s:
        user = s.get(User, demo["client_user_id"])
        user.active = False
        s.add(user)
        s.commit()
    time_passes()
    assert emails_to(LUCE) == []
    with session_scope() as s:
        [notice] = s.exec(select(ShareNotice)).all()
        assert notice.notified_at is not None  # settled, not retried forever


def test_failure_while_queueing_loses_nothing(demo, monkeypatch):
    share(demo["dossier_ids"][0])
    time_passes()

    original = outbox.enqueue

    def broken(*a, **k):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(share_notices.queueing, "enqueue", broken)
    outbox.run_once()
    with session_scope() as s:
        assert s.exec(select(ShareNotice).where(ShareNotice.notified_at.is_(None))).all() != []  # rolled back
    monkeypatch.setattr(share_notices.queueing, "enqueue", original)
    [msg] = emails_to(LUCE)
    assert "- 1 document" in text(msg)


def test_concurrent_flushes_send_one_email(demo):
    for did in demo["dossier_ids"][:2]:
        share(did)
    share(demo["other_dossier_id"])
    time_passes()
    barrier = threading.Barrier(4)
    errors = []

    def flush():
        try:
            barrier.wait()
            with session_scope() as s:
                share_notices.flush_due(s)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=flush) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(emails_to(LUCE)) == 1 and len(emails_to(MARC)) == 1


def test_due_groups_lists_clients_past_the_window(demo):
    share(demo["dossier_ids"][0])
    with session_scope() as s:
        assert share_notices.due_groups(s) == []
        later = datetime.now().astimezone() + timedelta(minutes=6)
        assert share_notices.due_groups(s, later) == [demo["client_id"]]
