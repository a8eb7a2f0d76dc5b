"""The name a deposited file is shown and stored under."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

NAME_MAX = 150

_RESERVED = re.compile(r'[<>:"|?*/\\]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def sanitize_filename(name: object) -> str:
    """The name shown for a deposited file: no directory part, no control or
    invisible (bidi) characters, no reserved characters, no leading dots, single
    spaces, accents kept (NFC), at most 150 characters with the extension kept;
    "document" when nothing is left."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    # Cc control, Cf format (e.g. U+202E right-to-left override), Cs/Co/Cn.
    text = "".join(" " if ch.isspace() else ch for ch in text if unicodedata.category(ch)[0] != "C" or ch.isspace())
    text = _RESERVED.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.lstrip(". ").rstrip(". ")
    if _WINDOWS_DEVICES.match(text):
        text = "_" + text
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[: NAME_MAX - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            text = text[:NAME_MAX].rstrip(". ")
    return text or "document"


def extension(filename: str) -> str:
    """The lower-case extension with its dot (".pdf"), or "" (trailing dots ignored)."""
    name = (filename or "").strip().rstrip(". ").lower()
    return Path(name).suffix if "." in name else ""
