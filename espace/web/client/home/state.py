"""The home page: what is new and what is next, the tiles (with their « N nouveaux »
badges) and the dossiers a deposit can go to."""
from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from espace.domain import french
from espace.domain import items as registry
from espace.models import User
from espace.services.client import home, news
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


@dataclass(frozen=True, slots=True)
class HomeTile:
    key: str
    label: str
    count: int
    new: int  # items of the category the client has not opened yet
    new_label: str  # « 3 nouvelles » (its kind's gender and number), "" when none


class HomeState(LoadedPage, SessionState):
    name: str = ""
    tiles: list[HomeTile] = []
    dossier_choices: list[dict[str, str]] = []
    since: str = ""
    news_items: list[news.NewsItem] = []
    news_groups: list[news.NewsGroup] = []
    upcoming: list[news.Upcoming] = []
    to_pay: list[news.ToPay] = []
    answers: list[news.Answer] = []

    @client_event
    def load(self, user: User):
        page = home.home_page(user)
        data, fresh = page.home, page.news
        self.name = data.name
        tiles = [HomeTile(t.key, t.label, t.count, n, french.count(n, kind.new_word(1), kind.new_word(2)) if kind and n else "")
                 for t in data.tiles for n, kind in [(fresh.new_counts.get(t.key, 0), registry.kind(t.key))]]
        self._keep("tiles", tiles)  # coming back home: unchanged tiles and choices are not sent again
        self._keep("dossier_choices", [dict(c) for c in data.dossiers])
        self.since = fresh.since
        self._keep("news_items", fresh.items)
        self._keep("news_groups", fresh.groups)
        self._keep("upcoming", fresh.upcoming)
        self._keep("to_pay", fresh.to_pay)
        self._keep("answers", fresh.answers)
        self.unread_answers = fresh.unread
        self.loaded = True

    @rx.event
    async def refresh(self):
        """After a deposit: recount the tiles (`load` is guarded: a coroutine, web/access.py)."""
        return await self.load()
