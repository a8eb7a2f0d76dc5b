"""French display formats (Babel): dates dd/mm/yyyy, amounts 1 234,56 €, durations."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency

LOCALE = "fr_FR"
TZ = get_timezone("Europe/Paris")


def fdate(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date() if value.tzinfo else value.date()
    return format_date(value, "dd/MM/yyyy", locale=LOCALE)


def fdatetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=TZ, locale=LOCALE)


def fmoney(cents: int) -> str:
    # Babel uses a narrow no-break space as group separator; keep it (correct French typography).
    return format_currency(cents / 100, "EUR", locale=LOCALE)


def fduration(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    if h and m:
        return f"{h} h {m:02d}"
    if h:
        return f"{h} h"
    return f"{m} min"


def fsize(size: int) -> str:
    from babel.numbers import format_decimal

    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{format_decimal(size / 1024, format='#,##0.#', locale=LOCALE)} Ko"
    return f"{format_decimal(size / 1024 / 1024, format='#,##0.#', locale=LOCALE)} Mo"
