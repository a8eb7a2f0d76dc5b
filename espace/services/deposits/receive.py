"""An uploaded file into a dossier, `receive_document`: a client's deposit
(services/client/deposit.py) or the firm's own upload (services/firm/sharing.py).

The body is streamed to private storage (services/storage/: nothing visible until complete) with the
size limit enforced while reading; the type is decided on the stored CONTENT
(filetypes.sniff). Anything refused, too large or interrupted leaves neither a
file nor a row."""
from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlmodel import Session

from espace.config import settings
from espace.db import session_scope
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


def _scoped_dossier_id(scope: DossierScope, user: User, dossier_id: object) -> int:
    with session_scope() as s:
        did = scope(s, user, dossier_id).id
        assert did is not None  # a dossier read from the database
        return did


async def receive_document(user: User, dossier_id: object, filename: str, chunks: AsyncIterable[bytes], *,
                           scope: DossierScope, direction: Direction,
                           shared: bool, action: str,
                           on_shared: OnShared | None = None,
                           declared_size: int | None = None) -> DepositResult:
    """Stream one uploaded file into a dossier: the body goes to private storage
    with the size limit enforced while reading, its type is decided on the stored
    content (`sniff`), then the Document row is written.

    `scope(s, user, dossier_id)` returns the dossier (or its row) or raises AccessDenied; it is
    called before the first chunk is read (then a `declared_size` over the limit is
    refused as too large, before reading) and again once the body is in. `shared`
    sets shared_at; `on_shared(s, dossier, doc)` runs in the same transaction (e.g.
    the share notices). Done with the Upload (name, id), or refused (« « name » :
    raison », too large, unsupported or failed) leaving no file and no row.

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
    record = functools.partial(_record_document, user, did, name, scope=scope, direction=direction,
                               shared=shared, action=action, on_shared=on_shared)
    try:
        return await storage.save_stream(chunks, record, max_bytes=limit)
    except storage.TooLarge:
        log.warning("%s refused too large user=%s dossier=%s name=%r limit=%s", action, user.id, did, name, limit)
        return _failure(name, reason_too_large(), Refusal.too_large)
    except AccessDenied:  # refused once the body was in: the recording removed the file
        raise
    except Exception:  # interrupted upload (client disconnected) or disk error; save_stream cleaned up
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, Refusal.failed)


_DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]  # set by SQLModel on table classes
_INSERT_DOCUMENT = _DOCUMENTS.insert().returning(_DOCUMENTS.c.id)


def _record_document(user: User, did: int, name: str, stored: storage.Stored, *,
                     scope: DossierScope, direction: Direction, shared: bool,
                     action: str, on_shared: OnShared | None) -> DepositResult:
    """In a disk thread, right after the body's fsync: decide the type, check the
    scope again, write the Document row; remove the file on any refusal or failure."""
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
                "created_at": now, "shared_at": now if shared else None,
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
            s.commit()
    except AccessDenied:
        storage.delete(stored.key)
        log.warning("%s refused once the body was in user=%s dossier=%s name=%r", action, user.id, did, name)
        raise
    except Exception:
        storage.delete(stored.key)
        log.warning("%s failed user=%s dossier=%s name=%r", action, user.id, did, name, exc_info=True)
        return _failure(name, REASON_FAILED, Refusal.failed)
    log.info("%s ok user=%s dossier=%s document=%s name=%r size=%s type=%s shared=%s",
             action, user.id, did, doc_id, name, stored.size, content_type, shared)
    return Outcome.done(Upload(name, doc_id))
