"""The storage API on both stores: local files, and a real S3 server (moto_server in a
process of its own, a fresh bucket per test). Streamed both ways (memory measured
with tracemalloc), nothing visible until complete, leftovers of crashes, and
check-storage."""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import pytest

from espace.config import settings
from espace.services import storage
from espace.services.storage import check as storage_check
from espace.services.storage import local, pipeline
from espace.services.storage import s3 as object_store

MB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request, data_dir) -> str:
    """Which store the test runs on (the S3 one gets a fresh bucket)."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
    return request.param


def pattern(size: int, seed: int = 1) -> Iterator[bytes]:
    """`size` bytes of a non-repeating pattern, 64 KiB at a time (never the whole)."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    sent = 0
    n = 0
    while sent < size:
        chunk = (n.to_bytes(8, "big") + block)[: min(len(block), size - sent)]
        n += 1
        sent += len(chunk)
        yield chunk


async def feed(chunks: Iterator[bytes], fail_after: int | None = None) -> AsyncIterator[bytes]:
    sent = 0
    for chunk in chunks:
        if fail_after is not None and sent >= fail_after:
            raise ConnectionResetError("client disconnected")
        sent += len(chunk)
        yield chunk
        await asyncio.sleep(0)


def sha_of(chunks) -> tuple[int, str]:
    sha, n = hashlib.sha256(), 0
    for c in chunks:
        sha.update(c)
        n += len(c)
    return n, sha.hexdigest()


def incomplete_uploads() -> list:
    return storage.leftovers(older_than=0)


def nothing_half_written() -> bool:
    if settings.s3_bucket:
        return incomplete_uploads() == []
    return not list(settings.documents_dir.glob(".*"))


def test_round_trip(store):
    data = b"%PDF-1.4 contrat\n" * 1000
    key, size, sha = storage.save_bytes(data)
    assert (size, sha) == (len(data), hashlib.sha256(data).hexdigest())
    assert storage.exists(key) and storage.size(key) == len(data)
    assert storage.read_head(key, 8) == b"%PDF-1.4"
    assert storage.read_head(key, 10 * len(data)) == data
    chunks = storage.open_chunks(key, chunk_size=4096)
    assert chunks.size == len(data)
    parts = list(chunks)
    assert b"".join(parts) == data and max(map(len, parts)) == 4096
    assert key in set(storage.iter_keys())
    with storage.open_file(key) as fh:
        fh.seek(-4, os.SEEK_END)
        assert fh.read() == b"rat\n"
    empty, n, _ = storage.save_bytes(b"")
    assert n == 0 and storage.read_head(empty) == b"" and list(storage.open_chunks(empty)) == []


def test_big_file_is_streamed_both_ways_in_bounded_memory(store):
    """40 MB through save_stream and back through open_chunks: the Python heap never
    holds more than two parts (one sent, one filled) and a few batches (a whole-file
    read or write would show 40 MB); on
    the object store it is a multipart upload (its ETag counts the parts)."""
    size = 40 * MB
    tracemalloc.start()
    try:
        stored = asyncio.run(storage.save_stream(feed(pattern(size)), lambda s: s, max_bytes=50 * MB))
        _, peak_up = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        chunks = storage.open_chunks(stored.key)
        got = sha_of(chunks)
        _, peak_down = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == (size, stored.sha256) == sha_of(pattern(size))
    assert stored.size == size and stored.head == b"".join(pattern(storage.HEAD))[: storage.HEAD]
    print(f"{store}: peak {peak_up / MB:.1f} MB up, {peak_down / MB:.1f} MB down")
    assert peak_up < 3 * storage.PART, f"upload peak {peak_up / MB:.1f} MB"
    assert peak_down < 4 * storage.CHUNK, f"download peak {peak_down / MB:.1f} MB"
    if store == "s3":
        s3 = storage.backend()
        head = s3.client.head_object(Bucket=s3.bucket, Key=s3.object_key(stored.key))
        assert head["ETag"].strip('"').endswith(f"-{-(-size // storage.PART)}")  # 5 parts of 8 MiB


def test_size_limit_stops_the_stream_and_leaves_nothing(store):
    before = set(storage.iter_keys())
    with pytest.raises(storage.TooLarge):
        asyncio.run(storage.save_stream(feed(pattern(20 * MB)), lambda s: s, max_bytes=12 * MB))
    with pytest.raises(storage.TooLarge):
        storage.save_chunks(pattern(2 * MB), max_bytes=MB)
    assert set(storage.iter_keys()) == before
    assert nothing_half_written()


def test_interrupted_upload_leaves_nothing(store):
    """The client goes away after 18 MB (two parts already uploaded to the object
    store): nothing is visible and nothing is left, not even an incomplete upload."""
    before = set(storage.iter_keys())
    with pytest.raises(ConnectionResetError):
        asyncio.run(storage.save_stream(feed(pattern(30 * MB), fail_after=18 * MB), lambda s: s))
    assert set(storage.iter_keys()) == before
    assert nothing_half_written()


