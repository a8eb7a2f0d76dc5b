"""What a deposited file is, decided on its CONTENT (magic bytes, ZIP entries,
OLE2 streams), never on the name the browser sends, against an allow-list; a name
with a refused extension (signatures.BLOCKED_EXTENSIONS, DISK_IMAGE_EXTENSIONS) is
refused whatever its content, and a « .pdf » must be a PDF. A ZIP's entries, and
the archives in it, pass the same rules (archives.py).

The detection stays hand-written: maintained libraries were tried and answer
differently on files the refusal tests hold (oletools' olevba does not see an
Excel 4.0 macro sheet marked only by its BOUNDSHEET type byte, nor a VBA project
in a truncated OLE2 file; puremagic guesses by confidence where an allow-list
must decide). olefile (maintained) reads the OLE2 streams; the stdlib zipfile the archives.
"""
from __future__ import annotations

import unicodedata

from espace.services.deposits.archives import REASON_BOMB, REASON_ENCRYPTED, REASON_TOO_DEEP, zip_type
from espace.services.deposits.filenames import extension
from espace.services.deposits.signatures import (
    ALLOWED,
    BLOCKED_EXTENSIONS,
    DISK_IMAGE_EXTENSIONS,
    HEIC_BRANDS,
    OLE_MAGIC,
    OLE_TYPES,
    REASON_BROKEN,
    REASON_DISK_IMAGE,
    REASON_EMPTY,
    REASON_FAILED,
    REASON_MACROS,
    REASON_NOT_PDF,
    REASON_PROGRAM,
    REASON_TYPE,
    REASON_UNREADABLE,
    SCRIPT_STARTS,
    SHORTCUT_STARTS,
    Sniffed,
    Source,
    is_program,
    ole_verdict,
    opened,
    reason_too_large,
    seekable,
)

__all__ = [
    "ALLOWED", "REASON_BOMB", "REASON_BROKEN", "REASON_DISK_IMAGE", "REASON_EMPTY", "REASON_ENCRYPTED",
    "REASON_FAILED", "REASON_MACROS", "REASON_NOT_PDF", "REASON_PROGRAM", "REASON_TOO_DEEP", "REASON_TYPE",
    "REASON_UNREADABLE", "Sniffed", "reason_too_large", "sniff",
]


def _text_type(head: bytes) -> Sniffed:
    if b"\x00" in head:
        return None, REASON_TYPE
    data = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end in the middle of a multi-byte character.
        if exc.start >= len(data) - 3 and len(data) >= 8192 - 3:
            text = data[: exc.start].decode("utf-8")
        else:
            text = data.decode("latin-1")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\x1a" and not 0x80 <= ord(ch) <= 0x9F
           for ch in text):
        return None, REASON_TYPE
    start = text.lstrip(" \t\r\n\f\ufeff").lower()
    if start.startswith(SCRIPT_STARTS + SHORTCUT_STARTS):
        return None, REASON_PROGRAM
    return "text/plain", None


IMAGE_MAGICS = (
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
)


def _image_type(head: bytes) -> str | None:
    for magic, ctype in IMAGE_MAGICS:
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    return None


def _ends_in_zip(source: Source) -> bool:
    """True if the file also ends in a ZIP's end record (a PDF + ZIP polyglot)."""
    if source is None:
        return False
    with opened(seekable(source)) as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 22 - 65535))
        return b"PK\x05\x06" in fh.read()


def _pdf_type(path: Source) -> Sniffed:
    """A PDF; one that is a ZIP archive too is checked as one (whatever it holds must pass)."""
    if _ends_in_zip(path):
        _, reason = zip_type(path, ".zip")
        if reason is not None and reason != REASON_BROKEN:
            return None, reason
    return "application/pdf", None


def sniff(head: bytes, path: Source, filename: str) -> Sniffed:
    """Decide the type of a stored file from its first bytes (and, for ZIP-based
    formats, its entries): (content_type, None) if allowed, (None, reason in
    French) if refused."""
    ext = extension(filename)
    if ext in BLOCKED_EXTENSIONS:
        return None, REASON_PROGRAM
    if ext in DISK_IMAGE_EXTENSIONS:
        return None, REASON_DISK_IMAGE
    if not head:
        return None, REASON_EMPTY
    if is_program(head):
        return None, REASON_PROGRAM
    if head.startswith(b"%PDF-"):
        return _pdf_type(path)
    if ext == ".pdf":  # a « PDF » that is something else
        return None, REASON_NOT_PDF
    if image := _image_type(head):
        return image, None
    if head.startswith(b"PK\x03\x04"):
        return zip_type(path, ext)
    if head.startswith(OLE_MAGIC):
        ctype = OLE_TYPES.get(ext)
        if ctype is None:
            return None, REASON_TYPE
        reason = ole_verdict(path, head)
        return (None, reason) if reason else (ctype, None)
    if head.startswith(b"{\\rtf"):
        return "application/rtf", None
    return _text_type(head)
