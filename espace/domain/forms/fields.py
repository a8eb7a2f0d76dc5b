"""How a declared form reads one field: whatever was sent (a missing field is empty,
a number is its text) is cleaned, normalised, then checked in the order the screens
always used: required, length, then its format; each refusal is one French message."""
from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from espace.domain.contact import REQUIRED, too_long
from espace.domain.text import clean_line, truthy


class Form(BaseModel):
    """A declared form: a missing field is read as empty (so refused when required),
    unknown fields are ignored, the values are the cleaned ones."""

    model_config = ConfigDict(frozen=True, validate_default=True, extra="ignore")


def refuse(message: str) -> PydanticCustomError:
    # The message is shown as is: pydantic formats {braces} in it, and ours have none.
    return PydanticCustomError("espace_form", message)


def trimmed(value: object) -> str:
    """A token (a key, a secret): only the surrounding spaces go."""
    return str(value or "").strip()


def text(limit: int | None, *, required: bool = True, clean: Callable[[object], str] = clean_line,
         normal: Callable[[str], str] | None = None, check: Callable[[str], bool] | None = None,
         invalid: str = "", long: Callable[[int], str] = too_long, missing: str = REQUIRED) -> BeforeValidator:
    """A text field: `clean`ed (one line by default) and `normal`ised, then required
    (or empty allowed), at most `limit` characters (else `long(limit)`), and
    `check`ed when given (else `invalid`). No limit: the check bounds it. An empty
    required field is refused with `missing`."""

    def read(value: object) -> str:
        got = clean(value)
        if normal is not None:
            got = normal(got)
        if not got:
            if required:
                raise refuse(missing)
            return got
        if limit is not None and len(got) > limit:
            raise refuse(long(limit))
        if check is not None and not check(got):
            raise refuse(invalid)
        return got

    return BeforeValidator(read)


def flag() -> BeforeValidator:
    """A checkbox or a yes/no field (domain/text.truthy)."""
    return BeforeValidator(truthy)