def test_recording_failure_after_the_body_removes_the_file(store):
    def refuse(stored: storage.Stored):
        raise RuntimeError("database down")

    before = set(storage.iter_keys())
    with pytest.raises(RuntimeError):
        asyncio.run(storage.save_stream(feed(pattern(3 * MB)), refuse))
    # `then` owns the stored file: the deposits code removes it on failure; here the
    # caller does what it would do.
    new = set(storage.iter_keys()) - before
    for key in new:
        storage.delete(key)
    assert set(storage.iter_keys()) == before


def test_delete_and_missing(store):
    key, _, _ = storage.save_bytes(b"a supprimer")
    storage.delete(key)
    assert not storage.exists(key)
    assert key not in set(storage.iter_keys())
    with pytest.raises(storage.Missing):
        storage.open_chunks(key)
    with pytest.raises(storage.Missing):
        storage.size(key)
    with pytest.raises(storage.Missing):
        storage.read_head(key)
    storage.delete(key)  # nothing there: no error
    for bad in ("", "../espace.db", ".x.part", "a/b", "a\\b"):
        with pytest.raises(ValueError):
            storage.open_chunks(bad)
        with pytest.raises(ValueError):
            storage.delete(bad)


def test_iter_keys_lists_complete_files_only(store):
    keys = {storage.save_bytes(f"fichier {i}".encode())[0] for i in range(5)}
    # An upload in progress (its first part sent) is not a stored file yet.
    w = pipeline._Writer(None)
    try:
        w.write(b"x" * (storage.PART + 1))
        assert set(storage.iter_keys()) == keys
    finally:
        w.abort()
    assert set(storage.iter_keys()) == keys


def test_restore_object_puts_a_key_back_atomically(store):
    key = "0123456789abcdef0123456789abcdef"
    size, sha = storage.restore_object(key, pattern(9 * MB, seed=7))
    assert (size, sha) == sha_of(pattern(9 * MB, seed=7))
    assert sha_of(storage.open_chunks(key)) == (size, sha)

    def broken() -> Iterator[bytes]:
        yield b"nouveau contenu"
        raise OSError("source illisible")

    with pytest.raises(OSError):
        storage.restore_object(key, broken())
    assert sha_of(storage.open_chunks(key)) == (size, sha)  # the previous file, whole
    storage.restore_object(key, [b"remplace"])
    assert b"".join(storage.open_chunks(key)) == b"remplace"
    assert set(storage.iter_keys()) == {key}
    assert nothing_half_written()


def test_leftovers_of_a_dead_writer_are_removed_never_a_running_upload(data_dir):
    root = storage.backend().root
    dead = root / ".0000dead.part"
    dead.write_bytes(b"x" * 1000)
    running = pipeline._Writer(None)
    running.write(b"en cours")  # its .part file exists, locked by this writer
    try:
        assert [x.name for x in storage.leftovers()] == [dead.name]
        assert [x.name for x in storage.remove_leftovers()] == [dead.name]
        assert not dead.exists()
        running.write(b" et la suite")
        key, _, _ = running.finish()
    except BaseException:
        running.abort()
        raise
    assert b"".join(storage.open_chunks(key)) == b"en cours et la suite"
    assert storage.leftovers() == []


def test_a_writer_whose_part_file_was_swept_before_it_locked_it_fails_cleanly(data_dir, monkeypatch):
    """The sweep locks and removes a `.part` file in the instant between its creation
    and its writer's lock: the writer sees it and fails (the upload is refused),
    never writing into a removed file."""
    real_flock = fcntl.flock

    def sweep_first(fd, op):
        if op == fcntl.LOCK_EX:  # the writer's blocking lock: the sweep got there first
            storage.remove_leftovers()
        return real_flock(fd, op)

    monkeypatch.setattr(local.fcntl, "flock", sweep_first)
    with pytest.raises(FileNotFoundError):
        storage.save_bytes(b"perdu")
    monkeypatch.undo()
    assert list(storage.iter_keys()) == [] and storage.leftovers() == []


def test_object_store_sweep_aborts_only_old_incomplete_uploads(s3_bucket, data_dir, monkeypatch):
    """Another instance may be uploading: only multipart uploads started more than
    STALE_UPLOAD_SECONDS ago are aborted. (moto dates every upload 2010-11-10: the
    clock is set relative to the date the server gives.)"""
    s3 = storage.backend()
    up = s3.client.create_multipart_upload(Bucket=s3.bucket, Key=s3.object_key("abandonne"))
    started = s3.client.list_multipart_uploads(Bucket=s3.bucket)["Uploads"][0]["Initiated"].timestamp()
    monkeypatch.setattr(object_store, "_now", lambda: started + 600)
    assert storage.remove_leftovers() == []  # started ten minutes ago: kept
    assert len(incomplete_uploads()) == 1
    monkeypatch.setattr(object_store, "_now", lambda: started + storage.STALE_UPLOAD_SECONDS + 1)
    removed = storage.remove_leftovers()
    assert [x.name for x in removed] == [f"{s3.object_key('abandonne')} (upload {up['UploadId']})"]
    monkeypatch.undo()
    assert incomplete_uploads() == []


