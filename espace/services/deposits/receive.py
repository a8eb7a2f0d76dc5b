"""An uploaded file into a dossier, `receive_document`: a client's deposit
(services/client/deposit.py) or the firm's own upload (services/firm/sharing.py).

The body is streamed to private storage (services/storage/: nothing visible until complete) with the
size limit enforced while reading; the type is decided on the stored CONTENT
(filetypes.sniff). Anything refused, too large or interrupted leaves neither a
file nor a row.

Faults never lose nor duplicate a deposit:
- an upload carries an idempotency key (`Idempotency-Key`, made by the browser for each file it
  sends): the same key again, from the same person, answers the document stored the first time
  without reading the body (a retry after a worker died before answering); a key is unique per
  uploader in the database, so two copies can never both be recorded; another person's key
  means nothing;
- a file that would leave the documents' disk with less than STORAGE_RESERVE_MB is refused
  before a byte is read, and a disk that fills up while the body is written gives the same
  French message (faults.STORAGE_FULL), its partial file removed;
- a database that does not answer gives faults.DATABASE_DOWN (`Refusal.unavailable`: 503)."""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from espace.config import settings
from espace.db import database_unavailable, session_scope
from espace.domain import faults
from espace.domain.outcome import Outcome, Refusal
from espace.models import Direction, Document, Dossier, User, utcnow
from espace.services import AccessDenied, audit, storage
from espace.services.deposits.filenames import sanitize_filename
from espace.services.deposits.filetypes import REASON_FAILED, reason_too_large, sniff
from espace.services.shared import counters

log = logging.getLogger("espace.services.deposits")

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: the name it is shown under, and its Document's id once stored."""

    name: str
    id: int | None = None


# Done with the stored Upload; or refused, nothing left of it, with the French error
# « « name » : raison » and why (Refusal.too_large, .unsupported, .failed), the
# Upload (its name) as the value. espace/http/uploads.py turns it into the answer.
DepositResult = Outcome[Upload]


class DossierRef(Protocol):
    """What a scope returns: the dossier, or a row with its id and firm."""

    @property
    def id(self) -> int | None: ...

    @property
    def firm_id(self) -> int: ...


# Returns the dossier the user may add to (or a row with its .id and .firm_id), or
# raises AccessDenied.
DossierScope = Callable[[Session, User, object], DossierRef]
OnShared = Callable[[Session, Dossier, Document], None]


def _failure(name: str, reason: str, refusal: Refusal) -> DepositResult:
    return Outcome.refused(f"« {name} » : {reason}", Upload(name), refusal)


def _database_down(name: str) -> DepositResult:
    return Outcome.refused(faults.DATABASE_DOWN, Upload(name), Refusal.unavailable)


# What an idempotency key may be: 16 to 64 letters, digits, « - » or « _ » (a UUID, a token).
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def idempotency_key(raw: str | None) -> str | None:
    """The upload's idempotency key as sent (None when there is none); ValueError when it is
    not one (the route answers 400)."""
    if raw is None or raw == "":
        return None
    if not _KEY.fullmatch(raw):
        raise ValueError("clé d'envoi mal formée")
    return raw


def _first_upload(user: User, key: str) -> tuple[int, str, int] | None:
    """The document `user` already stored under `key`: (id, name, dossier id), or None."""
    with session_scope() as s:
        row = s.exec(select(Document.id, Document.name, Document.dossier_id).where(
            col(Document.uploaded_by_id) == user.id, col(Document.idempotency_key) == key)).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1], row[2]


def _replayed(user: User, did: int, name: str, key: str, action: str) -> DepositResult | None:
    """The answer of the first upload under `key` (done with its document; refused as a conflict
    when that one went to another dossier), or None when the key is new."""
    first = _first_upload(user, key)
    if first is None:
        return None
    doc_id, first_name, first_dossier = first
    if first_dossier != did:
        log.warning("%s refused: key already used for another dossier user=%s dossier=%s name=%r",
                    action, user.id, did, name)
        return _failure(name, "ce fichier a déjà été envoyé dans un autre dossier (même clé d'envoi).",
                        Refusal.conflict)
    log.info("%s replayed user=%s dossier=%s document=%s name=%r", action, user.id, did, doc_id, first_name)
    return Outcome.done(Upload(first_name, doc_id))


def _scoped_dossier_id(scope: DossierScope, user: User, dossier_id: object) -> int:
    with session_scope() as s:
        did = scope(s, user, dossier_id).id
        assert did is not None  # a dossier read from the database
        return did


