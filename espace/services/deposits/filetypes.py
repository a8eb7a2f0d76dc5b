"""What a deposited file is, decided on its CONTENT (magic bytes, ZIP entries,
OLE2 streams), never on the name the browser sends, against an allow-list.

The detection stays hand-written: maintained libraries were tried and answer
differently on files the refusal tests hold (oletools' olevba does not see an
Excel 4.0 macro sheet marked only by its BOUNDSHEET type byte, nor a VBA project
in a truncated OLE2 file; puremagic guesses by confidence where an allow-list
must decide). olefile (maintained) reads the OLE2 workbook stream.
"""
from __future__ import annotations

import contextlib
import struct
import unicodedata
import zipfile
from pathlib import Path
from typing import BinaryIO

import olefile

from espace.config import settings
from espace.services.deposits.filenames import extension

Sniffed = tuple[str | None, str | None]  # (content type, None) if allowed, (None, French reason) if refused
# The stored file for the checks that read more than its head: a path, or a seekable
# binary file (storage.open_file: ranged reads on the object store).
Source = Path | str | BinaryIO | None


def _seekable(source: Path | str | BinaryIO) -> Path | BinaryIO:
    if isinstance(source, str | Path):
        return Path(source)
    source.seek(0)
    return source

# What may be deposited: content type -> what the client is told it is.
ALLOWED: dict[str, str] = {
    "application/pdf": "PDF",
    "image/png": "image PNG",
    "image/jpeg": "image JPEG",
    "image/gif": "image GIF",
    "image/webp": "image WEBP",
    "image/tiff": "image TIFF",
    "image/heic": "image HEIC",
    "application/zip": "archive ZIP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document Word",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "classeur Excel",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "présentation PowerPoint",
    "application/vnd.oasis.opendocument.text": "document OpenDocument",
    "application/vnd.oasis.opendocument.spreadsheet": "classeur OpenDocument",
    "application/vnd.oasis.opendocument.presentation": "présentation OpenDocument",
    "application/vnd.oasis.opendocument.graphics": "dessin OpenDocument",
    "application/msword": "document Word 97-2003",
    "application/vnd.ms-excel": "classeur Excel 97-2003",
    "application/vnd.ms-powerpoint": "présentation PowerPoint 97-2003",
    "application/vnd.ms-outlook": "message Outlook",
    "application/rtf": "document RTF",
    "text/plain": "texte",
}

# Refused whatever the content: programs, scripts, and what a browser would run.
BLOCKED_EXTENSIONS = frozenset({
    ".exe", ".bat", ".cmd", ".sh", ".js", ".vbs", ".ps1", ".msi", ".jar", ".com", ".scr", ".html", ".htm",
    ".svg", ".php", ".py", ".dll", ".sys", ".cpl", ".pif", ".lnk", ".hta", ".wsf", ".wsh", ".vbe", ".jse",
    ".mjs", ".psm1", ".reg", ".inf", ".msp", ".msc", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".apk",
    ".appimage", ".run", ".bash", ".zsh", ".ksh", ".csh", ".pl", ".rb", ".cgi", ".xhtml", ".shtml", ".phtml",
    ".php3", ".php4", ".php5", ".phar", ".asp", ".aspx", ".jsp", ".xht", ".svgz", ".swf", ".class", ".docm",
    ".xlsm", ".pptm", ".dotm", ".xltm", ".potm", ".xlam", ".ppam",
})
# Old Office / Outlook files are OLE2 containers: the extension says which (an .msi
# is OLE2 too, hence an allow-list).
OLE_TYPES = {
    ".doc": "application/msword",
    ".dot": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".xlt": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pps": "application/vnd.ms-powerpoint",
    ".msg": "application/vnd.ms-outlook",
}
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
EXECUTABLE_MAGICS = (
    b"MZ",  # Windows PE / DOS
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",  # Mach-O 32 bits
    b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",  # Mach-O 64 bits
    b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca",  # Mach-O universal / Java class
    b"\x00asm",  # WebAssembly
)
SCRIPT_STARTS = (
    "#!", "<?php", "<?=", "<script", "<html", "<!doctype html", "<svg", "<head", "<body",
    "<iframe", "<object", "<embed",
)
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

REASON_PROGRAM = "type de fichier non autorisé (programme ou script)"
REASON_TYPE = "type de fichier non autorisé"
REASON_EMPTY = "fichier vide"
REASON_BROKEN = "archive illisible ou endommagée"
REASON_UNREADABLE = "fichier illisible ou endommagé"
REASON_MACROS = "document contenant des macros, non autorisé"
REASON_ARCHIVE_PROGRAM = "archive contenant un programme ou un script, non autorisée"
REASON_FAILED = "le dépôt a échoué, veuillez réessayer"


