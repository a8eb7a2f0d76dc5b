"""What is inside a ZIP: every entry of a deposited archive, and of the archives it
holds (to MAX_DEPTH levels), checked by the same rules as a direct upload, by name
and by content: a program, a script, a shortcut, a disk image, an installer or a
document with macros anywhere refuses the whole archive.

Nothing is extracted to disk. The stdlib `zipfile` reads the entries from the
stored file; an entry is read for its first DISK_HEAD bytes only, except an archive
or an old Office file inside, read whole into memory (at most the upload limit) to
be checked in turn. Against archive bombs, before anything is decompressed: the
central directory's size (which bounds the entries `zipfile` lists), the number of
entries and the total of their declared sizes over every level, and each entry's
compression ratio; `zipfile` never gives more than an entry's declared size.

An encrypted entry refuses the archive with its own reason: nothing in it can be
checked. The archive's reason names the entry (« pièces.zip › setup.exe »)."""
from __future__ import annotations

import io
import logging
import struct
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from espace.config import settings
from espace.services.deposits.filenames import extension, sanitize_filename
from espace.services.deposits.signatures import (
    ALLOWED,
    BLOCKED_EXTENSIONS,
    DISK_HEAD,
    DISK_IMAGE_EXTENSIONS,
    OLE_MAGIC,
    OOXML_TYPES,
    REASON_BROKEN,
    REASON_MACROS,
    REASON_PROGRAM,
    REASON_UNREADABLE,
    ZIP_MAGICS,
    Sniffed,
    Source,
    is_disk_image,
    is_program,
    is_script_or_shortcut,
    ole_verdict,
    opened,
    seekable,
)

log = logging.getLogger("espace.services.deposits")

MAX_DEPTH = 3  # the deposited archive is level 1; an archive in an archive in an archive is level 3
MAX_ENTRIES = 10_000  # over every level
MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # declared uncompressed sizes, over every level
MAX_RATIO = 100  # uncompressed / compressed, for an entry over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024  # a central directory (≥ 46 bytes an entry) larger than this is refused
END_RECORD, END_RECORD64, LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
ENCRYPTED_FLAGS = 0x0001 | 0x0040  # traditional or strong encryption (AES entries set bit 0 too)

REASON_ENCRYPTED = ("archive protégée par un mot de passe : son contenu ne peut pas être vérifié ; "
                    "déposez-la sans mot de passe ou déposez les fichiers un à un")
REASON_TOO_DEEP = f"archive contenant des archives sur plus de {MAX_DEPTH} niveaux, non autorisée"
REASON_BOMB = "archive trop volumineuse une fois décompressée, non autorisée"
REASON_TOO_MANY = f"archive contenant trop de fichiers ({MAX_ENTRIES:,} au plus)".replace(",", "\u202f")
REASON_UNSUPPORTED = "archive compressée dans un format non pris en charge : son contenu ne peut pas être vérifié"


REASON_DOCUMENT_PROGRAM = "document contenant un programme, non autorisé"
# What an entry's own refusal says inside its archive's refusal.
INNER = {
    REASON_MACROS: "un document avec des macros",
    REASON_PROGRAM: "un programme",
    REASON_DOCUMENT_PROGRAM: "un document contenant un programme",
    REASON_BROKEN: "une archive illisible",
    REASON_UNREADABLE: "un fichier illisible",
}


def reason_inside(what: str, shown: str) -> str:
    return f"archive contenant {what} (« {shown} »), non autorisée"


def max_inner_bytes() -> int:
    """An archive or Office file inside an archive is read whole: at most the upload limit."""
    return settings.max_upload_mb * 1024 * 1024


