"""French, written once: what the firm types (dates, times, amounts, durations) read
with Babel, and what the screens and emails show (dd/mm/yyyy, 1 234,56 €, 1 h 30).

Babel does the reading; a thin check around it keeps the shapes this application has
always accepted and refused (e.g. Babel reads "1,234" as 1.234 where an amount has at
most two decimals, and refuses the "1.440,00" a firm may paste from a spreadsheet)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import format_date, format_datetime, get_timezone
from babel.dates import parse_date as babel_parse_date
from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

LOCALE = "fr_FR"
TZ = get_timezone("Europe/Paris")

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")  # 15/03/2027, 1.3.2027, 15-03-2027
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")  # what a date input sends
_SPACES_AND_EURO = re.compile(r"[\s\u00a0\u202f€]")
_DOT_GROUPS = re.compile(r"\d{1,3}(\.\d{3})+")  # "1.440" = mille quatre cent quarante
_AMOUNT = re.compile(r"\d+(,\d{1,2})?")  # at most two decimals, never negative
_TIME = re.compile(r"(\d{1,2})(?:[:h](\d{2})?)?(?::\d{2})?")
_HOURS_MINUTES = (re.compile(r"(\d{1,2})h(\d{1,2})?(?:min|mn|m)?"), re.compile(r"(\d{1,2}):(\d{2})"))
_MINUTES = re.compile(r"(\d{1,4})(?:min|mn|m)?")


# --------------------------------------------------------------------------- reading
def parse_date(value: object) -> date | None:
    """dd/mm/yyyy (as typed; "/", "." or "-" between) or yyyy-mm-dd (a date input),
    a year between 1900 and 2100; None otherwise (also for 31/02)."""
    text = str(value or "").strip()
    m = _DAY_FIRST.fullmatch(text)
    if m:
        typed = (int(m.group(3)), int(m.group(2)), int(m.group(1)))
    else:
        m = _ISO_DAY.fullmatch(text)
        if not m:
            return None
        typed = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    try:
        day = babel_parse_date(text, locale=LOCALE)
    except (ValueError, IndexError):
        return None
    # Babel swaps day and month when the month would be over 12 ("9-14-1950"): refused.
    if (day.year, day.month, day.day) != typed:
        return None
    return day if 1900 <= day.year <= 2100 else None


def parse_time(value: object) -> time | None:
    """14:30, 14h30, 14h, 9:05; None when invalid (no Babel pattern reads « 14h30 »)."""
    text = str(value or "").strip().lower().replace(" ", "")
    m = _TIME.fullmatch(text)
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_amount(value: object) -> int | None:
    """A French amount ("1 440,00", "1440", "89,5 €", "1.440,00", "1440.5") in cents;
    None when invalid (negative, more than two decimals, letters)."""
    text = _SPACES_AND_EURO.sub("", str(value or "").strip()).replace("EUR", "").replace("eur", "")
    if not text:
        return None
    if "," in text or _DOT_GROUPS.fullmatch(text):
        text = text.replace(".", "")  # dots are thousands separators
    else:
        text = text.replace(".", ",")  # "1440.5": the decimal point of a keyboard
    if not _AMOUNT.fullmatch(text):
        return None
    try:
        amount = parse_decimal(text, locale=LOCALE, strict=True)
    except (NumberFormatError, InvalidOperation):
        return None
    return int((amount * 100).to_integral_value())


def parse_duration(value: object) -> int | None:
    """Minutes from "1h30", "1 h 30", "2h", "1:30", "90", "45 min"; None when invalid."""
    text = str(value or "").strip().lower().replace(" ", "")
    for pattern in _HOURS_MINUTES:
        m = pattern.fullmatch(text)
        if m:
            minutes = int(m.group(2) or 0)
            if minutes > 59:
                return None
            return int(m.group(1)) * 60 + minutes
    m = _MINUTES.fullmatch(text)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- showing
# Lists show the same dates and amounts again and again: each distinct value is
# formatted by Babel once (pure functions of hashable values, bounded caches).
_CACHE = 8192


def fdate(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date() if value.tzinfo else value.date()
    return _fday(value)


@lru_cache(maxsize=_CACHE)
def _fday(value: date) -> str:
    return format_date(value, "dd/MM/yyyy", locale=LOCALE)


def fdatetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return _fdatetime(value)


@lru_cache(maxsize=_CACHE)
def _fdatetime(value: datetime) -> str:
    return format_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=TZ, locale=LOCALE)


@lru_cache(maxsize=_CACHE)
def fmoney(cents: int) -> str:
    # Babel uses a narrow no-break space as group separator; keep it (correct French typography).
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALE)


@lru_cache(maxsize=_CACHE)
def fduration(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    if h and m:
        return f"{h} h {m:02d}"
    if h:
        return f"{h} h"
    return f"{m} min"


@lru_cache(maxsize=_CACHE)
def fsize(size: int) -> str:
    """A file's size, the same in every list, notice and email: « 45 o », « 1,5 Ko », « 2,3 Mo »."""
    size = max(int(size), 0)
    if size < 1024:
        return f"{size}\u00a0o"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, format='#,##0.#', locale=LOCALE)}\u00a0Ko"
    return f"{format_decimal(size / 1024 / 1024, format='#,##0.#', locale=LOCALE)}\u00a0Mo"


def fweekday_time(value: datetime | None) -> str:
    """An appointment as a client reads it, Paris time: « mardi 08/01/2024 à 14 h 30 »
    (« à 9 h » on the hour)."""
    if value is None:
        return ""
    return _fweekday_time(value)


@lru_cache(maxsize=_CACHE)
def _fweekday_time(value: datetime) -> str:
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TZ)  # naive = UTC, as Babel reads it
    day = format_date(local.date(), "EEEE dd/MM/yyyy", locale=LOCALE)
    hour = f"{local.hour} h {local.minute:02d}" if local.minute else f"{local.hour} h"
    return f"{day} à {hour}"


# --------------------------------------------------------------------------- words
# French puts the plural from 2 on: « 0 message non lu », « 1 message non lu »,
# « 2 messages non lus » (never « message(s) »). A Reflex var compares with it too.
PLURAL_FROM = 2
NBSP = "\u00a0"
_HIGH_PUNCTUATION = re.compile(r"[ \u00a0\u202f]*([:;?!](?=\s|$)|»)")  # not the « : » of an address
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]*")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word or phrase agreeing with `count`: `plural_form` (default: `singular` + « s »)
    from 2 on, `singular` for 0 and 1."""
    if abs(int(count)) >= PLURAL_FROM:
        return plural_form if plural_form is not None else singular + "s"
    return singular


def count(number: int, singular: str, plural_form: str | None = None) -> str:
    """« 2 messages non lus », « 1 document »: the number and its agreeing words, joined by a
    no-break space (the number never ends a line alone)."""
    return f"{number}{NBSP}{plural(number, singular, plural_form)}"


def typeset(text: str) -> str:
    """French spacing: a no-break space before « : ; ? ! » (ending a word) and « » », after
    « « », so a lone punctuation mark never starts a line (« https://… » is left alone)."""
    return _AFTER_OPENING.sub("«" + NBSP, _HIGH_PUNCTUATION.sub(NBSP + r"\1", text))
