"""What the client's screens show, as display strings: the categories (home tiles
and list pages), a row of a list or a tab, a dossier and its tabs. Built by the
screens' services (home.py, lists.py, dossiers.py, search.py, news.py); the
categories, tabs and rows come from the item-kind registry (domain/items.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from espace.domain import items as registry

DOSSIERS = "dossiers"  # the category of the client's dossiers themselves, second on the home page


@dataclass(frozen=True, slots=True)
class Category:
    key: str  # URL segment, e.g. "temps-passes"
    label: str  # visible label, e.g. "Temps passés"
    kind: registry.ItemKind | None  # None for the dossiers


def categories() -> list[Category]:
    """The home tiles and list pages: the first kind (documents), the dossiers, then the other kinds."""
    kinds = [Category(k.key, k.label, k) for k in registry.kinds()]
    return [*kinds[:1], Category(DOSSIERS, "Dossiers", None), *kinds[1:]]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One line of a list or a tab, as display strings. `pay`: the payment page of an
    invoice payable online now (firm payments on), else "". `new` and `receipt` (a
    deposit's « Consulté par le cabinet le … »): set by services/client/news.annotate."""

    id: str
    date: str = ""
    name: str = ""
    detail: str = ""
    url: str = ""
    dossier: str = ""
    dossier_id: str = ""
    pay: str = ""
    agenda: str = ""  # an appointment's .ics route (« Ajouter à mon agenda »)
    new: bool = False
    receipt: str = ""


@dataclass(frozen=True, slots=True)
class Tile:
    key: str
    label: str
    count: int


class DossierChoice(TypedDict):
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Home:
    name: str
    tiles: list[Tile]
    dossiers: list[DossierChoice]


@dataclass(frozen=True, slots=True)
class CategoryPage:
    """One page of a category list. `newer` / `older`: the cursors of the pages of
    newer (`?apres=`) and older (`?avant=`) items, "" when there are none."""

    label: str
    rows: list[ItemRow]
    total: int
    newer: str = ""
    older: str = ""
    dossier: str = ""  # the dossier filter applied (`?dossier=<id>`), "" for all the client's dossiers
    choices: list[DossierChoice] = field(default_factory=list)  # the filter's dossiers (none for /dossiers)


@dataclass(frozen=True, slots=True)
class TabCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class TabPage:
    """One page of one dossier tab (`key`), newest first; cursors as CategoryPage's."""

    key: str
    rows: list[ItemRow]
    newer: str = ""
    older: str = ""


@dataclass(frozen=True, slots=True)
class ClientDossier:
    id: str
    label: str
    reference: str
    title: str
    interlocutor: str
    tabs: list[TabCount]  # the non-empty ones
    page: TabPage  # the active tab's first page (key "" when every tab is empty)
