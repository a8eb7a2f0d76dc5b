"""THE parser of ids and page numbers that come from outside (URLs, query strings,
event payloads, forms): every route and handler goes through it, so a huge number, a
float, a list or `1e23` is refused here instead of overflowing the database driver."""
from __future__ import annotations

import re

# The largest INTEGER: every id column is INTEGER (SERIAL on PostgreSQL), so nothing
# larger can exist in any table; PostgreSQL would refuse a larger bound value
# ("integer out of range") instead of finding nothing.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
_DECIMAL = re.compile(r"[0-9]{1,19}")  # ASCII digits only: no sign, exponent, "²" or "٣"


def parse_id(value: object) -> int | None:
    """A positive id, from an int or a decimal string (surrounding spaces allowed),
    in 1..2**31-1 (MAX_ID); None for anything else (bool, float, list, "1e23", "-1", "")."""
    return _positive(value, MAX_ID)


def parse_page(value: object, default: int = 1) -> int:
    """A page number read like an id (up to 2**63-1), capped at MAX_PAGE; `default`
    when absent or malformed (a list page always shows something)."""
    number = _positive(value, 2**63 - 1)
    return default if number is None else min(number, MAX_PAGE)


def _positive(value: object, maximum: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and len(value) <= 40 and _DECIMAL.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= maximum else None


def saved_id(row_id: int | None) -> int:
    """The id of a row read from the database (the models type it `int | None`
    because an unsaved row has none)."""
    if row_id is None:
        raise ValueError("a row read from the database has an id")
    return row_id
