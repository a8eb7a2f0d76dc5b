"""Documents deposited by a client into one of their dossiers:

- receive.py: the upload itself (streamed to private storage, size limit while
  reading, the Document row), also used by the firm's own uploads;
- filetypes.py: what a file is, decided on its content against an allow-list;
- filenames.py: the name a file is shown under;
- notify.py: one email to the firm per drop.

`from espace.services import deposits` then `deposits.deposit_stream(...)` keeps
working: the public names are re-exported here.
"""
from __future__ import annotations

from espace.db import session_scope
from espace.models import User
from espace.services.client import portal
from espace.services.deposits.filenames import NAME_MAX, extension, sanitize_filename
from espace.services.deposits.filetypes import (
    ALLOWED,
    BLOCKED_EXTENSIONS,
    REASON_ARCHIVE_PROGRAM,
    REASON_BROKEN,
    REASON_EMPTY,
    REASON_FAILED,
    REASON_MACROS,
    REASON_PROGRAM,
    REASON_TYPE,
    REASON_UNREADABLE,
    Sniffed,
    reason_too_large,
    sniff,
)
from espace.services.deposits.notify import BATCH_MAX, BATCH_WINDOW, notify_batch
from espace.services.deposits.receive import (
    DepositResult,
    DossierScope,
    Upload,
    deposit_stream,
    receive_document,
)


def dossier_choices(user: User) -> list[portal.DossierChoice]:
    """The client's dossiers, by reference, for choosing where to deposit or write."""
    with session_scope() as s:
        return portal.dossier_choices_of(s, portal.client_of(s, user))


__all__ = [
    "ALLOWED", "BATCH_MAX", "BATCH_WINDOW", "BLOCKED_EXTENSIONS", "NAME_MAX", "REASON_ARCHIVE_PROGRAM",
    "REASON_BROKEN", "REASON_EMPTY", "REASON_FAILED", "REASON_MACROS", "REASON_PROGRAM", "REASON_TYPE",
    "REASON_UNREADABLE", "DepositResult", "DossierScope", "Sniffed", "Upload", "deposit_stream",
    "dossier_choices", "extension", "notify_batch", "reason_too_large", "receive_document", "sanitize_filename",
    "sniff",
]
