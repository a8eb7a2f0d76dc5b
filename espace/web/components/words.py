"""French plurals of a number the browser holds (a state var): the same rule as
`espace.domain.french.count` (plural from 2 on), for a var that changes without a round trip."""
from __future__ import annotations

import reflex as rx

from espace.domain import french


def count_of(number, singular: str, plural_form: str | None = None) -> rx.Var:
    """« 2 messages non lus », « 1 message non lu » for an int var `number`."""
    shown = number.to_string() + french.NBSP
    return rx.cond(number >= french.PLURAL_FROM,
                   shown + french.plural(french.PLURAL_FROM, singular, plural_form),
                   shown + singular)
