"""Documents deposited by a client into one of their dossiers.

The body is streamed to private storage (temporary file, then rename) with the
size limit enforced while reading; the type is decided on the stored CONTENT
(magic bytes, ZIP entries), never on the name the browser sends, against an
allow-list. Anything refused, too large or interrupted leaves neither a file nor
a row. The firm is told by one email per drop (notify_batch), not one per file.
"""
from __future__ import annotations

import functools
import logging
import re
import struct
import unicodedata
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterable, Callable
from zoneinfo import ZoneInfo

import olefile
from sqlmodel import Session, select, update

from espace.config import settings
from espace.db import session_scope
from espace.models import Direction, Document, Dossier, Role, User, utcnow
from espace.services import AccessDenied, audit, storage
from espace.services.mail import outbox
from espace.services.client import portal
from espace.domain.names import full_name

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")
NAME_MAX = 150
BATCH_MAX = 200  # names listed in one notification email
BATCH_WINDOW = timedelta(hours=24)  # a notified name must be a deposit of the last 24 h

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
BLOCKED_EXTENSIONS = frozenset(
    ".exe .bat .cmd .sh .js .vbs .ps1 .msi .jar .com .scr .html .htm .svg .php .py "
    ".dll .sys .cpl .pif .lnk .hta .wsf .wsh .vbe .jse .mjs .psm1 .reg .inf .msp .msc "
    ".app .dmg .pkg .deb .rpm .apk .appimage .run .bash .zsh .ksh .csh .pl .rb .cgi "
    ".xhtml .shtml .phtml .php3 .php4 .php5 .phar .asp .aspx .jsp .xht .svgz .swf .class "
    ".docm .xlsm .pptm .dotm .xltm .potm .xlam .ppam".split()
)
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


