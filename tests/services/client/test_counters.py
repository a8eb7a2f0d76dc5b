"""The clients' maintained counts (services/shared/counters.py, issue 21): after every
write that changes them, through the one service function each write goes through,
they equal a count from scratch; the home, the lists and the header read them; the
check sees a wrong count and the repair mends it. On SQLite, and on PostgreSQL with
ESPACE_TEST_SCALE=1."""
from __future__ import annotations

import asyncio
import os
import random
from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlmodel import col, select, update

from espace import __main__ as espace_main
from espace.db import session_scope
from espace.demo import make_pdf
from espace.domain import items as registry
from espace.models import Client, ClientCount, Direction, Document, Dossier, ItemSeen, User
from espace.services.client import deposit, dossier_view, home, lists, messaging, news
from espace.services.firm import dossiers as firm_dossiers
from espace.services.firm import messages as firm_messages
from espace.services.firm import sharing
from espace.services.shared import counters
from tests.admin_helpers import user as _user


def _differences() -> list[str]:
    with session_scope() as s:
        return counters.differences(s.connection())


class _Feed:
    def __init__(self, data: bytes):
        self.data = data

    async def _gen(self):
        yield self.data

    def __aiter__(self):
        return self._gen()


class _World:
    """The demo firm as the random walk sees it: its lawyer, its clients, its dossiers."""

    def __init__(self, demo, rng: random.Random):
        self.rng = rng
        self.lawyer = _user(demo["lawyer_id"])
        with session_scope() as s:
            self.clients = [(c.id, c.user_id) for c in s.exec(
                select(Client).where(Client.firm_id == demo["firm_id"]).order_by(col(Client.id))).all()]
            self.dossiers = list(s.exec(select(Dossier.id).where(Dossier.firm_id == demo["firm_id"])
                                        .order_by(col(Dossier.id))).all())
        assert len(self.clients) >= 3 and len(self.dossiers) >= 4

    def client(self) -> User:
        return _user(self.rng.choice(self.clients)[1])

    def client_in_a_dossier(self) -> tuple[User, int] | None:
        """A client of the firm and one of their dossiers (None: they have none now)."""
        who = self.client()
        mine = [int(c["id"]) for c in home.home(who).dossiers]
        return (who, self.rng.choice(mine)) if mine else None

    def item(self) -> tuple[str, int] | None:
        kind = self.rng.choice(registry.kinds())
        with session_scope() as s:
            ids = list(s.exec(select(kind.model.id).where(col(kind.model.dossier_id).in_(self.dossiers),
                                                          *kind.firm_where)).all())
        return (kind.key, self.rng.choice(ids)) if ids else None

    # ---- the writes, each through its service
    def share_or_unshare(self) -> str:
        found = self.item()
        if found is None:
            return "nothing to share"
        key, item_id = found
        if not sharing.share(self.lawyer, key, item_id):
            assert sharing.unshare(self.lawyer, key, item_id)
            return f"unshare {key} {item_id}"
        return f"share {key} {item_id}"

    def add(self) -> str:
        did = self.rng.choice(self.dossiers)
        shared = self.rng.random() < 0.7
        ok, errors, _ = sharing.add_item(self.lawyer, did, "taches", {"date": "10/01/2027", "libelle": "Pièce"},
                                         share_now=shared)
        assert ok, errors
        return f"add a tâche to {did} shared={shared}"

    def see_list(self) -> str:
        who = self.client()
        key = self.rng.choice([k.key for k in registry.kinds()])
        lists.list_page(who, key, fin="1" if self.rng.random() < 0.5 else None)
        return f"{who.id} lists {key}"

    def see_tab(self) -> str:
        if (found := self.client_in_a_dossier()) is None:
            return "no dossier"
        who, did = found
        tab = self.rng.choice([t.key for k in registry.kinds() for t in k.tabs])
        dossier_view.dossier_page(who, did, tab)
        return f"{who.id} opens {did} tab {tab}"

    def open_documents(self) -> str:
        who = self.client()
        with session_scope() as s:
            docs = list(s.exec(select(Document.id).where(col(Document.dossier_id).in_(self.dossiers))).all())
            picked = self.rng.sample(docs, min(len(docs), 3))
            news.mark_seen(s, who, "documents", picked)
            s.commit()
        return f"{who.id} opens documents {picked}"

    def answer(self) -> str:
        did = self.rng.choice(self.dossiers)
        assert firm_messages.answer(self.lawyer, did, "Bonjour, voici la réponse.", "Réponse").ok
        return f"answer in {did}"

    def read(self) -> str:
        if (found := self.client_in_a_dossier()) is None:
            return "no dossier"
        who, did = found
        messaging.messages_page(who, did)
        return f"{who.id} reads {did}"

    def deposit(self) -> str:
        if (found := self.client_in_a_dossier()) is None:
            return "no dossier"
        who, did = found
        result = asyncio.run(deposit.deposit_stream(who, did, "piece.pdf", _Feed(make_pdf("pièce"))))
        assert result.ok, result
        return f"{who.id} deposits into {did}"

    def relink(self) -> str:
        did = self.rng.choice(self.dossiers)
        current = firm_dossiers.get_dossier(self.lawyer, did)
        chosen = self.rng.sample([c for c, _ in self.clients], self.rng.randint(1, 2))
        outcome = firm_dossiers.update_dossier(self.lawyer, did, {**asdict(current),
                                                                  "client_ids": [str(c) for c in chosen]})
        assert outcome.ok, outcome
        return f"dossier {did} now for clients {chosen}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_the_truth_after_every_write(demo, seed):
    rng = random.Random(seed)
    world = _World(demo, rng)
    steps = [world.share_or_unshare, world.add, world.see_list, world.see_tab, world.open_documents, world.answer,
             world.read, world.deposit, world.relink]
    weights = [6, 2, 3, 3, 3, 2, 2, 1, 2]
    assert _differences() == []  # the demo's, recounted once it was loaded
    done = []
    for _ in range(30):
        done.append(rng.choices(steps, weights)[0]())
        assert _differences() == [], done


