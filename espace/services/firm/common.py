"""What the firm services share: a page of a list, and
the search pattern of the list filters."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from espace.config import settings
from espace.domain.ids import parse_page

T = TypeVar("T")

SEARCH_MAX = 100  # characters of a search read
SEARCH_WORDS = 5  # words of a search that filter


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a firm list: its rows, the number of rows of the whole list, the
    page shown and the number of pages (at least 1)."""
    rows: list[T]
    total: int
    page: int
    pages: int


def page_of(total: int, page: object) -> tuple[int, int, int]:
    """(page, pages, size) of a list of `total` rows shown settings.page_size at a time:
    the asked page kept within 1..pages (1 if it is not a number), pages at least 1."""
    size = settings.page_size
    pages = max(1, math.ceil(total / size))
    return min(parse_page(page), pages), pages, size


def like_pattern(word: str) -> str:
    """An SQL LIKE pattern matching `word` anywhere, its % _ and \\ taken literally
    (use with `escape="\\\\"`)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