def reason_too_large() -> str:
    return f"fichier trop volumineux ({settings.max_upload_mb} Mo maximum)"


# --------------------------------------------------------------------------- type
def _zip_type(source: Source, ext: str) -> Sniffed:
    if source is None:
        return None, REASON_BROKEN
    try:
        with zipfile.ZipFile(_seekable(source)) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if not names:
                return None, REASON_BROKEN
            lower = [n.lower() for n in names]
            if "mimetype" in names:
                with zf.open("mimetype") as fh:
                    mimetype = fh.read(100).decode("ascii", "replace").strip()
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    if any(n.startswith("basic/") or n.startswith("scripts/") for n in lower):
                        return None, REASON_MACROS
                    return (mimetype if mimetype in ALLOWED else "application/zip"), None
            if "[Content_Types].xml" in names:
                # VBA projects; Excel 4.0 macro sheets.
                if any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in lower):
                    return None, REASON_MACROS
                for prefix, ctype in OOXML_TYPES.items():
                    if any(n.startswith(prefix) for n in lower):
                        return ctype, None
            for n in lower:
                if extension(n.rsplit("/", 1)[-1]) in BLOCKED_EXTENSIONS:
                    return None, REASON_ARCHIVE_PROGRAM
            return "application/zip", None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, KeyError):
        return None, REASON_BROKEN


# Old Office files (OLE2) keep VBA macros in a storage that holds a `_VBA_PROJECT`
# stream; directory entry names are UTF-16LE.
VBA_MARK = "_VBA_PROJECT".encode("utf-16-le")


# Excel 4.0 (XLM) macros live in macro sheets: a BOUNDSHEET record (0x0085) of the
# workbook's globals (before their EOF record, 0x000A) whose sheet type byte is 1.
BIFF_BOUNDSHEET, BIFF_EOF, BIFF_MACRO_SHEET = 0x0085, 0x000A, 0x01


def _ole_has_xlm(source: Path | str | BinaryIO) -> bool:
    """True if an Excel 97–2003 (or 95) workbook has an Excel 4.0 macro sheet (olefile
    reads the workbook stream whole: at most the upload limit, in a disk thread).
    Raises olefile's errors for a file that is not a readable OLE2 file."""
    src = _seekable(source)
    with olefile.OleFileIO(str(src) if isinstance(src, Path) else src) as ole:
        for name in ("Workbook", "Book"):
            if not ole.exists(name):
                continue
            data = ole.openstream(name).read()
            pos = 0
            while pos + 4 <= len(data):
                kind, length = struct.unpack_from("<HH", data, pos)
                if kind == BIFF_EOF:
                    break
                if kind == BIFF_BOUNDSHEET and length >= 6 and pos + 10 <= len(data) and data[pos + 9] == BIFF_MACRO_SHEET:
                    return True
                pos += 4 + length
    return False


def _ole_has_vba(source: Source, head: bytes) -> bool:
    """True if the OLE2 file names a VBA project anywhere (read 1 MB at a time)."""
    if source is None:
        return VBA_MARK in head
    keep = len(VBA_MARK) - 1
    tail = b""
    src = _seekable(source)
    with open(src, "rb") if isinstance(src, Path) else contextlib.nullcontext(src) as fh:
        while chunk := fh.read(1024 * 1024):
            if VBA_MARK in tail + chunk[: keep * 2] or VBA_MARK in chunk:
                return True
            tail = chunk[-keep:]
    return False


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
    if start.startswith(SCRIPT_STARTS):
        return None, REASON_PROGRAM
    return "text/plain", None


def sniff(head: bytes, path: Source, filename: str) -> Sniffed:
    """Decide the type of a stored file from its first bytes (and, for ZIP-based
    formats, its entries): (content_type, None) if allowed, (None, reason in
    French) if refused."""
    ext = extension(filename)
    if ext in BLOCKED_EXTENSIONS:
        return None, REASON_PROGRAM
    if not head:
        return None, REASON_EMPTY
    if head.startswith(EXECUTABLE_MAGICS):
        return None, REASON_PROGRAM
    if head.startswith(b"%PDF-"):
        return "application/pdf", None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", None
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", None
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", None
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff", None
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic", None
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path, ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        ctype = OLE_TYPES.get(ext)
        if ctype is None:
            return None, REASON_TYPE
        if _ole_has_vba(path, head):
            return None, REASON_MACROS
        if path is not None:
            try:
                if _ole_has_xlm(path):
                    return None, REASON_MACROS
            except Exception:  # olefile's errors for a damaged or crafted file
                return None, REASON_UNREADABLE
        return ctype, None
    if head.startswith(b"{\\rtf"):
        return "application/rtf", None
    return _text_type(head)
