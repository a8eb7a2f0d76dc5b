"""Announcing new shares: each shared item leaves one notice per client of its
dossier; the outbox worker groups a client's notices into one email once the
grouping window has passed (see `due_groups`)."""
from __future__ import annotations

from sqlmodel import Session, delete, select

from espace.models import DossierClient, ShareNotice

CATEGORY_OF = {
    "Document": "documents",
    "Rdv": "rdv",
    "Facture": "factures",
    "Tache": "taches",
    "TempsPasse": "temps-passes",
    "Frais": "frais",
}


def record(s: Session, firm_id: int, item) -> None:
    """Call in the transaction that shares `item` (shared_at just set)."""
    category = CATEGORY_OF[type(item).__name__]
    client_ids = s.exec(select(DossierClient.client_id).where(DossierClient.dossier_id == item.dossier_id)).all()
    for client_id in client_ids:
        s.add(ShareNotice(firm_id=firm_id, client_id=client_id, dossier_id=item.dossier_id,
                          category=category, item_id=item.id))


def forget(s: Session, item) -> None:
    """Call in the transaction that unshares `item`: a pending notice is dropped."""
    category = CATEGORY_OF[type(item).__name__]
    s.exec(delete(ShareNotice).where(ShareNotice.category == category, ShareNotice.item_id == item.id,
                                     ShareNotice.notified_at.is_(None)))
