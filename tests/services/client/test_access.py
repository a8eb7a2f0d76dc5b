"""The client's access rule (services/client/access.py), on every client read path: an
account deactivated since it was read gets nothing; a client reads only the dossiers
of their firm they are linked to (not another firm's, even through a stray link; not a
dossier of their firm they are not on)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import col, select

from espace.db import session_scope
from espace.demo import make_pdf
from espace.models import Document, DossierClient, Facture, Rdv, User
from espace.services import AccessDenied, payments
from espace.services.client import (
    access,
    agenda,
    contact,
    deposit,
    dossier_view,
    home,
    lists,
    messaging,
    news,
    search,
    views,
)
from tests.admin_helpers import user as _user


class Feed:
    def __init__(self, data: bytes):
        self.data = data

    def __aiter__(self):
        return self._chunks()

    async def _chunks(self):
        yield self.data


def _shared(model: Any, dossier_id: int) -> int | None:
    with session_scope() as s:
        return s.exec(select(model.id).where(col(model.dossier_id) == dossier_id,
                                             col(model.shared_at).is_not(None)).order_by(col(model.id))).first()


def _reads(dossier_id: int) -> dict[str, Callable[[User], Any]]:
    """Every read of one dossier a client screen or route makes, by name (those of its
    first shared document and RDV when it has them)."""
    doc, rdv = _shared(Document, dossier_id), _shared(Rdv, dossier_id)
    items: dict[str, Callable[[User], Any]] = {}
    if doc is not None:
        items["dossier_view.document_for_download"] = lambda u: dossier_view.document_for_download(u, doc)
    if rdv is not None:
        items["agenda.rdv_ics"] = lambda u: agenda.rdv_ics(u, rdv)
    return {**items,
        "access.client_dossier": lambda u: _in_session(access.client_dossier, u, dossier_id),
        "access.client_dossier_ref": lambda u: _in_session(access.client_dossier_ref, u, dossier_id),
        "dossier_view.dossier": lambda u: dossier_view.dossier(u, dossier_id),
        "dossier_view.dossier_page": lambda u: dossier_view.dossier_page(u, dossier_id),
        "dossier_view.dossier_tab": lambda u: dossier_view.dossier_tab(u, dossier_id, "recus"),
        "dossier_view.tab_page": lambda u: dossier_view.tab_page(u, dossier_id, "rdv"),
        "messaging.contact_target": lambda u: messaging.contact_target(u, dossier_id),
        "messaging.thread": lambda u: messaging.thread(u, dossier_id),
        "messaging.send": lambda u: messaging.send(u, dossier_id, "Objet", "Texte"),
        "deposit.deposit_stream": lambda u: asyncio.run(deposit.deposit_stream(u, dossier_id, "a.pdf",
                                                                               Feed(make_pdf("a")))),
        "deposit.notify_batch": lambda u: deposit.notify_batch(u, dossier_id, ["a.pdf"]),
    }


def _in_session(fn: Callable[..., Any], user: User, dossier_id: int) -> Any:
    with session_scope() as s:
        return fn(s, user, dossier_id)


def _refused(read: Callable[[User], Any], user: User) -> bool:
    try:
        read(user)
    except AccessDenied:
        return True
    return False


def _deactivate(user_id: int) -> None:
    with session_scope() as s:
        u = s.get(User, user_id)
        assert u is not None
        u.active = False
        s.add(u)
        s.commit()


def test_a_deactivated_account_gets_nothing_on_every_client_read_path(demo):
    luce = _user(demo["client_user_id"])  # read while active: the services must read it again
    did = demo["dossier_ids"][0]
    reads = _reads(did)
    assert {"dossier_view.document_for_download", "agenda.rdv_ics"} <= set(reads)
    facture = _shared(Facture, did)
    assert not any(_refused(read, luce) for name, read in reads.items() if name != "deposit.notify_batch")
    _deactivate(luce.id)
    assert luce.active  # the caller's copy still says so
    for name, read in reads.items():
        assert _refused(read, luce), name
    whole: dict[str, Callable[[User], Any]] = {
        "access.acting_client": lambda u: _in_session(lambda s, u, _: access.acting_client(s, u), u, 0),
        "home.home": home.home,
        "home.home_page": home.home_page,
        "lists.list_page": lambda u: lists.list_page(u, "documents"),
        "search.search": lambda u: search.search(u, "ALEXANDER"),
        "news.news": news.news,
        "messaging.messages_page": lambda u: messaging.messages_page(u, did),
        "agenda.feed_status": agenda.feed_status,
        "agenda.create_feed": agenda.create_feed,
        "contact.current_values": contact.current_values,
        "contact.pending": contact.pending,
        "payments.payment_view": lambda u: payments.payment_view(u, facture),
        **{f"lists.list_category {c.key}": lambda u, key=c.key: lists.list_category(u, key)
           for c in views.categories()},
    }
    for name, read in whole.items():
        assert _refused(read, luce), name
    assert news.unread_answers(luce) == 0
    row = views.ItemRow(id=str(_shared(Rdv, did)))
    assert news.annotate(luce, "rdv", [row]) == [row]
    with session_scope() as s:
        assert news.mark_seen(s, luce, "rdv", [row.id]) == []


def test_a_client_of_one_firm_cannot_read_another_firms_dossier(demo):
    luce = _user(demo["client_user_id"])
    other = demo["other_firm_dossier_id"]
    # Even a link to it (which the firm screens never make) does not open it: the
    # dossier must be of the client's own firm.
    with session_scope() as s:
        s.add(DossierClient(dossier_id=other, client_id=demo["client_id"]))
        s.commit()
    for name, read in _reads(other).items():
        assert _refused(read, luce), name
    assert all(c["id"] != str(other) for c in home.home(luce).dossiers)
    assert lists.list_category(luce, "documents", dossier=other).dossier == ""  # no filter: not theirs
    assert messaging.messages_page(luce, other).target is None


def test_a_client_of_two_firms_reads_each_firms_dossiers_as_that_firms_client(demo):
    in_a, in_b = (_user(i) for i in demo["both_firms_user_ids"])
    dossier_a, dossier_b = demo["both_firms_dossier_ids"]
    reads_a, reads_b = _reads(dossier_a), _reads(dossier_b)
    assert "dossier_view.document_for_download" in reads_b
    for name, read in reads_b.items():
        if name not in ("messaging.send", "deposit.deposit_stream", "deposit.notify_batch"):
            assert not _refused(read, in_b), name
            assert _refused(read, in_a), name
    for name, read in reads_a.items():
        assert _refused(read, in_b), name
    assert [c["id"] for c in home.home(in_a).dossiers] == [str(dossier_a)]


def test_a_client_not_on_a_dossier_cannot_read_it(demo):
    marc = _user(demo["other_client_user_id"])  # same firm as Luce, not on her dossiers
    did = demo["dossier_ids"][0]
    for name, read in _reads(did).items():
        assert _refused(read, marc), name
    assert all(c["id"] != str(did) for c in home.home(marc).dossiers)
    assert messaging.messages_page(marc, did).target is None
    assert not search.search(marc, "AGENCE IMMO").groups


def test_the_firms_people_are_not_clients(demo):
    lawyer = _user(demo["lawyer_id"])
    with session_scope() as s, pytest.raises(AccessDenied):
        access.acting_client(s, lawyer)
    with pytest.raises(AccessDenied):
        home.home_page(lawyer)