async def receive_document(user: User, dossier_id: object, filename: str, chunks: AsyncIterable[bytes], *,
                           scope: DossierScope, direction: Direction,
                           shared: bool, action: str,
                           on_shared: OnShared | None = None,
                           declared_size: int | None = None, key: str | None = None) -> DepositResult:
    """Stream one uploaded file into a dossier: the body goes to private storage
    with the size limit enforced while reading, its type is decided on the stored
    content (`sniff`), then the Document row is written.

    `scope(s, user, dossier_id)` returns the dossier (or its row) or raises AccessDenied; it is
    called before the first chunk is read (then a `declared_size` over the limit is
    refused as too large, before reading) and again once the body is in. `shared`
    sets shared_at; `on_shared(s, dossier, doc)` runs in the same transaction (e.g.
    the share notices). Done with the Upload (name, id), or refused (« « name » :
    raison », too large, unsupported or failed) leaving no file and no row. With a `key`
    (`idempotency_key`), an upload already stored under it by `user` is answered again as it
    was, nothing read nor stored. A file the documents' disk has no room for is refused
    (`Refusal.storage_full`), up front by its declared size or when the disk fills up.

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
        return _failure(name, reason_too_large(), Refusal.too_large)
    if key is not None:
        replayed = _replayed(user, did, name, key, action)
        if replayed is not None:
            return replayed
    if not storage.has_room(declared_size):
        log.error("%s refused: no room on the documents' disk user=%s dossier=%s name=%r length=%s",
                  action, user.id, did, name, declared_size)
        return _failure(name, faults.STORAGE_FULL, Refusal.storage_full)
    record = functools.partial(_record_document, user, did, name, scope=scope, direction=direction,
                               shared=shared, action=action, on_shared=on_shared, key=key)
    try:
        return await storage.save_stream(chunks, record, max_bytes=limit)
    except storage.TooLarge:
        log.warning("%s refused too large user=%s dossier=%s name=%r limit=%s", action, user.id, did, name, limit)
        return _failure(name, reason_too_large(), Refusal.too_large)
    except AccessDenied:  # refused once the body was in: the recording removed the file
        raise
    except Exception as exc:  # interrupted upload (client disconnected) or disk error; save_stream cleaned up
        if storage.disk_full(exc):
            log.error("%s failed: the documents' disk is full user=%s dossier=%s name=%r", action, user.id, did, name)
            return _failure(name, faults.STORAGE_FULL, Refusal.storage_full)
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, Refusal.failed)


_DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]  # set by SQLModel on table classes
_INSERT_DOCUMENT = _DOCUMENTS.insert().returning(_DOCUMENTS.c.id)


def _record_document(user: User, did: int, name: str, stored: storage.Stored, *,
                     scope: DossierScope, direction: Direction, shared: bool,
                     action: str, on_shared: OnShared | None, key: str | None = None) -> DepositResult:
    """In a disk thread, right after the body's fsync: decide the type, check the
    scope again, write the Document row; remove the file on any refusal or failure —
    but a commit whose answer was lost (the connection died during it) may have recorded
    the row: the file is then kept (a retry under the same key finds the row; a file
    without one is what `check-storage` reports)."""
    committing = False
    try:
        with storage.open_file(stored.key, stored.size) as stored_file:  # ranged reads on the object store
            content_type, reason = sniff(stored.head, stored_file, name)
        if reason is not None:
            storage.delete(stored.key)
            log.warning("%s refused type user=%s dossier=%s name=%r size=%s reason=%s head=%r",
                        action, user.id, did, name, stored.size, reason, stored.head[:16])
            return _failure(name, reason, Refusal.unsupported)
        now = utcnow()
        with session_scope() as s:
            d = scope(s, user, did)  # still allowed now that the body is in
            doc_id: int = s.connection().execute(_INSERT_DOCUMENT, {
                "dossier_id": d.id, "direction": direction, "name": name,
                "doc_date": datetime.now(PARIS).date(), "storage_key": stored.key, "size": stored.size,
                "sha256": stored.sha256, "content_type": content_type, "uploaded_by_id": user.id,
                "created_at": now, "shared_at": now if shared else None, "idempotency_key": key,
            }).scalar_one()
            if shared:
                doc = s.get(Document, doc_id)
                assert doc is not None  # written just above
                counters.item_shared(s, doc, 1)
                if on_shared is not None:
                    dossier = d if isinstance(d, Dossier) else s.get(Dossier, did)
                    assert dossier is not None  # in scope
                    on_shared(s, dossier, doc)
            audit.record(s, user, action, f"document {doc_id} dossier {did} {name}")
            committing = True
            s.commit()
    except IntegrityError:
        storage.delete(stored.key)
        first = _first_upload(user, key) if key is not None else None
        if first is None:
            log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
            return _failure(name, REASON_FAILED, Refusal.failed)
        log.info("%s stored at the same time under the same key: the first kept user=%s document=%s",
                 action, user.id, first[0])
        return Outcome.done(Upload(first[1], first[0]))
    except AccessDenied:
        storage.delete(stored.key)
        log.warning("%s refused once the body was in user=%s dossier=%s name=%r", action, user.id, did, name)
        raise
    except Exception as exc:
        if database_unavailable(exc):
            if committing:
                log.error("%s: database lost during the commit, file kept key=%s user=%s dossier=%s name=%r",
                          action, stored.key, user.id, did, name)
            else:
                storage.delete(stored.key)
                log.warning("%s failed: database unavailable user=%s dossier=%s name=%r: %s",
                            action, user.id, did, name, exc)
            return _database_down(name)
        storage.delete(stored.key)
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, Refusal.failed)
    log.info("%s ok user=%s dossier=%s document=%s name=%r size=%s type=%s shared=%s",
             action, user.id, did, doc_id, name, stored.size, content_type, shared)
    return Outcome.done(Upload(name, doc_id))
