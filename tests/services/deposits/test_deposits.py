"""Client deposits: the content allow-list, the size limit while streaming, the
cleanup of anything refused or interrupted, names, access rules, the one email."""
from __future__ import annotations

import asyncio
import email
import email.policy
import io
import os
import struct
import threading
import time
import zipfile
import zlib

import pytest
import xlwt
from sqlmodel import func, select

from espace.config import settings
from espace.db import session_scope
from espace.demo import make_pdf
from espace.domain import faults
from espace.domain.outcome import Outcome, Refusal
from espace.models import Direction, Document, User
from espace.services import AccessDenied
from espace.services.client import dossier_view, home
from espace.services.client.deposit import deposit_stream, notify_batch
from espace.services.deposits import filenames, filetypes, receive
from espace.services.mail import mailer, outbox
from espace.services.storage import pipeline
from tests.admin_helpers import sent_emails as _outbox
from tests.admin_helpers import user as _user


# --------------------------------------------------------------------------- helpers
class Feed:
    """An async body in chunks that counts what was consumed; may fail mid-way."""

    def __init__(self, data: bytes, chunk: int = 64 * 1024, fail_after: int | None = None):
        self.parts = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
        self.consumed = 0
        self.fail_after = fail_after

    async def _gen(self):
        for part in self.parts:
            if self.fail_after is not None and self.consumed >= self.fail_after:
                raise ConnectionResetError("client disconnected")
            self.consumed += 1
            yield part

    def __aiter__(self):
        return self._gen()


def deposit(user: User, dossier_id: int, name: str, data: bytes | Feed) -> receive.DepositResult:
    feed = data if isinstance(data, Feed) else Feed(data)
    return asyncio.run(deposit_stream(user, dossier_id, name, feed))


def stored_files() -> set[str]:
    root = settings.documents_dir
    return {p.name for p in root.iterdir()} if root.exists() else set()


def deposited_count(dossier_id: int) -> int:
    with session_scope() as s:
        return s.exec(
            select(func.count()).select_from(Document).where(
                Document.dossier_id == dossier_id, Document.direction == Direction.depose
            )
        ).one()


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
        **(extra or {}),
    })


def odt_bytes() -> bytes:
    return zip_bytes({
        "mimetype": b"application/vnd.oasis.opendocument.text",
        "META-INF/manifest.xml": b"<manifest/>",
        "content.xml": b"<office:document-content/>",
    })


# --------------------------------------------------------------------------- allowed
@pytest.mark.parametrize(
    "name, data, content_type",
    [
        ("Attestation.pdf", make_pdf("Attestation de domicile"), "application/pdf"),
        ("photo.png", png_bytes(), "image/png"),
        ("Contrat de bail.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("courrier.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        ("notes.txt", "Remarques sur l'état des lieux : la fenêtre est cassée.\n".encode(), "text/plain"),
        ("ancien.txt", "Élément reçu à Pérols\r\n".encode("latin-1"), "text/plain"),
    ],
)
def test_allowed_types_are_stored_as_deposits(demo, name, data, content_type):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    before_files, before_rows = stored_files(), deposited_count(did)
    result = deposit(user, did, name, data)
    assert result.ok is True, result
    assert result.value.name == name
    with session_scope() as s:
        doc = s.get(Document, result.value.id)
    assert doc.content_type == content_type
    assert doc.direction == Direction.depose and doc.shared_at is not None
    assert doc.uploaded_by_id == user.id and doc.size == len(data) and doc.name == name
    assert stored_files() - before_files == {doc.storage_key}
    assert deposited_count(did) == before_rows + 1
    names = [row.name for row in dossier_view.dossier_tab(user, did, "deposes").rows]
    assert name in names


@pytest.mark.parametrize(
    "head, name, expected",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "scan.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00", "a.gif", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "a.webp", "image/webp"),
        (b"II*\x00\x08\x00", "a.tif", "image/tiff"),
        (b"\x00\x00\x00\x18ftypheic", "IMG_0001.HEIC", "image/heic"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "vieux.doc", "application/msword"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "compta.XLS", "application/vnd.ms-excel"),
        (b"{\\rtf1\\ansi", "lettre.rtf", "application/rtf"),
        (b"\xef\xbb\xbfNom;Montant\n", "liste.csv", "text/plain"),
    ],
)
def test_sniff_recognises_by_content(head, name, expected):
    assert filetypes.sniff(head, None, name) == (expected, None)


