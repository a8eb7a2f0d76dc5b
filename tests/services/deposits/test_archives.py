"""Archives inspected (issue 22, item 4): a ZIP's entries, and the ZIPs in it to three
levels, pass the rules of a direct upload, by name and by content; encrypted archives,
bombs and deep nesting are refused; a « .pdf » that is something else is refused.
Every file here is a real crafted file, read from disk as a deposit's stored file is."""
from __future__ import annotations

import asyncio
import io
import struct
import zipfile
import zlib

import pytest

from espace.demo import make_pdf
from espace.services.client.deposit import deposit_stream
from espace.services.deposits import archives, filetypes
from tests.admin_helpers import user as _user
from tests.services.deposits.test_deposits import Feed, deposited_count, docx_bytes, png_bytes, stored_files, xls_bytes

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200


def zip_of(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=method)
    return buf.getvalue()


def nest(levels: int, inner: dict[str, bytes]) -> bytes:
    """`levels` archives one in the other, the innermost holding `inner`."""
    data = zip_of(inner)
    for level in range(levels - 1, 0, -1):
        data = zip_of({f"niveau{level + 1}.zip": data, "lisez-moi.txt": b"Pieces du dossier\n"})
    return data


def sniff(tmp_path, data: bytes, name: str):
    path = tmp_path / "stored"
    path.write_bytes(data)
    return filetypes.sniff(data[:8192], path, name)


def inside(what: str, shown: str) -> str:
    return f"archive contenant {what} (« {shown} »), non autorisée"


# --------------------------------------------------------------------------- crafted files
def iso_bytes() -> bytes:
    """An ISO 9660 image: 16 empty system sectors, then the primary volume descriptor."""
    return b"\x00" * 0x8000 + b"\x01CD001\x01\x00" + b"ESPACE".ljust(2040, b" ")


def mbr_disk_bytes() -> bytes:
    """A raw disk image (.img): a master boot record with one FAT32 partition."""
    sector = bytearray(b"\xfa\x33\xc0\x8e\xd0" + b"\x00" * 507)
    sector[446:462] = bytes([0x80, 1, 1, 0, 0x0C, 0xFE, 0xFF, 0xFF]) + struct.pack("<II", 2048, 204800)
    sector[510:512] = b"\x55\xaa"
    return bytes(sector) + b"\x00" * 4096


def vhd_bytes() -> bytes:
    """A dynamic VHD: the copy of its footer at the start (« conectix »)."""
    return b"conectix" + struct.pack(">II", 2, 0x10000) + b"\x00" * 2048


def chm_bytes() -> bytes:
    return b"ITSF\x03\x00\x00\x00`\x00\x00\x00\x01\x00\x00\x00" + b"\x00" * 512


def onenote_bytes() -> bytes:
    return bytes.fromhex("e4525c7b8cd8a74daeb15378d02996d3") + b"\x00" * 512


def msix_bytes() -> bytes:
    return zip_of({"[Content_Types].xml": b"<Types/>", "AppxManifest.xml": b"<Package/>",
                   "AppxBlockMap.xml": b"<BlockMap/>", "app/outil.exe": PE})


URL_SHORTCUT = b"[InternetShortcut]\r\nURL=file://192.0.2.1/partage/facture.exe\r\n"
SCF_COMMAND = b"[Shell]\r\nCommand=2\r\nIconFile=\\\\192.0.2.1\\partage\\icone.ico\r\n"


def installer_ole_bytes() -> bytes:
    """An OLE2 file whose root storage is a Windows Installer database's (its CLSID)."""
    data = bytearray(xls_bytes())
    root = data.index("Root Entry".encode("utf-16-le"))
    data[root + 0x50:root + 0x60] = bytes.fromhex("8410 0c00 0000 0000 c000 0000 0000 0046".replace(" ", ""))
    return bytes(data)


