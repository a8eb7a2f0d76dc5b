"""The forms of the messages between a client and the firm about a dossier."""
from __future__ import annotations

from typing import Annotated

from espace.domain.forms.fields import Form, text
from espace.domain.text import clean_text

SUBJECT_MAX = 150
BODY_MAX = 5000


def _subject_too_long(limit: int) -> str:
    return f"L'objet ne doit pas dépasser {limit} caractères."


def _body_too_long(limit: int) -> str:
    return f"Le message ne doit pas dépasser {limit:,} caractères.".replace(",", " ")


Body = Annotated[str, text(BODY_MAX, clean=clean_text, long=_body_too_long)]


class ClientMessage(Form):
    """A client writes to the firm (« Contacter mon avocat »): subject and message required."""

    subject: Annotated[str, text(SUBJECT_MAX, long=_subject_too_long)] = ""
    body: Body = ""


class FirmAnswer(Form):
    """The firm answers a dossier's clients: an empty subject becomes « Re : » the last one."""

    subject: Annotated[str, text(SUBJECT_MAX, required=False, long=_subject_too_long)] = ""
    body: Body = ""