# --------------------------------------------------------------------------- type checks
def test_type_checks_read_the_stored_file_on_both_stores(store, demo):
    """ZIP directories and OLE2 streams are read from the store (ranged reads on the
    object store): the same answers as on local files."""
    from espace.db import session_scope
    from espace.models import User
    from espace.services.client import deposit
    from espace.services.deposits import filetypes
    from tests.services.deposits.test_deposits import docx_bytes, xls_bytes, zip_bytes

    with session_scope() as s:
        user = s.get(User, demo["client_user_id"])
    did = demo["dossier_ids"][0]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    cases = [
        ("Contrat.docx", docx_bytes(), True),
        ("macro.docx", docx_bytes({"word/vbaProject.bin": b"x"}), filetypes.REASON_MACROS),
        ("a.zip", zip_bytes({"setup.exe": b"MZ"}),
         "archive contenant un programme ou un script (« setup.exe »), non autorisée"),
        ("macro.ppt", ole + b"\x00" * (2 * MB) + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 40,
         filetypes.REASON_MACROS),
        ("macro.xls", xls_bytes(macro_sheet=True), filetypes.REASON_MACROS),
        ("compta.xls", xls_bytes(), True),
    ]

    async def one(data: bytes) -> AsyncIterator[bytes]:
        yield data

    before = set(storage.iter_keys())
    kept = set()
    for name, data, expected in cases:
        result = asyncio.run(deposit.deposit_stream(user, did, name, one(data)))
        if expected is True:
            assert result.ok is True, (name, result)
            with session_scope() as s:
                from espace.models import Document

                doc = s.get(Document, result.value.id)
                kept.add(doc.storage_key)
                assert sha_of(storage.open_chunks(doc.storage_key))[1] == hashlib.sha256(data).hexdigest()
        else:
            assert result.ok is False and result.error.endswith(expected), (name, result)
    assert set(storage.iter_keys()) == before | kept


# --------------------------------------------------------------------------- check-storage
def test_check_storage_reports_orphans_missing_files_and_interrupted_uploads(store, demo):
    from espace.db import session_scope
    from espace.models import Document

    with session_scope() as s:
        docs = s.query(Document).order_by(Document.id).all()
        keys = [d.storage_key for d in docs]
        first_id = docs[0].id
    if store == "s3":  # the demo's files, put in the bucket as a restore would
        for key in keys:
            storage.restore_object(key, [(settings.documents_dir / key).read_bytes()])
    report = storage_check.check()
    assert report.clean and report.files == len(set(keys)), storage_check.render(report)

    orphan, _, _ = storage.save_bytes(b"sans ligne")
    storage.delete(keys[0])
    w = pipeline._Writer(None)  # an upload interrupted by a crash
    w.write(b"x" * (storage.PART + 10))
    if store == "local":
        w.sink.fh.close()  # its process died: the lock is gone, the .part file stays
    report = storage_check.check(grace_seconds=0)
    text = storage_check.render(report)
    assert not report.clean
    assert [e.key for e in report.orphans] == [orphan], text
    assert report.missing == [(f"document {first_id}", keys[0])], text
    assert len(report.leftovers) == 1, text
    assert orphan in text and keys[0] in text and "Résultat : anomalies à examiner." in text

    # A recent orphan (an upload whose row is being written) is only reported.
    assert [e.key for e in storage_check.check().recent_orphans] == [orphan]
    report = storage_check.check(remove=True, upload_grace_seconds=0)
    assert report.removed_orphans == [] and storage.exists(orphan)
    assert len(report.removed_leftovers) == 1
    assert nothing_half_written()

    report = storage_check.check(remove=True, grace_seconds=0)
    assert report.removed_orphans == [orphan] and not storage.exists(orphan)
    again = storage_check.check()
    assert again.orphans == [] and again.leftovers == [] and again.missing == report.missing


def test_app_start_sweeps_the_leftovers_of_a_crash(data_dir):
    """The app's lifespan task: a `.part` file of a dead process is gone before the
    app serves; one being written (locked) stays."""
    dead = storage.backend().root / ".0000dead.part"
    dead.write_bytes(b"x" * 100)
    running = pipeline._Writer(None)
    running.write(b"en cours")

    async def start():
        async with storage.app_sweep():
            return dead.exists()

    try:
        assert asyncio.run(start()) is False
        assert [p.name for p in storage.backend().root.glob(".*.part")] == [f".{running.key}.part"]
    finally:
        running.abort()
