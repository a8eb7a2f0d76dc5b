"""The audit trail: who did what, when, from where; and, for the firm, the trail
of one client (what the client did, and what the firm did concerning them)."""
from __future__ import annotations

import logging
import math
from typing import TypedDict

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, or_, select

from espace.config import settings
from espace.domain.french import fdatetime
from espace.domain.ids import parse_page
from espace.models import AuditEvent, User, utcnow
from espace.services.access import client_user_in_firm, firm_scope

log = logging.getLogger("espace.audit")

# French labels of the recorded actions (the per-client trail shows these).
ACTION_LABELS: dict[str, str] = {
    "connexion": "Connexion",
    "connexion_refusee": "Connexion refusée",
    "deconnexion": "Déconnexion",
    "telechargement": "Téléchargement",
    "depot": "Document déposé",
    "demande_coordonnees": "Demande de mise à jour des coordonnées",
    "demande_traitee": "Demande traitée",
    "demande_acceptee": "Demande traitée (acceptée)",
    "demande_refusee": "Demande traitée (refusée)",
    "message_envoye": "Message envoyé",
    "message_cabinet": "Message du cabinet",
    "partage": "Partage",
    "retrait": "Partage retiré",
    "ajout": "Élément ajouté",
    "ajout_document": "Document ajouté",
    "parametres_modifies": "Paramètres du cabinet modifiés",
    "logo_modifie": "Logo modifié",
    "logo_supprime": "Logo supprimé",
    "mot_de_passe_modifie": "Mot de passe modifié",
    "mot_de_passe_reinitialise": "Mot de passe choisi ou réinitialisé",
    "reinitialisation_demandee": "Réinitialisation du mot de passe demandée",
    "client_cree": "Client créé",
    "client_modifie": "Coordonnées modifiées par le cabinet",
    "client_desactive": "Accès désactivé",
    "client_reactive": "Accès réactivé",
    "invitation_envoyee": "Invitation envoyée",
    "invitation_renvoyee": "Invitation renvoyée",
    "mot_de_passe_provisoire_envoye": "Mot de passe provisoire envoyé",
    "dossier_cree": "Dossier créé",
    "dossier_modifie": "Dossier modifié",
    "dossier_client_ajoute": "Ajouté à un dossier",
    "dossier_client_retire": "Retiré d'un dossier",
    "paiement": "Paiement",
    "double_authentification_activee": "Double authentification activée",
    "double_authentification_desactivee": "Double authentification retirée",
    "codes_de_secours_regeneres": "Codes de secours régénérés",
    "identite_confirmee": "Identité confirmée (changement de sécurité)",
    "confirmation_identite_refusee": "Confirmation d'identité refusée",
    "cles_acces_confirmees": "Clés d'accès confirmées",
    "sessions_fermees_par_lien": "Toutes les sessions fermées (lien « ce n'est pas moi »)",
    "code_de_secours_utilise": "Connexion avec un code de secours",
    "collegue_invite": "Collègue invité",
    "collegue_invitation_renvoyee": "Invitation d'un collègue renvoyée",
    "collegue_role_modifie": "Rôle d'un collègue modifié",
    "collegue_desactive": "Accès d'un collègue désactivé",
    "collegue_reactive": "Accès d'un collègue réactivé",
    "session_fermee": "Session fermée depuis « Mon compte »",
    "autres_sessions_fermees": "Autres sessions fermées depuis « Mon compte »",
    "paiement_refuse": "Paiement par carte refusé",
    "paiements_bloques": "Paiement bloqué (trop de refus de carte)",
    "agenda_abonnement_cree": "Adresse d'abonnement à l'agenda créée",
    "agenda_abonnement_revoque": "Adresse d'abonnement à l'agenda révoquée",
    "document_ouvert": "Document ouvert par le client (première fois)",
    "document_consulte": "Document déposé consulté par le cabinet",
    "messages_lus": "Messages lus",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


# A plain insert in the caller's transaction (every login, download and upload writes one).
_INSERT_EVENT = AuditEvent.__table__.insert()  # type: ignore[attr-defined]  # set by SQLModel on table classes


def record(session: Session, user: User | None, action: str, detail: str = "", ip: str = "", *,
           subject_user_id: int | None = None) -> None:
    """Add one event to the caller's transaction. `subject_user_id`: the client
    concerned when the actor is someone else (a lawyer sharing, deactivating…)."""
    session.connection().execute(_INSERT_EVENT, {
        "firm_id": user.firm_id if user else None,
        "user_id": user.id if user else None,
        "subject_user_id": subject_user_id,
        "action": action,
        "detail": detail[:500],
        "ip": ip[:64],
        "at": utcnow(),
    })
    # The event is in the database (and the services log their own line): debug only.
    log.debug("audit action=%s user=%s subject=%s detail=%s ip=%s", action, user.id if user else None,
              subject_user_id, detail, ip)


class AuditRow(TypedDict):
    """One event of a client's trail (French display strings)."""

    date: str
    action: str
    who: str
    detail: str
    ip: str


class AuditPage(TypedDict):
    """One page of a client's trail."""

    events: list[AuditRow]
    total: int
    page: int
    pages: int


def for_client(user: User, client_user_id: object, page: int = 1) -> AuditPage:
    """The trail of one client of the acting lawyer's firm, newest first: events
    where the client is the actor or the subject. AccessDenied for a client user,
    or for a client of another firm."""
    with firm_scope(user) as (s, staff):
        return client_trail(s, staff, client_user_in_firm(s, staff, client_user_id), page)


def client_trail(s: Session, staff: User, target: User, page: object = 1) -> AuditPage:
    """`for_client` in the caller's session, for a client already found in the staff
    member's firm (a firm service's page reads it with the rest, in one session)."""
    where = (
        col(AuditEvent.firm_id) == staff.firm_id,
        or_(col(AuditEvent.user_id) == target.id, col(AuditEvent.subject_user_id) == target.id),
    )
    total = s.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
    size = settings.page_size
    pages = max(1, math.ceil(total / size))
    shown = min(parse_page(page), pages)
    actor = aliased(User)
    rows = s.exec(
        select(AuditEvent, actor.prenom, actor.nom)
        .outerjoin(actor, col(actor.id) == col(AuditEvent.user_id))
        .where(*where)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset((shown - 1) * size)
        .limit(size)
    ).all()
    events: list[AuditRow] = [
        {
            "date": fdatetime(ev.at),
            "action": action_label(ev.action),
            "who": ("le client" if ev.user_id == target.id else f"{prenom or ''} {(nom or '').upper()}".strip())
            or "—",
            "detail": ev.detail,
            "ip": ev.ip,
        }
        for ev, prenom, nom in rows
    ]
    return {"events": events, "total": total, "page": shown, "pages": pages}