# --------------------------------------------------------------------------- names
_RESERVED = re.compile(r'[<>:"|?*/\\]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def sanitize_filename(name) -> str:
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


def _extension(filename: str) -> str:
    name = (filename or "").strip().rstrip(". ").lower()
    return Path(name).suffix if "." in name else ""


# --------------------------------------------------------------------------- type
def _zip_type(path: Path | None, ext: str) -> tuple[str | None, str | None]:
    if path is None:
        return None, REASON_BROKEN
    try:
        with zipfile.ZipFile(path) as zf:
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
                if _extension(n.rsplit("/", 1)[-1]) in BLOCKED_EXTENSIONS:
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


def _ole_has_xlm(path: Path) -> bool:
    """True if an Excel 97–2003 (or 95) workbook has an Excel 4.0 macro sheet (olefile
    reads the workbook stream whole: at most the upload limit, in a disk thread).
    Raises olefile's errors for a file that is not a readable OLE2 file."""
    with olefile.OleFileIO(str(path)) as ole:
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


def _ole_has_vba(path: Path | None, head: bytes) -> bool:
    """True if the OLE2 file names a VBA project anywhere (read 1 MB at a time)."""
    if path is None:
        return VBA_MARK in head
    keep = len(VBA_MARK) - 1
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            if VBA_MARK in tail + chunk[: keep * 2] or VBA_MARK in chunk:
                return True
            tail = chunk[-keep:]
    return False


def _text_type(head: bytes) -> tuple[str | None, str | None]:
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


def sniff(head: bytes, path: Path | str | None, filename: str) -> tuple[str | None, str | None]:
    """Decide the type of a stored file from its first bytes (and, for ZIP-based
    formats, its entries): (content_type, None) if allowed, (None, reason in
    French) if refused."""
    ext = _extension(filename)
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
        return _zip_type(Path(path) if path is not None else None, ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        ctype = OLE_TYPES.get(ext)
        if ctype is None:
            return None, REASON_TYPE
        if _ole_has_vba(Path(path) if path is not None else None, head):
            return None, REASON_MACROS
        if path is not None:
            try:
                if _ole_has_xlm(Path(path)):
                    return None, REASON_MACROS
            except Exception:  # olefile's errors for a damaged or crafted file
                return None, REASON_UNREADABLE
        return ctype, None
    if head.startswith(b"{\\rtf"):
        return "application/rtf", None
    return _text_type(head)


# --------------------------------------------------------------------------- scope
own_dossier = portal.client_dossier  # a client's own dossier, or AccessDenied


def firm_recipients(s: Session, dossier: Dossier) -> list[User]:
    """Who at the firm is told about a dossier: its interlocutor, or, when it has
    none (or they left), the firm's active lawyers."""
    if dossier.interlocutor_id:
        person = s.get(User, dossier.interlocutor_id)
        if person is not None and person.active and person.firm_id == dossier.firm_id and person.role != Role.client:
            return [person]
    return list(
        s.exec(
            select(User)
            .where(User.firm_id == dossier.firm_id, User.role.in_((Role.admin, Role.lawyer)), User.active.is_(True))
            .order_by(User.id)
        ).all()
    )


def dossier_choices(user: User) -> list[dict[str, str]]:
    """The client's dossiers, by reference, for choosing where to deposit or write."""
    with session_scope() as s:
        return portal.dossier_choices_of(s, portal.client_of(s, user))


# --------------------------------------------------------------------------- deposit
def _failure(name: str, reason: str, status: int) -> dict:
    return {"ok": False, "name": name, "error": f"« {name} » : {reason}", "status": status}


async def deposit_stream(user: User, dossier_id, filename: str, chunks: AsyncIterable[bytes],
                         declared_size: int | None = None) -> dict:
    """Store one file deposited by a client into their dossier.

    Authorises first (AccessDenied before any chunk is read), then streams with the
    size limit enforced while reading. Returns {"ok": True, "id", "name", "status": 200}
    or {"ok": False, "name", "error": "« name » : raison", "status": 413|415|400}; in
    the latter case no file and no row remain."""
    return await receive_document(user, dossier_id, filename, chunks, scope=portal.client_dossier_ref,
                                  direction=Direction.depose, shared=True, action="depot",
                                  declared_size=declared_size)


# Returns the dossier the user may add to (or a row with its .id and .firm_id), or
# raises AccessDenied.
DossierScope = Callable[[Session, User, object], Dossier]


def _scoped_dossier_id(scope: DossierScope, user: User, dossier_id) -> int:
    with session_scope() as s:
        return scope(s, user, dossier_id).id


async def receive_document(user: User, dossier_id, filename: str, chunks: AsyncIterable[bytes], *,
                           scope: DossierScope, direction: Direction,
                           shared: bool, action: str,
                           on_shared: Callable[[Session, Dossier, Document], None] | None = None,
                           declared_size: int | None = None) -> dict:
    """Stream one uploaded file into a dossier: the body goes to private storage
    with the size limit enforced while reading, its type is decided on the stored
    content (`sniff`), then the Document row is written.

    `scope(s, user, dossier_id)` returns the dossier (or its row) or raises AccessDenied; it is
    called before the first chunk is read (then a `declared_size` over the limit is
    refused with 413, before reading) and again once the body is in. `shared`
    sets shared_at; `on_shared(s, dossier, doc)` runs in the same transaction (e.g.
    the share notices). Returns {"ok": True, "id", "name", "status": 200} or
    {"ok": False, "name", "error": "« name » : raison", "status": 413|415|400}; in
    the latter case no file and no row remain.

    The disk work and the recording (writes, fsyncs, the commit) run in worker
    threads, so the event loop (and every open page) does not wait on them and a
    drop's parallel uploads overlap; only the indexed scope read runs on the loop.
    The recording (`_record_document`) follows the fsync in the same thread, and once
    the body is in it runs to its end even if the request is cancelled: it either
    records the document or removes the file."""
    name = sanitize_filename(filename)
    did = _scoped_dossier_id(scope, user, dossier_id)  # one indexed read: cheaper here than a thread hop
    limit = settings.max_upload_mb * 1024 * 1024
    if declared_size is not None and declared_size > limit:
        log.warning("%s refused by declared length user=%s dossier=%s name=%r length=%s",
                    action, user.id, did, name, declared_size)
        return _failure(name, reason_too_large(), 413)
    record = functools.partial(_record_document, user, did, name, scope=scope, direction=direction,
                               shared=shared, action=action, on_shared=on_shared)
    try:
        return await storage.save_stream(chunks, record, max_bytes=limit)
    except storage.TooLarge:
        log.warning("%s refused too large user=%s dossier=%s name=%r limit=%s", action, user.id, did, name, limit)
        return _failure(name, reason_too_large(), 413)
    except AccessDenied:  # refused once the body was in: the recording removed the file
        raise
    except Exception:  # interrupted upload (client disconnected) or disk error; save_stream cleaned up
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, 400)


_INSERT_DOCUMENT = Document.__table__.insert().returning(Document.__table__.c.id)


def _record_document(user: User, did: int, name: str, stored: storage.Stored, *,
                     scope: DossierScope, direction: Direction, shared: bool,
                     action: str, on_shared: Callable[[Session, Dossier, Document], None] | None) -> dict:
    """In a disk thread, right after the body's fsync: decide the type, check the
    scope again, write the Document row; remove the file on any refusal or failure."""
    try:
        content_type, reason = sniff(stored.head, storage.path_for(stored.key), name)
        if reason is not None:
            storage.delete(stored.key)
            log.warning("%s refused type user=%s dossier=%s name=%r size=%s reason=%s head=%r",
                        action, user.id, did, name, stored.size, reason, stored.head[:16])
            return _failure(name, reason, 415)
        now = utcnow()
        with session_scope() as s:
            d = scope(s, user, did)  # still allowed now that the body is in
            doc_id = s.connection().execute(_INSERT_DOCUMENT, {
                "dossier_id": d.id, "direction": direction, "name": name,
                "doc_date": datetime.now(PARIS).date(), "storage_key": stored.key, "size": stored.size,
                "sha256": stored.sha256, "content_type": content_type, "uploaded_by_id": user.id,
                "created_at": now, "shared_at": now if shared else None,
            }).scalar_one()
            if shared and on_shared is not None:
                on_shared(s, d, s.get(Document, doc_id))
            audit.record(s, user, action, f"document {doc_id} dossier {did} {name}")
            s.commit()
    except AccessDenied:
        storage.delete(stored.key)
        log.warning("%s refused once the body was in user=%s dossier=%s name=%r", action, user.id, did, name)
        raise
    except Exception:
        storage.delete(stored.key)
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, 400)
    log.info("%s ok user=%s dossier=%s document=%s name=%r size=%s type=%s shared=%s",
             action, user.id, did, doc_id, name, stored.size, content_type, shared)
    return {"ok": True, "id": doc_id, "name": name, "status": 200}


