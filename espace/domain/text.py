"""What a form field sent, read once: one line of text, a multi-line text, a checkbox."""
from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def clean_line(value: object) -> str:
    """One line: trimmed, control characters removed, runs of spaces collapsed."""
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return _SPACES.sub(" ", text).strip()


def clean_text(value: object) -> str:
    """A multi-line text: newlines normalised, other control characters removed, trimmed."""
    text = ("" if value is None else str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")
    return text.strip()


def truthy(value: object) -> bool:
    """A checkbox or a yes/no field: « on », « oui », true, 1…"""
    return value is True or str(value).strip().lower() in ("on", "true", "1", "oui", "yes")
