"""Between clients and the firm: contact-detail requests, dossier messages, the email
outbox and the share notices waiting to be emailed."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from espace.models.base import utcnow


class ContactStatus(str, Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member stay "Class.member")
    en_attente = "en_attente"  # waiting for the firm
    acceptee = "acceptee"  # applied to the client's details
    refusee = "refusee"
    remplacee = "remplacee"  # superseded by a newer request of the same client


class ContactRequest(SQLModel, table=True):
    """A client's request to change their contact details; applied only when the
    firm accepts it (the Client row and the User's names stay as they are until then)."""

    __tablename__ = "contact_request"
    __table_args__ = (Index("ix_contact_request_client_status", "client_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    client_id: int = Field(foreign_key="client.id")
    status: ContactStatus = Field(
        default=ContactStatus.en_attente,
        sa_column=Column(SAEnum(ContactStatus, native_enum=False, length=12), nullable=False),
    )
    nom: str
    prenom: str
    email: str
    adresse: str
    code_postal: str
    ville: str
    tel: str
    mobile: str
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    refusal_reason: str = ""


class MessageDirection(str, Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member stay "Class.member")
    client = "client"  # written by a client to the firm
    cabinet = "cabinet"  # written by the firm to the client(s) of the dossier


class Message(SQLModel, table=True):
    """A message of a dossier's thread between its client(s) and the firm."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_dossier_created", "dossier_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    sender_id: int = Field(foreign_key="user.id")
    direction: MessageDirection = Field(
        sa_column=Column(SAEnum(MessageDirection, native_enum=False, length=10), nullable=False)
    )
    subject: str  # "Objet"
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None  # null = not yet read by the recipient side


class OutboxEmail(SQLModel, table=True):
    """Durable email queue: written in the same transaction as what it announces,
    delivered by the outbox worker, retried with backoff, sent once."""

    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int | None = Field(default=None, foreign_key="firm.id")
    to: str
    subject: str
    template: str
    context_json: str = "{}"
    reply_to: str | None = None
    sender_name: str | None = None
    status: str = "pending"  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    claimed_by: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ShareNotice(SQLModel, table=True):
    """One shared item waiting to be announced to one client; grouped per client
    into one email once the grouping window has passed (services/share_notices)."""

    __tablename__ = "share_notice"
    __table_args__ = (
        Index("ix_share_notice_pending", "notified_at", "client_id"),
        Index("ix_share_notice_item", "category", "item_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id")
    client_id: int = Field(foreign_key="client.id")
    dossier_id: int = Field(foreign_key="dossier.id")
    category: str  # documents | rdv | factures | taches | temps-passes | frais
    item_id: int
    created_at: datetime = Field(default_factory=utcnow)
    notified_at: datetime | None = None


class ItemSeen(SQLModel, table=True):
    """The first time a person opened a shared item (issue 13): a document downloaded,
    an RDV / invoice / other item shown to them. Absent = still « nouveau » for them;
    the firm reads it as the client's read receipt. `kind` is the registry key
    (espace/domain/items.py: "documents", "rdv", …)."""

    __tablename__ = "item_seen"
    __table_args__ = (UniqueConstraint("user_id", "kind", "item_id", name="uq_item_seen_user_kind_item"),
                      Index("ix_item_seen_kind_item", "kind", "item_id"))
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=40)
    item_id: int
    seen_at: datetime = Field(default_factory=utcnow)


class CalendarFeed(SQLModel, table=True):
    """A client's subscription address for their RDV (issue 13): only the token's
    sha256 is kept; revoking sets revoked_at (the address then answers 404)."""

    __tablename__ = "calendar_feed"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class ClientCount(SQLModel, table=True):
    """A client's maintained counts (issue 21), what their home, lists and header show
    without counting everything shared: per item kind (`kind`: the registry key), the
    items `shared` in their dossiers and the `unseen` ones (no ItemSeen row, their own
    deposits excluded); `dossiers`: their dossiers (`shared`); `messages`: the firm's
    answers they have not read (`unseen`). Written only by services/shared/counters.py,
    in the transaction of the write that changes them; `python -m espace recount`
    recomputes them from the truth."""

    __tablename__ = "client_count"
    client_id: int = Field(foreign_key="client.id", primary_key=True)
    kind: str = Field(max_length=40, primary_key=True)
    shared: int = 0
    unseen: int = 0
