"""What bytes and names mean, shared by the direct upload's rules (filetypes.py) and
the archive's (archives.py): the allow-list, the refused extensions, the signatures
of programs, disk images and shortcuts, the OLE2 checks (macros, installers), and
the French reasons a refused file is given."""
from __future__ import annotations

import contextlib
import struct
from pathlib import Path
from typing import BinaryIO

import olefile

from espace.config import settings

Sniffed = tuple[str | None, str | None]  # (content type, None) if allowed, (None, French reason) if refused
# The stored file for the checks that read more than its head: a path, or a seekable
# binary file (storage.open_file: ranged reads on the object store; an archive's entry in memory).
Source = Path | str | BinaryIO | None


def seekable(source: Path | str | BinaryIO) -> Path | BinaryIO:
    if isinstance(source, str | Path):
        return Path(source)
    source.seek(0)
    return source


def opened(source: Path | BinaryIO) -> contextlib.AbstractContextManager[BinaryIO]:
    """The file of a path (closed after), or the given file (left open)."""
    return open(source, "rb") if isinstance(source, Path) else contextlib.nullcontext(source)


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

# Refused whatever the content: programs, scripts, installers, shortcuts, what a
# browser or Windows would run or open as a program (add-ins, help files, packages).
BLOCKED_EXTENSIONS = frozenset({
    ".exe", ".bat", ".cmd", ".sh", ".js", ".vbs", ".ps1", ".msi", ".jar", ".com", ".scr", ".html", ".htm",
    ".svg", ".php", ".py", ".dll", ".sys", ".cpl", ".pif", ".lnk", ".hta", ".wsf", ".wsh", ".vbe", ".jse",
    ".mjs", ".psm1", ".reg", ".inf", ".msp", ".msc", ".app", ".pkg", ".deb", ".rpm", ".apk",
    ".appimage", ".run", ".bash", ".zsh", ".ksh", ".csh", ".pl", ".rb", ".cgi", ".xhtml", ".shtml", ".phtml",
    ".php3", ".php4", ".php5", ".phar", ".asp", ".aspx", ".jsp", ".xht", ".svgz", ".swf", ".class", ".docm",
    ".xlsm", ".pptm", ".dotm", ".xltm", ".potm", ".xlam", ".ppam",
    # Windows: add-ins, help, shortcuts, OneNote, packages and installers, scriptlets, settings links.
    ".xll", ".xla", ".chm", ".hlp", ".url", ".website", ".scf", ".one", ".onepkg", ".msix", ".msixbundle",
    ".appx", ".appxbundle", ".appinstaller", ".application", ".appref-ms", ".gadget", ".ws", ".wsc", ".sct",
    ".xbap", ".settingcontent-ms", ".library-ms", ".search-ms", ".searchconnector-ms", ".cab", ".diagcab",
    ".msu", ".mst", ".ocx", ".drv", ".efi", ".mht", ".mhtml", ".iqy", ".slk", ".jnlp", ".ps1xml", ".psc1",
    ".psd1", ".ade", ".adp", ".mde", ".accde", ".ppkg", ".ins", ".isp", ".shb", ".command",
})
# Disk images: mounted by a double click (Windows, macOS), they carry programs past
# every check of the files they hold.
DISK_IMAGE_EXTENSIONS = frozenset({
    ".iso", ".img", ".vhd", ".vhdx", ".vmdk", ".vdi", ".qcow", ".qcow2", ".udf", ".wim", ".dmg", ".toast",
    ".nrg", ".isz", ".daa", ".ova",
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
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive's end record
EXECUTABLE_MAGICS = (
    b"MZ",  # Windows PE / DOS (.exe, .dll, .xll, .scr, .sys)
    b"\x7fELF",
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe",  # Mach-O 32 bits
    b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",  # Mach-O 64 bits
    b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca",  # Mach-O universal / Java class
    b"\x00asm",  # WebAssembly
)
# Not programs themselves, but what Windows runs or opens as one.
RISKY_MAGICS = (
    b"ITSF",  # compiled HTML help (.chm)
    b"MSCF",  # cabinet (.cab, .msu)
    b"L\x00\x00\x00\x01\x14\x02\x00",  # shortcut (.lnk)
    bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3"),  # OneNote section (.one)
)
SCRIPT_STARTS = (
    "#!", "<?php", "<?=", "<script", "<html", "<!doctype html", "<svg", "<head", "<body",
    "<iframe", "<object", "<embed", "<hta:",
)
# Text files Windows treats as links or shell commands (.url, .website, .scf).
SHORTCUT_STARTS = ("[internetshortcut]", "[{000214a0-0000-0000-c000-000000000046}]", "[shell]", "[.shellclassinfo]")
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# OLE2 root storages of Windows Installer databases, patches and transforms.
INSTALLER_CLSIDS = {"000C1084-0000-0000-C000-000000000046", "000C1086-0000-0000-C000-000000000046",
                    "000C1082-0000-0000-C000-000000000046"}

REASON_PROGRAM = "type de fichier non autorisé (programme ou script)"
REASON_DISK_IMAGE = "type de fichier non autorisé (image disque)"
REASON_TYPE = "type de fichier non autorisé"
REASON_EMPTY = "fichier vide"
REASON_BROKEN = "archive illisible ou endommagée"
REASON_UNREADABLE = "fichier illisible ou endommagé"
REASON_MACROS = "document contenant des macros, non autorisé"
REASON_NOT_PDF = "ce fichier porte l'extension .pdf mais n'est pas un PDF"
REASON_FAILED = "le dépôt a échoué, veuillez réessayer"


def reason_too_large() -> str:
    return f"fichier trop volumineux ({settings.max_upload_mb} Mo maximum)"


def is_program(head: bytes) -> bool:
    return head.startswith(EXECUTABLE_MAGICS) or head.startswith(RISKY_MAGICS)


# ISO 9660 / UDF volume descriptors start at 32 KiB (sector 16): « \x01CD001 », « \x00BEA01 ».
VOLUME_DESCRIPTOR_AT = 0x8001
DISK_HEAD = VOLUME_DESCRIPTOR_AT + 5  # the bytes an archive's entry is read for (its head)


def is_disk_image(head: bytes) -> bool:
    """A disk image recognised from its first DISK_HEAD bytes: ISO 9660 / UDF, VHD(X),
    VMDK, QCOW, VDI, WIM, or a raw disk (a boot sector or partition table)."""
    if head.startswith((b"conectix", b"vhdxfile", b"KDMV", b"QFI\xfb", b"MSWIM\x00\x00\x00", b"# Disk DescriptorFile")):
        return True
    if head[64:68] == b"\x7f\x10\xda\xbe":  # VirtualBox VDI
        return True
    if head[VOLUME_DESCRIPTOR_AT:DISK_HEAD] in (b"CD001", b"BEA01", b"NSR02", b"NSR03"):
        return True
    if len(head) >= 512 and head[510:512] == b"\x55\xaa":
        if head[3:11] in (b"NTFS    ", b"EXFAT   ") or head[54:59] == b"FAT12" or head[54:59] == b"FAT16" \
                or head[82:87] == b"FAT32":
            return True
        # A master boot record: four 16-byte entries from 446, each with status 0x00 or 0x80.
        entries = [head[446 + 16 * i:462 + 16 * i] for i in range(4)]
        if all(e[0] in (0x00, 0x80) for e in entries) and any(e[4] for e in entries):
            return True
    return False


def text_start(head: bytes) -> str | None:
    """The start of a text file, lower-cased without leading blanks; None if it holds a NUL."""
    if b"\x00" in head[:4096]:
        return None
    data = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    return data[:512].decode("latin-1").lstrip(" \t\r\n\f\ufeff").lower()


def is_script_or_shortcut(head: bytes) -> bool:
    start = text_start(head)
    return start is not None and start.startswith(SCRIPT_STARTS + SHORTCUT_STARTS)


# --------------------------------------------------------------------------- OLE2
# Old Office files (OLE2) keep VBA macros in a storage that holds a `_VBA_PROJECT`
# stream; directory entry names are UTF-16LE.
VBA_MARK = "_VBA_PROJECT".encode("utf-16-le")
# Excel 4.0 (XLM) macros live in macro sheets: a BOUNDSHEET record (0x0085) of the
# workbook's globals (before their EOF record, 0x000A) whose sheet type byte is 1.
BIFF_BOUNDSHEET, BIFF_EOF, BIFF_MACRO_SHEET = 0x0085, 0x000A, 0x01


def ole_is_installer(source: Path | str | BinaryIO) -> bool:
    """True if the OLE2 file is a Windows Installer database, patch or transform (its
    root storage's class). Raises olefile's errors for an unreadable file."""
    src = seekable(source)
    with olefile.OleFileIO(str(src) if isinstance(src, Path) else src) as ole:
        return (ole.root.clsid or "").upper() in INSTALLER_CLSIDS


def ole_has_xlm(source: Path | str | BinaryIO) -> bool:
    """True if an Excel 97–2003 (or 95) workbook has an Excel 4.0 macro sheet (olefile
    reads the workbook stream whole: at most the upload limit, in a disk thread).
    Raises olefile's errors for a file that is not a readable OLE2 file."""
    src = seekable(source)
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


def ole_has_vba(source: Source, head: bytes) -> bool:
    """True if the OLE2 file names a VBA project anywhere (read 1 MB at a time)."""
    if source is None:
        return VBA_MARK in head
    keep = len(VBA_MARK) - 1
    tail = b""
    with opened(seekable(source)) as fh:
        while chunk := fh.read(1024 * 1024):
            if VBA_MARK in tail + chunk[: keep * 2] or VBA_MARK in chunk:
                return True
            tail = chunk[-keep:]
    return False


def ole_verdict(source: Source, head: bytes) -> str | None:
    """The reason an OLE2 file is refused (an installer, macros, unreadable), or None."""
    if ole_has_vba(source, head):
        return REASON_MACROS
    if source is None:
        return None
    try:
        if ole_is_installer(source):
            return REASON_PROGRAM
        if ole_has_xlm(source):
            return REASON_MACROS
    except Exception:  # olefile's errors for a damaged or crafted file
        return REASON_UNREADABLE
    return None