def notify_batch(user: User, dossier_id, names: list[str]) -> None:
    """Tell the firm, in ONE email, about the files a client just deposited into a
    dossier. Only names of this client's deposits of the last 24 hours in that
    dossier that were not announced yet are listed (the list comes from the
    browser, which may send it again); nothing is sent if none remains. Mail
    failures are logged, never raised."""
    if not names:
        return
    wanted = [sanitize_filename(n) for n in list(names)[:BATCH_MAX] if isinstance(n, str) and n.strip()]
    if not wanted:
        return
    with session_scope() as s:
        d = own_dossier(s, user, dossier_id)
        # Claim the deposits to announce in one statement: each is announced once,
        # whatever the browser sends again (or at the same time).
        claimed = s.execute(
            update(Document)
            .where(
                Document.dossier_id == d.id,
                Document.direction == Direction.depose,
                Document.uploaded_by_id == user.id,
                Document.created_at >= utcnow() - BATCH_WINDOW,
                Document.notified_at.is_(None),
                Document.name.in_(set(wanted)),
            )
            .values(notified_at=utcnow())
            .returning(Document.name)
        ).scalars().all()
        listed = sorted(claimed, key=lambda n: (wanted.index(n), n))
        if not listed:
            s.rollback()
            log.warning("deposit notice skipped: nothing new to announce user=%s dossier=%s names=%r",
                        user.id, d.id, wanted)
            return
        recipients = [(p.id, p.email) for p in firm_recipients(s, d)]
        firm = d.firm_id
        reference, label = d.reference, d.label
        client_name = full_name(user)
        context = {
            "client_name": client_name,
            "dossier_reference": reference,
            "dossier_label": label,
            "names": listed,
            "admin_link": f"{settings.public_url}/admin",
        }
        count = len(listed)
        subject = f"{client_name} a déposé {count} document{'s' if count > 1 else ''} — {reference}"
        if not recipients:
            log.warning("deposit notice: nobody to notify firm=%s dossier=%s", firm, dossier_id)
        try:
            for _, email in recipients:
                outbox.enqueue(s, email, subject, "deposit_notice", context, firm_id=firm)
            s.commit()
        except Exception:
            log.exception("deposit notice not queued user=%s dossier=%s", user.id, dossier_id)
            return
    log.info("deposit notice queued user=%s dossier=%s to=%s files=%s",
             user.id, dossier_id, [p for p, _ in recipients], count)
