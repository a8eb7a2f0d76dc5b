"""The forms about a dossier: its own fields (the chosen clients and interlocutor are
ids the service looks up in the firm), and the reason a contact request is refused."""
from __future__ import annotations

from typing import Annotated

from espace.domain.forms.fields import Form, text

REFERENCE_MAX = 50
LABEL_MAX = 200
REASON_MAX = 1000
NO_REASON = "Indiquez le motif du refus."


class DossierForm(Form):
    """A dossier's reference (unique in the firm: the service checks) and label."""

    reference: Annotated[str, text(REFERENCE_MAX)] = ""
    label: Annotated[str, text(LABEL_MAX)] = ""


def _reason_text(value: object) -> str:
    # Several lines kept as typed: Windows line ends made plain, control characters dropped.
    got = "" if value is None else str(value).replace("\r\n", "\n").strip()
    return "".join(ch for ch in got if ch.isprintable() or ch in "\n\t")


class RefusalReason(Form):
    """Why the firm refuses a client's contact request (emailed to the client)."""

    reason: Annotated[str, text(REASON_MAX, clean=_reason_text, missing=NO_REASON)] = ""