def test_sniff_zip_flavours(tmp_path):
    def sniff_zip(data: bytes, name: str):
        path = tmp_path / "f"
        path.write_bytes(data)
        return filetypes.sniff(data[:8192], path, name)

    xlsx = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert sniff_zip(xlsx, "x.xlsx")[0] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sniff_zip(zip_bytes({"pieces/a.pdf": make_pdf("a")}), "pieces.zip") == ("application/zip", None)
    # An OOXML file is a Word document whatever its name, but a « .pdf » must be a PDF.
    assert sniff_zip(docx_bytes(), "trompeur.docx")[0].endswith("wordprocessingml.document")
    assert sniff_zip(docx_bytes(), "trompeur.pdf") == (None, filetypes.REASON_NOT_PDF)
    assert sniff_zip(docx_bytes({"word/vbaProject.bin": b"x"}), "macro.docx") == (None, filetypes.REASON_MACROS)
    assert sniff_zip(zip_bytes({"setup.exe": b"MZ"}), "a.zip") == (
        None, "archive contenant un programme ou un script (« setup.exe »), non autorisée")
    assert sniff_zip(b"PK\x03\x04 not really a zip", "a.zip") == (None, filetypes.REASON_BROKEN)


def test_sniff_refuses_old_office_files_with_vba_macros(tmp_path):
    """A .doc/.xls/.ppt with a VBA project names a `_VBA_PROJECT` stream in its OLE2
    directory (UTF-16LE), wherever the directory sector is, even past 1 MB."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 40
    cases = {
        "macro.doc": ole + b"\x00" * 3000 + entry,
        "macro.xls": ole + b"\x00" * (1024 * 1024 - 520 - 7) + entry,  # the name straddles two reads
        "macro.ppt": ole + b"\x00" * (2 * 1024 * 1024) + entry,
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert filetypes.sniff(data[:8192], path, name) == (None, filetypes.REASON_MACROS), name
    plain = xls_bytes()
    assert "_VBA".encode("utf-16-le") not in plain
    path = tmp_path / "sans-macro.xls"
    path.write_bytes(plain)
    assert filetypes.sniff(plain[:8192], path, "sans-macro.xls") == ("application/vnd.ms-excel", None)


def xls_bytes(macro_sheet: bool = False) -> bytes:
    """A real Excel 97–2003 workbook (xlwt) with two sheets; with `macro_sheet`, the
    second one is turned into an Excel 4.0 macro sheet (its BOUNDSHEET type byte)."""
    wb = xlwt.Workbook()
    wb.add_sheet("Feuil1").write(0, 0, "Honoraires")
    wb.add_sheet("Macro1").write(0, 0, "=EXEC(\"calc.exe\")")
    buf = io.BytesIO()
    wb.save(buf)
    data = bytearray(buf.getvalue())
    if macro_sheet:
        # BOUNDSHEET record: type 0x0085, length (2), stream position (4), state, sheet
        # type, then the name (length, flags, characters).
        name = data.index(b"\x06\x00Macro1")
        assert data[name - 10:name - 8] == b"\x85\x00" and data[name - 1] == 0
        data[name - 1] = 0x01
    return bytes(data)


def test_sniff_refuses_old_excel_files_with_excel4_macro_sheets(tmp_path):
    """Excel 4.0 (XLM) macros need no VBA project: a macro sheet is enough. The
    workbook stream is read with olefile; a damaged OLE2 file is refused too."""
    path = tmp_path / "macro.xls"
    path.write_bytes(xls_bytes(macro_sheet=True))
    assert filetypes.sniff(path.read_bytes()[:8192], path, "macro.xls") == (None, filetypes.REASON_MACROS)
    # Named as a Word file, still a workbook with a macro sheet.
    assert filetypes.sniff(path.read_bytes()[:8192], path, "lettre.doc") == (None, filetypes.REASON_MACROS)
    damaged = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000
    path = tmp_path / "abime.xls"
    path.write_bytes(damaged)
    assert filetypes.sniff(damaged[:8192], path, "abime.xls") == (None, filetypes.REASON_UNREADABLE)


def test_sniff_refuses_ooxml_workbooks_with_excel4_macro_sheets(tmp_path):
    path = tmp_path / "tableau.xlsx"
    path.write_bytes(zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "xl/workbook.xml": b"<workbook/>",
        "xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>",
    }))
    assert filetypes.sniff(path.read_bytes()[:8192], path, "tableau.xlsx") == (None, filetypes.REASON_MACROS)


def test_sniff_refuses_ole_without_office_extension():
    assert filetypes.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None, "installer") == (None, filetypes.REASON_TYPE)
    assert filetypes.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", None, "setup.msi") == (None, filetypes.REASON_PROGRAM)


# --------------------------------------------------------------------------- refused
PROGRAM = "type de fichier non autorisé (programme ou script)"


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("rapport.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, PROGRAM),
        ("notes.txt", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, PROGRAM),
        ("lisez-moi.txt", b"#!/bin/sh\nrm -rf ~\n", PROGRAM),
        ("page.txt", b"\n  <!DOCTYPE html><html><body><script>alert(1)</script></body></html>", PROGRAM),
        ("facture.pdf.exe", make_pdf("Facture"), PROGRAM),
        ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", PROGRAM),
        ("mach.bin", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64, PROGRAM),
        ("inconnu.bin", b"\x00\x01\x02\x03binary\x00", "type de fichier non autorisé"),
        ("vide.pdf", b"", "fichier vide"),
    ],
)
def test_refused_content_leaves_nothing(demo, name, data, reason):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    before_files, before_rows = stored_files(), deposited_count(did)
    result = deposit(user, did, name, data)
    assert result.ok is False
    assert result.error == f"« {filenames.sanitize_filename(name)} » : {reason}"
    assert result.refusal is Refusal.unsupported
    assert stored_files() == before_files
    assert deposited_count(did) == before_rows


def test_oversized_stream_is_stopped_and_leaves_nothing(demo, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    before_files, before_rows = stored_files(), deposited_count(did)
    data = make_pdf("gros")
    feed = Feed(data + b"\x00" * (1536 * 1024 - len(data)), chunk=64 * 1024)
    result = deposit(user, did, "gros.pdf", feed)
    assert result == Outcome.refused("« gros.pdf » : fichier trop volumineux (1 Mo maximum)",
                                     receive.Upload("gros.pdf"), Refusal.too_large)
    assert feed.consumed == 17 < len(feed.parts) == 24  # stopped just past 1 Mo
    assert stored_files() == before_files
    assert deposited_count(did) == before_rows


def test_stream_failing_midway_leaves_nothing(demo):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][1]
    before_files, before_rows = stored_files(), deposited_count(did)
    feed = Feed(make_pdf("coupé") + b"\x00" * 300_000, chunk=64 * 1024, fail_after=2)
    result = deposit(user, did, "coupé.pdf", feed)
    assert result.ok is False and result.error.startswith("« coupé.pdf » : ")
    assert feed.consumed == 2
    assert stored_files() == before_files
    assert not list(settings.documents_dir.glob(".*.part"))
    assert deposited_count(did) == before_rows


def test_upload_cancelled_midway_leaves_nothing(demo):
    """The server cancels the request (the browser went away) while the disk thread
    is writing: once that write is over, no temporary or final file is left."""
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][1]
    before_files, before_rows = stored_files(), deposited_count(did)
    started = asyncio.Event()

    async def body():
        yield make_pdf("annulé") + b"\x00" * (3 * 1024 * 1024)  # a full batch goes to the disk thread
        started.set()
        await asyncio.sleep(3600)  # the rest never comes
        yield b""

    async def scenario():
        task = asyncio.create_task(deposit_stream(user, did, "annulé.pdf", body()))
        await started.wait()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(pipeline._disk.submit(lambda: None).result)  # the cleanup ran before it

    asyncio.run(scenario())
    # The disk pool has several threads: the no-op above may run beside the write, whose
    # cleanup then ends a moment later — wait for it (bounded), then nothing may be left.
    for _ in range(200):
        if stored_files() == before_files and not list(settings.documents_dir.glob(".*.part")):
            break
        time.sleep(0.05)
    assert stored_files() == before_files
    assert not list(settings.documents_dir.glob(".*.part"))
    assert deposited_count(did) == before_rows


def test_request_cancelled_once_the_body_is_in_still_records_the_file_and_its_row(demo, monkeypatch):
    """The browser goes away while the last disk step (fsync, then the recording) runs:
    that step runs to its end, so the file and its row are both there, never one alone."""
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][1]
    before_files, before_rows = stored_files(), deposited_count(did)
    in_fsync, release = threading.Event(), threading.Event()
    real_finish = pipeline._Writer.finish

    def slow_finish(self):
        in_fsync.set()
        release.wait(10)
        return real_finish(self)

    monkeypatch.setattr(pipeline._Writer, "finish", slow_finish)

    async def scenario():
        task = asyncio.create_task(deposit_stream(user, did, "fin.pdf", Feed(make_pdf("fin"))))
        await asyncio.to_thread(in_fsync.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        await asyncio.to_thread(pipeline._disk.submit(lambda: None).result)

    asyncio.run(scenario())
    for _ in range(100):  # the recording finishes in its disk thread
        if deposited_count(did) == before_rows + 1:
            break
        time.sleep(0.05)
    assert deposited_count(did) == before_rows + 1
    with session_scope() as s:
        doc = s.exec(select(Document).where(Document.dossier_id == did, Document.name == "fin.pdf")).one()
    assert stored_files() == before_files | {doc.storage_key}
    assert not list(settings.documents_dir.glob(".*.part"))


@pytest.mark.parametrize(("code", "refusal", "reason"), [
    (5, Refusal.failed, filetypes.REASON_FAILED),  # EIO: a failing disk
    (28, Refusal.storage_full, faults.STORAGE_FULL),  # ENOSPC: a full one (a real one: tests/http/test_upload_faults.py)
])
def test_disk_error_midway_leaves_nothing(demo, monkeypatch, code, refusal, reason):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][1]
    before_files, before_rows = stored_files(), deposited_count(did)
    real_put = pipeline._Writer.put
    calls = []

    def failing_put(self, chunks):
        calls.append(len(chunks))
        if len(calls) == 2:
            raise OSError(code, os.strerror(code))
        return real_put(self, chunks)

    monkeypatch.setattr(pipeline._Writer, "put", failing_put)
    data = make_pdf("plein") + b"\x00" * (3 * 1024 * 1024)
    result = deposit(user, did, "plein.pdf", Feed(data, chunk=256 * 1024))
    assert result.ok is False and result.refusal is refusal
    assert result.error == "« plein.pdf » : " + reason
    assert stored_files() == before_files
    assert deposited_count(did) == before_rows


def test_client_deactivated_during_upload_is_refused_at_the_end(demo):
    """The dossier is checked again once the body is in, with the user's state read
    from the database: a client deactivated meanwhile records nothing."""
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][1]
    before_files, before_rows = stored_files(), deposited_count(did)

    async def body():
        yield make_pdf("tard")
        with session_scope() as s:
            row = s.get(User, demo["client_user_id"])
            row.active = False
            s.add(row)
            s.commit()
        yield b"\x00" * 1024

    with pytest.raises(AccessDenied):
        asyncio.run(deposit_stream(user, did, "tard.pdf", body()))
    assert stored_files() == before_files
    assert deposited_count(did) == before_rows


@pytest.mark.parametrize("who, target", [
    ("client_user_id", "other_dossier_id"),  # another client of the same firm
    ("client_user_id", "other_firm_dossier_id"),  # another firm
    ("other_client_user_id", "dossier_ids"),  # Marc into Luce's dossier
    ("lawyer_id", "dossier_ids"),  # not a client
])
def test_foreign_dossier_denied_before_reading(demo, who, target):
    user = _user(demo[who])
    did = demo[target][0] if isinstance(demo[target], list) else demo[target]
    feed = Feed(make_pdf("x"))
    before = stored_files()
    with pytest.raises(AccessDenied):
        deposit(user, did, "x.pdf", feed)
    assert feed.consumed == 0
    assert stored_files() == before
    with pytest.raises(AccessDenied):
        deposit(user, "pas-un-nombre", "x.pdf", Feed(b"x"))


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\évaluation.pdf", "évaluation.pdf"),
        ("rap\x00port\x07 \tfinal\n.pdf", "rapport final .pdf"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("...cache", "cache"),
        ("a<b>c:d|e?f*g\".txt", "a_b_c_d_e_f_g_.txt"),
        ("  beaucoup   d'espaces  .pdf ", "beaucoup d'espaces .pdf"),
        ("e\u0301te\u0301.pdf", "été.pdf"),
        ("", "document"),
        ("../..", "document"),
        (None, "document"),
        ("CON.txt", "_CON.txt"),
    ],
)
def test_sanitize_filename(raw, expected):
    assert filenames.sanitize_filename(raw) == expected


def test_sanitize_filename_keeps_extension_within_150():
    name = filenames.sanitize_filename("x" * 300 + ".docx")
    assert len(name) == 150 and name.endswith(".docx")
    assert filenames.sanitize_filename(name) == name


# --------------------------------------------------------------------------- notice
def test_notify_batch_sends_one_email_listing_the_files(demo):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    names = []
    for name in ("Pièce 1 - bail.pdf", "Photo <fuite>.png"):
        data = make_pdf(name) if name.endswith(".pdf") else png_bytes()
        result = deposit(user, did, name, data)
        assert result.ok, result
        names.append(result.value.name)
    notify_batch(user, did, [*names, "jamais déposé.pdf"])
    files = _outbox()
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "fabien.delmas@example.com"
    assert "Luce ALEXANDER" in msg["Subject"] and "2017IIDOS/1529" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for name in names:
        assert f"- {name}" in text
    assert "Photo _fuite_.png" in html  # sanitized name, HTML-escaped anyway
    assert "jamais déposé.pdf" not in text
    assert "2017IIDOS/1529 - ALEXANDER / AGENCE IMMO" in text
    assert f"{settings.public_url}/admin" in text


def test_each_deposit_is_announced_once_whatever_the_browser_sends_again(demo):
    """/termine is a public door: replaying it must not flood the lawyer's mailbox."""
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    assert deposit(user, did, "premier.pdf", make_pdf("1")).ok
    for _ in range(5):
        notify_batch(user, did, ["premier.pdf"])
    assert len(_outbox()) == 1
    # A later drop is announced, listing only what is new.
    assert deposit(user, did, "second.pdf", make_pdf("2")).ok
    notify_batch(user, did, ["premier.pdf", "second.pdf"])
    files = _outbox()
    assert len(files) == 2
    newest = max(files, key=lambda f: f.stat().st_mtime_ns)
    text = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert "- second.pdf" in text and "premier.pdf" not in text