def _crc_update(crc: int, byte: int) -> int:
    return (zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF


def zipcrypto_bytes(name: str, data: bytes, password: bytes) -> bytes:
    """A real encrypted ZIP (traditional PKWARE encryption, one stored entry), as
    `zip -e` writes it: the stdlib reads it back with the password."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def update(byte: int) -> None:
        keys[0] = _crc_update(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = _crc_update(keys[2], keys[1] >> 24)

    for b in password:
        update(b)
    crc = zlib.crc32(data)
    out = bytearray()
    for p in bytes(11) + bytes([crc >> 24]) + data:
        k = keys[2] | 2
        out.append(p ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(p)
    fname = name.encode()
    fields = struct.pack("<HHHHIII", 1, 0, 0, 0, crc, len(out), len(data))  # flag bit 0: encrypted, stored
    local = b"PK\x03\x04" + struct.pack("<H", 20) + fields + struct.pack("<HH", len(fname), 0) + fname
    central = (b"PK\x01\x02" + struct.pack("<HH", 20, 20) + fields
               + struct.pack("<HHHHHII", len(fname), 0, 0, 0, 0, 0, 0) + fname)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), len(local) + len(out), 0)
    return local + bytes(out) + central + end


# --------------------------------------------------------------------------- refused inside archives
def test_a_program_in_an_archive_in_an_archive_is_refused_naming_it(tmp_path):
    data = zip_of({"courrier.pdf": make_pdf("Courrier"), "dossier.zip": zip_of({"setup.exe": PE})})
    assert sniff(tmp_path, data, "pieces.zip") == (
        None, inside("un programme ou un script", "dossier.zip › setup.exe"))
    # Renamed « report.pdf », three levels down: refused by its content.
    data = nest(3, {"report.pdf": PE})
    assert sniff(tmp_path, data, "pieces.zip") == (
        None, inside("un programme", "niveau2.zip › niveau3.zip › report.pdf"))
    # Any name at all: its content is a program.
    assert sniff(tmp_path, zip_of({"photo-vacances.jpg": PE}), "photos.zip") == (
        None, inside("un programme", "photo-vacances.jpg"))


@pytest.mark.parametrize("entry", ["image.iso", "disque.img", "machine.vhd", "aide.chm", "outil.xll",
                                   "lien.url", "notes.one", "paquet.msix", "dossier.scf", "disque.vhdx",
                                   "Facture.pdf.exe", "macro.docm", "page.html", "script.ps1"])
def test_each_listed_extension_is_refused_inside_an_archive(tmp_path, entry):
    harmless = b"Rien de dangereux ici, seulement un nom.\n"
    result = sniff(tmp_path, zip_of({"courrier.txt": b"Bonjour\n", f"annexes/{entry}": harmless}), "pieces.zip")
    what = "une image disque" if entry.endswith((".iso", ".img", ".vhd", ".vhdx")) else "un programme ou un script"
    assert result == (None, inside(what, entry))
    # The same rule as a direct upload of that name.
    direct = filetypes.sniff(harmless, None, entry)
    assert direct[0] is None and direct[1] in (filetypes.REASON_PROGRAM, filetypes.REASON_DISK_IMAGE)


@pytest.mark.parametrize("entry, content, what", [
    ("archives.dat", iso_bytes(), "une image disque"),
    ("sauvegarde.bin", mbr_disk_bytes(), "une image disque"),
    ("disque.bin", vhd_bytes(), "une image disque"),
    ("aide.dat", chm_bytes(), "un programme"),
    ("bloc-notes.dat", onenote_bytes(), "un programme"),
    ("outil.dat", PE, "un programme"),  # an Excel add-in (.xll) is a Windows DLL
    ("lien.txt", URL_SHORTCUT, "un script ou un raccourci"),
    ("dossier.txt", SCF_COMMAND, "un script ou un raccourci"),
    ("paquet.zip", msix_bytes(), "un programme"),
    ("lettre.doc", installer_ole_bytes(), "un programme"),
    ("classeur.xls", xls_bytes(macro_sheet=True), "un document avec des macros"),
    ("contrat.docx", docx_bytes({"word/vbaProject.bin": b"x"}), "un document avec des macros"),
    ("scan.pdf", b"Ceci n'est pas un PDF\n", "un faux PDF"),
])
def test_programs_and_disk_images_are_refused_by_content_whatever_their_name(tmp_path, entry, content, what):
    assert sniff(tmp_path, zip_of({entry: content}), "envoi.zip") == (None, inside(what, entry))


def test_an_encrypted_archive_is_refused_with_its_own_message(tmp_path):
    data = zipcrypto_bytes("releve.pdf", make_pdf("Relevé"), b"secret")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a real encrypted archive: it opens with its password
        assert zf.read("releve.pdf", pwd=b"secret").startswith(b"%PDF-")
    assert sniff(tmp_path, data, "releves.zip") == (None, archives.REASON_ENCRYPTED)
    assert "mot de passe" in archives.REASON_ENCRYPTED
    # Inside another archive too.
    assert sniff(tmp_path, zip_of({"banque.zip": data}), "envoi.zip") == (None, archives.REASON_ENCRYPTED)


# --------------------------------------------------------------------------- bombs and depth
def test_an_archive_bomb_is_refused_before_it_is_decompressed(tmp_path):
    bomb = zip_of({"zeros.txt": b"\x00" * (64 * 1024 * 1024)})  # 64 MiB in about 64 KB
    assert len(bomb) < 200_000
    assert sniff(tmp_path, bomb, "bombe.zip") == (None, archives.REASON_BOMB)
    # The same bomb one level down.
    assert sniff(tmp_path, zip_of({"a.zip": bomb}, zipfile.ZIP_STORED), "envoi.zip") == (None, archives.REASON_BOMB)


def test_a_lying_declared_size_is_refused_too(tmp_path):
    """A central directory that declares 2 GiB for a small entry: the ratio refuses it."""
    data = bytearray(zip_of({"note.txt": b"x" * 5000}))
    cd = data.index(b"PK\x01\x02")
    data[cd + 24:cd + 28] = struct.pack("<I", 0x7FFFFFFF)
    assert sniff(tmp_path, bytes(data), "envoi.zip") == (None, archives.REASON_BOMB)


def test_totals_over_every_level_are_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 10_000)
    noise = bytes(range(256)) * 24  # 6 KB that hardly compresses
    assert sniff(tmp_path, zip_of({"a.bin": noise}), "a.zip") == ("application/zip", None)
    assert sniff(tmp_path, zip_of({"a.bin": noise, "b.zip": zip_of({"b.bin": noise})}), "a.zip") == (
        None, archives.REASON_BOMB)
    monkeypatch.setattr(archives, "MAX_ENTRIES", 10)
    many = zip_of({f"page{i}.txt": b"page\n" for i in range(6)})
    assert sniff(tmp_path, many, "a.zip") == ("application/zip", None)
    assert sniff(tmp_path, zip_of({"x.zip": many, "y.zip": many}), "a.zip") == (None, archives.REASON_TOO_MANY)
    monkeypatch.setattr(archives, "MAX_DIRECTORY_BYTES", 200)  # refused before zipfile lists the entries
    assert sniff(tmp_path, many, "a.zip") == (None, archives.REASON_TOO_MANY)


def test_three_levels_of_archives_pass_a_fourth_is_refused(tmp_path):
    assert sniff(tmp_path, nest(3, {"acte.pdf": make_pdf("Acte")}), "a.zip") == ("application/zip", None)
    assert sniff(tmp_path, nest(4, {"acte.pdf": make_pdf("Acte")}), "a.zip") == (None, archives.REASON_TOO_DEEP)


# --------------------------------------------------------------------------- what passes
def test_ordinary_archives_pass(tmp_path):
    data = zip_of({
        "Pieces/acte de vente.pdf": make_pdf("Acte"), "Pieces/photo.png": png_bytes(),
        "Pieces/contrat.docx": docx_bytes(), "Pieces/compta.xls": xls_bytes(), "Pieces/": b"",
        "Pieces/notes.txt": "Remarques : la fenêtre est cassée.\n".encode(), "vide.txt": b"",
        "annexes.zip": zip_of({"releve.pdf": make_pdf("Relevé"), "donnees.csv": b"a;b\n1;2\n"}),
    })
    assert sniff(tmp_path, data, "dossier complet.zip") == ("application/zip", None)


def test_a_document_holding_a_program_is_refused(tmp_path):
    assert sniff(tmp_path, docx_bytes({"word/embeddings/setup.bin": PE}), "contrat.docx") == (
        None, archives.REASON_DOCUMENT_PROGRAM)


# --------------------------------------------------------------------------- PDFs that are something else
def test_a_pdf_must_be_a_pdf(tmp_path):
    assert sniff(tmp_path, PE, "report.pdf") == (None, filetypes.REASON_PROGRAM)
    assert sniff(tmp_path, b"Bonjour, voici le rapport.\n", "report.pdf") == (None, filetypes.REASON_NOT_PDF)
    assert sniff(tmp_path, png_bytes(), "report.pdf") == (None, filetypes.REASON_NOT_PDF)
    assert sniff(tmp_path, zip_of({"setup.exe": PE}), "report.pdf") == (None, filetypes.REASON_NOT_PDF)
    # A PDF that is also a ZIP (a polyglot) is checked as one.
    polyglot = make_pdf("Rapport") + zip_of({"setup.exe": PE})
    assert sniff(tmp_path, polyglot, "report.pdf") == (None, inside("un programme ou un script", "setup.exe"))
    assert sniff(tmp_path, make_pdf("Rapport"), "report.pdf") == ("application/pdf", None)


def test_direct_installers_and_disk_images_are_refused(tmp_path):
    assert sniff(tmp_path, installer_ole_bytes(), "lettre.doc") == (None, filetypes.REASON_PROGRAM)
    assert sniff(tmp_path, iso_bytes(), "image.iso") == (None, filetypes.REASON_DISK_IMAGE)
    assert sniff(tmp_path, URL_SHORTCUT, "lien.txt") == (None, filetypes.REASON_PROGRAM)
    assert sniff(tmp_path, msix_bytes(), "paquet.zip") == (None, filetypes.REASON_PROGRAM)


# --------------------------------------------------------------------------- through the deposit
def test_a_refused_archive_leaves_nothing(demo):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    before, rows = stored_files(), deposited_count(did)
    data = zip_of({"dossier.zip": zip_of({"setup.exe": PE})})
    result = asyncio.run(deposit_stream(user, did, "pièces.zip", Feed(data)))
    assert result.ok is False
    assert result.error == "« pièces.zip » : " + inside("un programme ou un script", "dossier.zip › setup.exe")
    assert stored_files() == before and deposited_count(did) == rows
