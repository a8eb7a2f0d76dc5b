"""What a service answers to an action or a form: done (with what it made or the
refreshed view, and a message to show), or refused (the French errors by field,
"form" for the whole form). One type for every « ok or errors », so that a screen
shows it and the HTTP layer (espace/http) turns it into a status code the same way.

Constructed positionally as `Outcome(ok, errors, message)` or, clearer, with
`Outcome.done(value, message)` / `Outcome.refused(errors)`."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")

FORM = "form"  # the key of an error about the whole form, not one field


class Refusal(Enum):
    """Why an action was refused, when the caller must tell the reasons apart (an
    HTTP route picks its status code from it). A form's errors are `invalid`."""

    invalid = "invalid"  # what was sent breaks a rule (a field, a size, a type)
    not_found = "not_found"  # nothing the acting user may reach under that id
    conflict = "conflict"  # the state does not allow it now (already done, busy)
    throttled = "throttled"  # too many in a short time
    unavailable = "unavailable"  # a dependency failed: try again later
    too_large = "too_large"  # a body over its size limit
    unsupported = "unsupported"  # a file of a type that is not accepted
    failed = "failed"  # the sending was interrupted or could not be stored
    storage_full = "storage_full"  # no room left on the documents' disk for it


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """ok with `value` and `message`, or not ok with `errors` (and `refusal`)."""

    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    value: T | None = None
    refusal: Refusal | None = None

    @classmethod
    def done(cls, value: T | None = None, message: str = "") -> Outcome[T]:
        return cls(True, {}, message, value)

    @classmethod
    def refused(cls, errors: dict[str, str] | str, value: T | None = None,
                refusal: Refusal = Refusal.invalid) -> Outcome[T]:
        """Refused with errors by field, or one general message (a str) under "form"."""
        return cls(False, {FORM: errors} if isinstance(errors, str) else dict(errors), "", value, refusal)

    @property
    def error(self) -> str:
        """The general message of a refusal ("" when ok or when only fields are wrong)."""
        return self.errors.get(FORM, "")
