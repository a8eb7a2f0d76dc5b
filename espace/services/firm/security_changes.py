"""The firm's security changes (docs/security.md « Step-up for security changes »): what a
stolen staff session must not do on the strength of the session alone, and who is told.

- `refusal`: the step-up of the acting session (services/accounts/step_up.py: the
  password and, when the person has one, a second factor, 5 minutes on that session).
  Each firm service calls it, in its own transaction, only when the action is one of
  these changes (a client's e-mail address, inviting, promoting or demoting and
  reactivating a colleague, the sender address, the invitation mode, the Stripe keys and
  the second-factor rule), so no handler or route can skip it and ordinary work asks
  nothing more.
- the notices, queued in the caller's transaction (both or neither):
  `tell_client_of_new_address` (both addresses; the old one also gets the link that ends
  all the client's sessions), `tell_colleague` (their role changed), `tell_admins`
  (every active administrator of the firm: the acting one gets that link too, the others
  are told whom to ask).
"""
from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from espace.domain.names import full_name
from espace.models import Account, Firm, Role, User
from espace.services.accounts import step_up
from espace.services.mail import notifications

log = logging.getLogger(__name__)

CONTACT_FIRM = "Si vous n'êtes pas à l'origine de cette demande, contactez votre cabinet."


def refusal(s: Session, token: str | None, staff: User) -> str | None:
    """None when this session proved its identity within the last 5 minutes; else the
    refusal's message (step_up.NEEDED: the screen opens « Confirmez votre identité »;
    step_up.EXPIRED: the session is gone)."""
    refused = step_up.refusal(s, token, staff)
    return None if refused is None else refused.error


def _firm_name(s: Session, staff: User) -> str:
    firm = s.get(Firm, staff.firm_id)
    return firm.name if firm else ""


def tell_client_of_new_address(s: Session, staff: User, target: User, old: str, new: str,
                               identifier_changed: bool) -> None:
    """A client's address was changed by the firm: both addresses are told; the old one
    also gets the one-time link that ends all the client's sessions (call after
    identities.set_email: a changed identifier voids the links issued before)."""
    firm_name = _firm_name(s, staff)
    if identifier_changed:
        what = (f"L'adresse de connexion de votre espace client a été modifiée par votre cabinet ({firm_name}) : "
                f"elle est désormais {new}. Vos sessions ouvertes ont été fermées.")
    else:
        what = (f"L'adresse à laquelle votre cabinet ({firm_name}) vous écrit a été modifiée : elle est "
                f"désormais {new}. Votre identifiant de connexion ne change pas.")
    account = s.get(Account, target.account_id)
    link = step_up.end_sessions_link(s, account) if account is not None else ""
    for address, end_link in ((old, link), (new, "")):
        notifications.send_firm_security_notice(s, address, full_name(target), what, CONTACT_FIRM,
                                                firm_id=staff.firm_id, firm_name=firm_name, end_link=end_link)
    log.info("client address change notices queued by=%s user=%s identifier_changed=%s", staff.id, target.id,
             identifier_changed)


def tell_colleague(s: Session, staff: User, target: User, what: str) -> None:
    """A change of a colleague's access (their role), told to them."""
    notifications.send_firm_security_notice(
        s, target.email, full_name(target), what,
        f"Si ce changement vous surprend, parlez-en à {full_name(staff)} ou à un autre administrateur du cabinet.",
        firm_id=staff.firm_id, firm_name=_firm_name(s, staff))


def tell_admins(s: Session, staff: User, what: str, told: int | None = None) -> None:
    """A change of the firm's security (a colleague's access, the payment keys, the
    second-factor rule), told to every active administrator of the firm. The one who
    made it gets the link that ends all their sessions (« ce n'est pas moi »); `told`, a
    colleague already told of the change (tell_colleague), is not told twice."""
    firm_name = _firm_name(s, staff)
    admins = s.exec(select(User).where(User.firm_id == staff.firm_id, User.role == Role.admin,
                                       col(User.active).is_(True), col(User.id) != (told or 0))
                    .order_by(col(User.id))).all()
    for admin in admins:
        if admin.id == staff.id:
            account = s.get(Account, admin.account_id)
            advice = "Si vous n'êtes pas à l'origine de ce changement, quelqu'un utilise peut-être votre session."
            link = step_up.end_sessions_link(s, account) if account is not None else ""
        else:
            advice = (f"Si ce changement vous surprend, vérifiez-le avec {full_name(staff)} ; au besoin, désactivez "
                      "son accès dans « Équipe du cabinet ».")
            link = ""
        notifications.send_firm_security_notice(s, admin.email, full_name(admin), what, advice,
                                                firm_id=staff.firm_id, firm_name=firm_name, end_link=link)
    log.info("firm security notice queued by=%s firm=%s admins=%s", staff.id, staff.firm_id, len(admins))