def test_the_pages_show_the_counts(demo):
    luce = _user(demo["client_user_id"])
    with session_scope() as s:
        key = s.exec(select(Client).where(Client.user_id == luce.id)).one()
        counted = counters.read(s.connection(), key.id)
    page = home.home_page(luce)
    assert {t.key: t.count for t in page.home.tiles} == {k: n for k, n in counted.shared.items() if n and k != "messages"}
    assert page.news.new_counts == counted.new() and page.news.unread == counted.unread
    shown = lists.list_page(luce, "documents")
    assert shown.page.total == counted.shared["documents"] and shown.unread == counted.unread
    # A new answer: one more unread for her, read once she opens the dossier's messages.
    did = demo["dossier_ids"][0]
    assert firm_messages.answer(_user(demo["lawyer_id"]), did, "Votre pièce est arrivée.").ok
    assert news.unread_answers(luce) == counted.unread + 1
    assert messaging.messages_page(luce, did).unread == counted.unread


def test_new_items_shared_and_taken_back_move_the_badges(demo):
    luce, lawyer = _user(demo["client_user_id"]), _user(demo["lawyer_id"])
    before = news.news(luce).new_counts.get("taches", 0)
    ok, _, tid = sharing.add_item(lawyer, demo["dossier_ids"][0], "taches", {"date": "10/01/2027", "libelle": "Signer"})
    assert ok and news.news(luce).new_counts.get("taches", 0) == before + 1
    assert sharing.unshare(lawyer, "taches", tid)
    assert news.news(luce).new_counts.get("taches", 0) == before
    # Seen, taken back, shared again: not new any more.
    assert sharing.share(lawyer, "taches", tid)
    with session_scope() as s:
        assert news.mark_seen(s, luce, "taches", [tid]) == [tid]
        s.commit()
    assert sharing.unshare(lawyer, "taches", tid) and sharing.share(lawyer, "taches", tid)
    assert news.news(luce).new_counts.get("taches", 0) == before
    # Her own deposit is in the documents tile, never in its « nouveaux ».
    docs = home.home(luce)
    new_docs = news.news(luce).new_counts.get("documents", 0)
    result = asyncio.run(deposit.deposit_stream(luce, demo["dossier_ids"][0], "a.pdf", _Feed(make_pdf("a"))))
    assert result.ok
    tiles = {t.key: t.count for t in home.home(luce).tiles}
    assert tiles["documents"] == {t.key: t.count for t in docs.tiles}["documents"] + 1
    assert news.news(luce).new_counts.get("documents", 0) == new_docs
    with session_scope() as s:
        mine = s.exec(select(Document.id).where(Document.direction == Direction.depose,
                                                Document.dossier_id == demo["dossier_ids"][0])).first()
        news.mark_seen(s, luce, "documents", [mine])
        s.commit()
    assert _differences() == []