def test_notify_batch_nothing_to_say_or_not_theirs(demo):
    user = _user(demo["client_user_id"])
    notify_batch(user, demo["dossier_ids"][0], [])
    notify_batch(user, demo["dossier_ids"][0], ["inventé.pdf"])
    assert _outbox() == []
    with pytest.raises(AccessDenied):
        notify_batch(user, demo["other_dossier_id"], ["x.pdf"])


def test_notify_batch_swallows_mail_errors(demo, monkeypatch):
    user = _user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    assert deposit(user, did, "a.pdf", make_pdf("a")).ok

    def broken(*a, **k):
        raise RuntimeError("smtp down")

    monkeypatch.setattr(mailer, "send", broken)
    notify_batch(user, did, ["a.pdf"])  # no exception
    assert outbox.run_once() == 0  # the worker's failure stays in the outbox
    assert outbox.status_counts()["pending"] == 1  # retried later, not lost


# --------------------------------------------------------------------------- choices
def test_dossier_choices_are_the_clients_own(demo):
    luce = home.home(_user(demo["client_user_id"])).dossiers
    assert sorted(int(c["id"]) for c in luce) == sorted(demo["dossier_ids"])
    titles = [c["title"] for c in luce]
    assert titles == sorted(titles)
    assert "2017IIDOS/1529 - ALEXANDER / AGENCE IMMO" in titles
    marc = home.home(_user(demo["other_client_user_id"])).dossiers
    assert marc == [{"id": str(demo["other_dossier_id"]), "title": "2022IIDOS/0555 - BERTRAND / LICENCIEMENT"}]
    with pytest.raises(AccessDenied):
        home.home(_user(demo["lawyer_id"]))
