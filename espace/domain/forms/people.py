"""The forms about people: a client's contact details (the client's request, the
firm's client form) and a colleague the firm's administrator invites."""
from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from espace.domain.contact import (
    INVALID_EMAIL,
    INVALID_PHONE,
    INVALID_POSTCODE,
    MAX_LENGTH,
    is_email,
    is_phone,
    is_postcode,
    normal_email,
    normal_postcode,
)
from espace.domain.forms.fields import Form, refuse, text
from espace.domain.roles import parse_role
from espace.domain.text import clean_line

NAME_MAX = 100  # a colleague's name and first name
COLLEAGUE_INVALID_EMAIL = "Adresse e-mail invalide (exemple : prenom.nom@cabinet.fr)."
NO_ROLE = "Choisissez un rôle."

# The contact fields, required and optional (the firm's client form leaves the address and phones optional).
Nom = Annotated[str, text(MAX_LENGTH["nom"])]
Prenom = Annotated[str, text(MAX_LENGTH["prenom"])]
Email = Annotated[str, text(MAX_LENGTH["email"], normal=normal_email, check=is_email, invalid=INVALID_EMAIL)]
Adresse = Annotated[str, text(MAX_LENGTH["adresse"])]
AdresseOpt = Annotated[str, text(MAX_LENGTH["adresse"], required=False)]
CodePostal = Annotated[str, text(MAX_LENGTH["code_postal"], normal=normal_postcode, check=is_postcode,
                                 invalid=INVALID_POSTCODE)]
CodePostalOpt = Annotated[str, text(MAX_LENGTH["code_postal"], required=False, normal=normal_postcode,
                                    check=is_postcode, invalid=INVALID_POSTCODE)]
Ville = Annotated[str, text(MAX_LENGTH["ville"])]
VilleOpt = Annotated[str, text(MAX_LENGTH["ville"], required=False)]
Tel = Annotated[str, text(MAX_LENGTH["tel"], check=is_phone, invalid=INVALID_PHONE)]
TelOpt = Annotated[str, text(MAX_LENGTH["tel"], required=False, check=is_phone, invalid=INVALID_PHONE)]
Mobile = Annotated[str, text(MAX_LENGTH["mobile"], check=is_phone, invalid=INVALID_PHONE)]
MobileOpt = Annotated[str, text(MAX_LENGTH["mobile"], required=False, check=is_phone, invalid=INVALID_PHONE)]


class ContactDetails(Form):
    """« Mettre à jour mes coordonnées »: a client's details, every field required."""

    nom: Nom = ""
    prenom: Prenom = ""
    email: Email = ""
    adresse: Adresse = ""
    code_postal: CodePostal = ""
    ville: Ville = ""
    tel: Tel = ""
    mobile: Mobile = ""


class ClientForm(Form):
    """A client as the firm creates or edits it (/admin/clients): name, first name and
    e-mail required; address and phone numbers optional, checked when given."""

    nom: Nom = ""
    prenom: Prenom = ""
    email: Email = ""
    adresse: AdresseOpt = ""
    code_postal: CodePostalOpt = ""
    ville: VilleOpt = ""
    tel: TelOpt = ""
    mobile: MobileOpt = ""


def _role(value: object) -> str:
    role = parse_role(clean_line(value))
    if role is None:
        raise refuse(NO_ROLE)
    return role.value


class ColleagueForm(Form):
    """A colleague the firm's administrator invites (/admin/equipe); an address too
    long is said invalid, as the screen always did."""

    nom: Annotated[str, text(NAME_MAX)] = ""
    prenom: Annotated[str, text(NAME_MAX)] = ""
    email: Annotated[str, text(MAX_LENGTH["email"], normal=normal_email, check=is_email,
                               invalid=COLLEAGUE_INVALID_EMAIL, long=lambda _: COLLEAGUE_INVALID_EMAIL)] = ""
    role: Annotated[str, BeforeValidator(_role)] = ""
