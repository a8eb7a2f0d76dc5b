"""A person's place in a firm, opened the one way: by /admin (« Nouveau client »,
a colleague's invitation) and by the command line (create-client, create-lawyer).

The values are those of the firm's forms, already read and checked by their rules;
what follows the opening (an invitation, a password chosen by the operator) is the
caller's."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from espace.domain.ids import saved_id
from espace.models import Account, Client, Role, User
from espace.services.accounts import identities


@dataclass(frozen=True, slots=True)
class Opened:
    user: User  # the membership
    account: Account
    existed: bool  # the person already had an account (in another firm): the caller answers the same
    client: Client | None  # a client's record, None for a colleague


def open_membership(s: Session, *, firm_id: int, role: Role, values: Mapping[str, str],
                    created_at: datetime | None = None) -> Opened:
    """The membership of `firm_id` for the person of `values["email"]` (linked to their
    account when the address already has one, anywhere), and for a client their
    record with the contact details of `values`. Flushed, not committed; raises
    identities.SameFirm for a duplicate in the firm (IntegrityError on a race)."""
    user, account, existed = identities.add_membership(
        s, firm_id=firm_id, email=values["email"], nom=values["nom"], prenom=values["prenom"], role=role,
        created_at=created_at)
    client = None
    if role == Role.client:
        client = Client(firm_id=firm_id, user_id=saved_id(user.id), email=values["email"],
                        adresse=values["adresse"], code_postal=values["code_postal"], ville=values["ville"],
                        tel=values["tel"], mobile=values["mobile"])
        s.add(client)
        s.flush()
    return Opened(user, account, existed, client)