class Refused(Exception):
    """Stops the walk: the archive is refused for this reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Walk:
    """What the archives read so far have declared, over every level."""

    entries: int = 0
    declared: int = 0


# --------------------------------------------------------------------------- the archive itself
def central_directory_size(f: BinaryIO) -> int | None:
    """The size the end record gives the central directory (ZIP64 included), read from
    the last 64 KiB, before `zipfile` lists it; None if there is no end record."""
    f.seek(0, 2)
    size = f.tell()
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(END_RECORD)
    if at < 0 or len(tail) - at < 22:
        return None
    (cd_size,) = struct.unpack_from("<I", tail, at + 12)
    if cd_size != 0xFFFFFFFF:
        return int(cd_size)
    if at < 20 or tail[at - 20:at - 16] != LOCATOR64:
        return None
    (offset64,) = struct.unpack_from("<Q", tail, at - 20 + 8)
    f.seek(offset64)
    record = f.read(56)
    if len(record) < 56 or not record.startswith(END_RECORD64):
        return None
    return int(struct.unpack_from("<Q", record, 40)[0])


def zip_type(source: Source, ext: str, *, depth: int = 1, walk: Walk | None = None, trail: str = "") -> Sniffed:
    """The type of a ZIP-based file (OpenDocument, Office Open XML, or a plain archive
    whose every entry passes), or its refusal. `trail` names the archives it is in."""
    if source is None:
        return None, REASON_BROKEN
    if depth > MAX_DEPTH:
        return None, REASON_TOO_DEEP
    walk = walk if walk is not None else Walk()
    try:
        with opened(seekable(source)) as fh:
            directory = central_directory_size(fh)
            if directory is None:
                return None, REASON_BROKEN
            if directory > MAX_DIRECTORY_BYTES:
                return None, REASON_TOO_MANY
            with zipfile.ZipFile(fh) as zf:
                return _zip_kind(zf, depth, walk, trail)
    except Refused as exc:
        return None, exc.reason
    except NotImplementedError:  # a compression method zipfile does not read (Deflate64, …)
        return None, REASON_UNSUPPORTED
    except Exception:  # zipfile's, zlib's, bz2's and lzma's errors for a damaged or crafted archive
        log.info("archive unreadable depth=%s trail=%r", depth, trail, exc_info=True)
        return None, REASON_BROKEN


def _zip_kind(zf: zipfile.ZipFile, depth: int, walk: Walk, trail: str) -> Sniffed:
    infos = zf.infolist()
    walk.entries += len(infos)
    if walk.entries > MAX_ENTRIES:
        return None, REASON_TOO_MANY
    names = [i.filename for i in infos]
    if not names:
        return None, REASON_BROKEN
    lower = [n.lower() for n in names]
    if any(n in ("appxmanifest.xml", "appxmetadata/appxbundlemanifest.xml") for n in lower):
        return None, REASON_PROGRAM  # an MSIX / APPX installer package
    office = _office_type(zf, names, lower)
    if office is not None:
        if office[1] is None:  # a document: its parts are not deposited files, only programs are looked for
            _walk(zf, infos, depth, walk, trail, office=True)
        return office
    _walk(zf, infos, depth, walk, trail, office=False)
    return "application/zip", None


def _office_type(zf: zipfile.ZipFile, names: list[str], lower: list[str]) -> Sniffed | None:
    """OpenDocument and Office Open XML files (with macros: refused); None for a plain archive."""
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
    return None


# --------------------------------------------------------------------------- its entries
def _walk(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], depth: int, walk: Walk, trail: str, *,
          office: bool) -> None:
    """Raises Refused at the first entry that refuses the archive. Encryption first
    (then nothing is read), then the sizes (before anything is decompressed)."""
    if any(i.flag_bits & ENCRYPTED_FLAGS for i in infos):
        raise Refused(REASON_ENCRYPTED)
    if not office:  # a document's parts are only read for their heads: no bomb there
        for info in infos:
            walk.declared += info.file_size
            if walk.declared > MAX_TOTAL_BYTES or (
                    info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
                raise Refused(REASON_BOMB)
    for info in infos:
        if info.is_dir():
            continue
        base = PurePosixPath(info.filename.replace("\\", "/")).name or info.filename
        shown = trail + sanitize_filename(base)
        if not office:
            _check_name(base, shown)
        if info.file_size:
            _check_content(zf, info, depth, walk, shown, office=office)


def _check_name(base: str, shown: str) -> None:
    """By extension, on the entry's own name and on the name it is shown under."""
    exts = {extension(base), extension(shown)}
    if exts & BLOCKED_EXTENSIONS:
        raise Refused(reason_inside("un programme ou un script", shown))
    if exts & DISK_IMAGE_EXTENSIONS:
        raise Refused(reason_inside("une image disque", shown))


def _check_content(zf: zipfile.ZipFile, info: zipfile.ZipInfo, depth: int, walk: Walk, shown: str, *,
                   office: bool) -> None:
    with zf.open(info) as fh:
        head = fh.read(DISK_HEAD)
    if is_program(head):
        raise Refused(REASON_DOCUMENT_PROGRAM if office and depth == 1 else reason_inside("un programme", shown))
    if is_disk_image(head):
        raise Refused(REASON_DOCUMENT_PROGRAM if office and depth == 1 else reason_inside("une image disque", shown))
    if office:
        return
    ext = extension(shown)
    if ext == ".pdf" and not head.startswith(b"%PDF-"):
        raise Refused(reason_inside("un faux PDF", shown))
    if head.startswith(ZIP_MAGICS):
        inner = io.BytesIO(_read_whole(zf, info))
        _, reason = zip_type(inner, ext, depth=depth + 1, walk=walk, trail=shown + " › ")
        if reason is not None:
            raise Refused(reason_inside(INNER[reason], shown) if reason in INNER else reason)
    elif head.startswith(OLE_MAGIC):
        reason = ole_verdict(io.BytesIO(_read_whole(zf, info)), head)
        if reason is not None:
            raise Refused(reason_inside(INNER[reason], shown))
    elif is_script_or_shortcut(head):
        raise Refused(reason_inside("un script ou un raccourci", shown))


def _read_whole(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    limit = max_inner_bytes()
    if info.file_size > limit:
        raise Refused(REASON_BOMB)
    with zf.open(info) as fh:
        return fh.read(limit)
