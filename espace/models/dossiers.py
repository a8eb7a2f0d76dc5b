"""Dossiers, their clients and what a firm shares into them (documents, appointments,
invoices, tasks, time spent, expenses)."""
from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from enum import Enum

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from espace.models.base import utcnow


class Direction(str, Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member stay "Class.member")
    recu = "recu"  # shared by the firm
    depose = "depose"  # deposited by a client


class FactureStatus(str, Enum):  # noqa: UP042  (not StrEnum: str() and f-strings of a member stay "Class.member")
    a_regler = "a_regler"
    payee = "payee"


class Dossier(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("firm_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    firm_id: int = Field(foreign_key="firm.id", index=True)
    reference: str
    label: str
    interlocutor_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class DossierClient(SQLModel, table=True):
    """A dossier can have several clients and a client several dossiers."""

    __tablename__ = "dossier_client"
    dossier_id: int = Field(foreign_key="dossier.id", primary_key=True)
    client_id: int = Field(foreign_key="client.id", primary_key=True, index=True)


def shown_in_order(table: str, *columns: str, name: str = "shown") -> Index:
    """The client's reading order of a kind: its shared items of one dossier, newest
    first on `columns` (the date), then the id, as a partial index on shared rows: a
    dossier tab's page reads it in order (no sort), a list page picks its ids from it
    alone (shared_at is kept in it so that it covers the list's query)."""
    shared = text("shared_at IS NOT NULL")
    return Index(f"ix_{table}_{name}", "dossier_id", *columns, "id", "shared_at",
                 sqlite_where=shared, postgresql_where=shared)


def shared_only(table: str, name: str, *columns: str) -> Index:
    """A partial index on a kind's shared rows (the client's « Nouveautés / À venir »
    read their few rows from it alone, issue 21)."""
    shared = text("shared_at IS NOT NULL")
    return Index(f"ix_{table}_{name}", *columns, sqlite_where=shared, postgresql_where=shared)


class _SharedItem(SQLModel):
    """Common columns of what a firm shares into a dossier; shared_at null = hidden."""

    id: int | None = Field(default=None, primary_key=True)
    dossier_id: int = Field(foreign_key="dossier.id")
    shared_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Document(_SharedItem, table=True):
    __table_args__ = (Index("ix_document_dossier_shared", "dossier_id", "shared_at"),
                      shown_in_order("document", "doc_date"),
                      shown_in_order("document", "direction", "doc_date", name="shown_direction"),  # its tabs
                      shared_only("document", "news", "dossier_id", "direction", "shared_at"),  # « Nouveautés »
                      # One document per upload key of a person: a retried upload is never stored twice.
                      Index("ux_document_uploader_idempotency", "uploaded_by_id", "idempotency_key", unique=True))

    direction: Direction = Field(
        sa_column=Column(SAEnum(Direction, native_enum=False, length=10), nullable=False)
    )
    name: str
    doc_date: date
    storage_key: str  # file name under DATA_DIR/documents, never the user's name
    size: int
    sha256: str
    content_type: str
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    opened_at: datetime | None = None  # first download by the firm (deposits)
    notified_at: datetime | None = None  # a client's deposit announced to the firm (once)
    # The key the uploader's browser (or program) sent with it (`Idempotency-Key`): the same key
    # again answers this document instead of storing a copy (services/deposits/receive.py).
    idempotency_key: str | None = Field(default=None, max_length=64)


class Rdv(_SharedItem, table=True):
    __table_args__ = (Index("ix_rdv_dossier_shared", "dossier_id", "shared_at"), shown_in_order("rdv", "starts_at"))

    starts_at: datetime
    place: str = ""
    subject: str


class Facture(_SharedItem, table=True):
    __table_args__ = (Index("ix_facture_dossier_shared", "dossier_id", "shared_at"), shown_in_order("facture", "date"),
                      shared_only("facture", "to_pay", "dossier_id", "status", "due_date", "date", "id", "shared_at"))  # « À régler »

    number: str
    date: date
    amount_cents: int
    status: FactureStatus = Field(
        default=FactureStatus.a_regler,
        sa_column=Column(SAEnum(FactureStatus, native_enum=False, length=10), nullable=False),
    )
    due_date: dt.date | None = None  # `date` here is the field above
    payable_online: bool = False
    paid_at: datetime | None = None


class Tache(_SharedItem, table=True):
    __table_args__ = (Index("ix_tache_dossier_shared", "dossier_id", "shared_at"), shown_in_order("tache", "date"))

    date: date
    label: str
    done: bool = False


class TempsPasse(_SharedItem, table=True):
    __tablename__ = "temps_passe"
    __table_args__ = (Index("ix_temps_passe_dossier_shared", "dossier_id", "shared_at"),
                      shown_in_order("temps_passe", "date"))

    date: date
    minutes: int
    description: str
    lawyer_id: int | None = Field(default=None, foreign_key="user.id")


class Frais(_SharedItem, table=True):
    __table_args__ = (Index("ix_frais_dossier_shared", "dossier_id", "shared_at"), shown_in_order("frais", "date"))

    date: date
    amount_cents: int
    label: str