def test_a_client_refused_a_dossier_loses_its_counts(demo):
    luce, lawyer = _user(demo["client_user_id"]), _user(demo["lawyer_id"])
    did = demo["dossier_ids"][0]
    before = {t.key: t.count for t in home.home(luce).tiles}
    current = firm_dossiers.get_dossier(lawyer, did)
    others = [str(c) for c in current.client_ids if c != demo["client_id"]] or [str(demo["other_client_id"])]
    assert firm_dossiers.update_dossier(lawyer, did, {**asdict(current), "client_ids": others}).ok
    after = {t.key: t.count for t in home.home(luce).tiles}
    assert after["dossiers"] == before["dossiers"] - 1 and after["documents"] < before["documents"]
    assert _differences() == []


def test_recount_checks_and_repairs(demo, capsys):
    with session_scope() as s:
        s.exec(update(ClientCount).where(col(ClientCount.client_id) == demo["client_id"],  # type: ignore[call-overload]
                                         col(ClientCount.kind) == "documents").values(shared=999, unseen=0))
        s.commit()
    wrong = _differences()
    assert len(wrong) == 1 and wrong[0].startswith(f"client {demo['client_id']} documents: stored (999, 0)")
    luce = _user(demo["client_user_id"])
    assert ("Documents", 999) in [(t.label, t.count) for t in home.home(luce).tiles]  # what the page reads
    assert _command("recount", capsys) == (2, "Erreur : 1\u00a0compteur faux : relancez avec --repair pour les recalculer.")
    code, said = _command("recount --repair", capsys)
    assert code == 0 and "1\u00a0compteur faux recalculé (" in said
    assert _differences() == []
    assert _command("recount", capsys) == (0, "Compteurs des clients : à jour.")


def _command(line: str, capsys) -> tuple[int, str]:
    """`python -m espace <line>` in this process (on the test's database): its exit code and last line."""
    mask = os.umask(0o022)
    os.umask(mask)
    try:
        code = espace_main.main(line.split())
    finally:
        os.umask(mask)
    said = capsys.readouterr()
    return code, (said.out + said.err).strip().splitlines()[-1]


def test_news_looks_further_back_while_what_is_recent_was_seen(demo):
    """« Nouveautés » reads the last year's shares first, then further back and deeper:
    an item shared three years ago is still shown when everything newer was seen."""
    luce = _user(demo["client_user_id"])
    with session_scope() as s:
        docs = list(s.exec(select(Document).where(col(Document.dossier_id).in_(demo["dossier_ids"]),
                                                  Document.direction == Direction.recu,
                                                  col(Document.shared_at).is_not(None))).all())
        seen = set(s.exec(select(ItemSeen.item_id).where(ItemSeen.user_id == luce.id,
                                                         ItemSeen.kind == "documents")).all())
        old = next(d for d in docs if d.id not in seen)
        old.shared_at = old.shared_at - timedelta(days=3 * 365)
        s.add(old)
        s.commit()
        old_id = old.id
    with session_scope() as s:
        news.mark_seen(s, luce, "documents", [d.id for d in docs if d.id != old_id])
        for kind in registry.kinds()[1:]:  # every other kind seen: the old document is the only news
            news.mark_seen(s, luce, kind.key, s.exec(select(kind.model.id).where(
                col(kind.model.dossier_id).in_(demo["dossier_ids"]))).all())
        s.commit()
    with session_scope() as s:  # as on a first visit: everything since the beginning
        s.exec(update(User).where(col(User.id) == luce.id).values(previous_login_at=None))  # type: ignore[call-overload]
        s.commit()
    shown = news.news(luce)
    assert shown.new_counts == {"documents": 1}
    assert [i.href for i in shown.items] == [f"/api/documents/{old_id}"]
