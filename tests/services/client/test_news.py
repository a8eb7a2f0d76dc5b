"""What is new and what is next for a client: counts of unseen items, « Nouveautés »
since the previous visit, « À venir », unread answers; mark_seen idempotent and scoped;
read receipts both ways, in the audit trail."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from espace.db import session_scope
from espace.domain import items
from espace.models import AuditEvent, Direction, Document, ItemSeen, Rdv, User, utcnow
from espace.services.client import dossier_view, messaging, news
from espace.services.firm import dossier_page, sharing
from espace.services.firm import messages as firm_messages
from tests import admin_helpers
from tests.admin_helpers import user as _user


def _luce(demo) -> User:
    return _user(demo["client_user_id"])


def _forget_seen() -> None:
    with session_scope() as s:
        for row in s.exec(select(ItemSeen)).all():
            s.delete(row)
        s.commit()
    admin_helpers.recount()  # deleted directly: the clients' counts recomputed


def _received(demo, dossier: int = 0) -> list[Document]:
    with session_scope() as s:
        return list(s.exec(select(Document).where(
            Document.dossier_id == demo["dossier_ids"][dossier], Document.direction == Direction.recu,
            col(Document.shared_at).is_not(None)).order_by(col(Document.id))).all())


def test_everything_unseen_is_new_until_opened_and_marking_is_idempotent(demo):
    _forget_seen()
    luce = _luce(demo)
    data = news.news(luce)
    # shared received documents only (her 3 deposits are not news to her)
    assert data.new_counts == {"documents": 42, "rdv": 9, "factures": 1, "taches": 8, "temps-passes": 11, "frais": 1}
    assert len(data.items) == news.NEWS_MAX and data.since == ""
    doc = _received(demo)[0]
    with session_scope() as s:
        assert news.mark_seen(s, luce, "documents", [doc.id, str(doc.id)]) == [doc.id]
        assert news.mark_seen(s, luce, "documents", [doc.id]) == []
        s.commit()
    assert news.news(luce).new_counts["documents"] == 41
    with session_scope() as s:
        opened = s.exec(select(AuditEvent).where(AuditEvent.action == "document_ouvert")).all()
    assert [e.detail for e in opened] == [f"document {doc.id}"]


def test_mark_seen_ignores_other_clients_items_hidden_items_and_bad_ids(demo):
    _forget_seen()
    luce = _luce(demo)
    with session_scope() as s:
        marc_doc = s.exec(select(Document.id).where(Document.dossier_id == demo["other_dossier_id"])).first()
        hidden = s.exec(select(Document.id).where(col(Document.shared_at).is_(None))).first()
        assert news.mark_seen(s, luce, "documents", [marc_doc, hidden, "abc", -1, 10**30, None]) == []
        assert news.mark_seen(s, luce, "nope", [1]) == []
        lawyer = _user(demo["lawyer_id"])
        assert news.mark_seen(s, lawyer, "documents", [_received(demo)[0].id]) == []
        s.commit()
        assert s.exec(select(ItemSeen)).all() == []


def test_annotate_marks_shown_rows_and_shows_the_deposit_receipt(demo):
    _forget_seen()
    luce, lawyer = _luce(demo), _user(demo["lawyer_id"])
    did = demo["dossier_ids"][0]
    tab = dossier_view.dossier_tab(luce, did, "rdv")
    rows = news.annotate(luce, "rdv", tab.rows)
    assert rows and all(r.new for r in rows)  # badge on this visit…
    assert not any(r.new for r in news.annotate(luce, "rdv", tab.rows))  # …not on the next one
    docs = news.annotate(luce, "recus", dossier_view.dossier_tab(luce, did, "recus").rows)
    assert all(r.new for r in docs)
    assert all(r.new for r in news.annotate(luce, "recus", dossier_view.dossier_tab(luce, did, "recus").rows))
    deposits = dossier_view.dossier_tab(luce, did, "deposes").rows
    shown = news.annotate(luce, "deposes", deposits)
    assert [r.receipt for r in shown] == ["Pas encore consulté par le cabinet"] and not shown[0].new
    with session_scope() as s:
        doc = s.get(Document, int(deposits[0].id))
        sharing.mark_deposit_opened(s, lawyer, doc)
        s.commit()
    shown = news.annotate(luce, "deposes", deposits)
    assert shown[0].receipt.startswith("Consulté par le cabinet le ")
    with session_scope() as s:
        trail = s.exec(select(AuditEvent).where(AuditEvent.action == "document_consulte")).all()
    assert [(e.user_id, e.subject_user_id) for e in trail] == [(lawyer.id, luce.id)]


def test_firm_sees_when_the_client_first_opened_a_document(demo):
    _forget_seen()
    luce, lawyer = _luce(demo), _user(demo["lawyer_id"])
    doc = _received(demo)[0]
    with session_scope() as s:
        news.mark_seen(s, luce, "documents", [doc.id])
        s.commit()
    rows = dossier_page.tab_page(lawyer, demo["dossier_ids"][0], "documents").rows
    opened = {r.id: r.opened for r in rows}
    assert opened[str(doc.id)].startswith("Ouvert par le client le ")
    assert sum(1 for v in opened.values() if v) == 1


def test_news_since_previous_visit_upcoming_to_pay_and_unread_answers(demo):
    _forget_seen()
    luce, lawyer = _luce(demo), _user(demo["lawyer_id"])
    with session_scope() as s:
        u = s.get(User, luce.id)
        u.previous_login_at = utcnow() - timedelta(days=10)
        s.add(u)
        s.commit()
    luce = _luce(demo)
    did = demo["dossier_ids"][0]
    assert firm_messages.answer(lawyer, did, "Votre audience est confirmée.", "Audience").ok
    data = news.news(luce)
    assert data.since and len(data.items) == news.NEWS_MAX  # unseen is news, however old the visit
    assert len(data.upcoming) == news.UPCOMING_MAX
    assert data.upcoming[0].when.split()[0] in {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
                                                "dimanche"}
    assert [p.name for p in data.to_pay] == ["Facture n° FA-2024-0042"]
    assert data.unread == 1 and news.unread_answers(luce) == 1
    assert [(a.subject, a.author) for a in data.answers] == [("Audience", "Fabien DELMAS")]
    # Marc sees none of it
    marc = _user(demo["other_client_user_id"])
    assert news.unread_answers(marc) == 0 and all("ALEXANDER" not in i.dossier for i in news.news(marc).items)
    # reading the thread: « Lu le … » for the firm, in the trail
    messaging.thread(luce, did)
    assert news.unread_answers(luce) == 0
    answer = firm_messages.read_thread(lawyer, did)[-1]
    assert answer["read"].startswith("Lu le ")
    with session_scope() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "messages_lus",
                                               AuditEvent.user_id == luce.id)).first() is not None


def test_login_keeps_the_previous_visit(demo):
    admin_helpers.session_token("academy@secib.fr", "a12RJ3d11P")
    first = _luce(demo).last_login_at
    admin_helpers.session_token("academy@secib.fr", "a12RJ3d11P")
    luce = _luce(demo)
    assert luce.previous_login_at == first and luce.last_login_at >= first


def test_the_firms_thread_list_says_when_its_last_answer_was_read(demo):
    luce, lawyer = _luce(demo), _user(demo["lawyer_id"])
    did = demo["dossier_ids"][1]
    assert firm_messages.answer(lawyer, did, "Bonjour, la date est fixée.", "Date").ok
    assert firm_messages.threads(lawyer)[0].last_read == ""
    messaging.thread(luce, did)
    assert firm_messages.threads(lawyer)[0].last_read.startswith("Lu le ")


def _second_login_now(demo) -> User:
    with session_scope() as s:
        u = s.get(User, demo["client_user_id"])
        u.previous_login_at = utcnow()  # after every share: nothing was shared « since the last visit »
        s.add(u)
        s.commit()
    return _luce(demo)


def test_second_login_news_agrees_with_the_tiles(demo):
    """Issue 23: on the second login « Nouveautés » said « Rien de nouveau » next to « RDV 3 nouveaux »."""
    _forget_seen()
    luce = _second_login_now(demo)
    with session_scope() as s:
        rdv = s.exec(select(Rdv).where(col(Rdv.shared_at).is_not(None), col(Rdv.dossier_id).in_(demo["dossier_ids"]))
                     .order_by(col(Rdv.shared_at).desc(), col(Rdv.id).desc())).all()
        news.mark_seen(s, luce, "rdv", [r.id for r in rdv[3:]])  # three RDV left new
        s.commit()
    data = news.news(luce)
    assert data.since and data.new_counts["rdv"] == 3
    assert data.items  # never « Rien de nouveau » while a tile counts something new
    listed = {k: sum(1 for i in data.items if i.kind == k) for k in data.new_counts}
    grouped = {g.kind: g.label for g in data.groups}
    for kind, count in data.new_counts.items():  # every new item listed, or its kind grouped
        assert listed[kind] == count or grouped[kind].startswith(f"{count}\u00a0nouve"), (kind, count, data)


def test_past_eight_items_news_groups_the_rest_by_kind_with_real_plurals(demo):
    _forget_seen()
    data = news.news(_luce(demo))
    assert len(data.items) == news.NEWS_MAX
    assert all(g.href == f"/{g.kind}" for g in data.groups)  # « Tout voir »: the kind's list
    labels = [g.label for g in data.groups]
    assert "42\u00a0nouveaux documents" in labels and "9\u00a0nouveaux rendez-vous" in labels
    assert "8\u00a0nouvelles tâches" in labels and "11\u00a0nouveaux temps passés" in labels
    listed = {k: sum(1 for i in data.items if i.kind == k) for k in data.new_counts}
    assert {g.kind for g in data.groups} == {k for k, n in data.new_counts.items() if n > listed[k]}
    assert {g.kind for g in data.groups} | {k for k, n in listed.items() if n} == set(data.new_counts)


def test_news_goes_deeper_when_the_newest_items_were_opened(demo):
    _forget_seen()
    luce = _luce(demo)
    docs = sorted((d for i in range(len(demo["dossier_ids"])) for d in _received(demo, i)),
                  key=lambda d: (d.shared_at, d.id), reverse=True)
    assert len(docs) > news.NEWS_MAX * 4  # the first probe's depth: the two are found deeper
    with session_scope() as s:
        news.mark_seen(s, luce, "documents", [d.id for d in docs[:-2]])  # only the two oldest left unopened
        for kind in items.kinds()[1:]:  # and nothing else
            model = kind.model
            news.mark_seen(s, luce, kind.key, s.exec(select(model.id).where(
                col(model.dossier_id).in_(demo["dossier_ids"]))).all())
        s.commit()
    data = news.news(luce)
    assert data.new_counts == {"documents": 2} and data.groups == []
    assert {i.name for i in data.items if i.kind == "documents"} == {d.name for d in docs[-2:]}


def test_new_counts_read_as_french():
    assert [items.kind("documents").new_count(1), items.kind("documents").new_count(12)] == [
        "1\u00a0nouveau document", "12\u00a0nouveaux documents"]
    assert [items.kind("factures").new_count(1), items.kind("taches").new_count(3)] == [
        "1\u00a0nouvelle facture", "3\u00a0nouvelles tâches"]
    assert items.kind("rdv").new_count(3) == "3\u00a0nouveaux rendez-vous"
    assert [items.kind("taches").new_word(1), items.kind("frais").new_word(2)] == ["nouvelle", "nouveaux"]
