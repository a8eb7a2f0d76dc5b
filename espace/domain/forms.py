"""The shapes of what people type: each form a service accepts, declared once as a
pydantic model, with its limits and its French messages by field. The Reflex states
and the REST API read a form through `read_form`, which answers the cleaned values
or the errors as the screens show them (one message per field).

Every field is read as one line of text (domain/text.clean_line) whatever was sent
(a missing field is empty, a number is its text), then checked in the order the
screens always used: required, length, then its format (domain/contact)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from espace.domain.contact import (
    INVALID_EMAIL,
    INVALID_PHONE,
    INVALID_POSTCODE,
    MAX_LENGTH,
    REQUIRED,
    is_email,
    is_phone,
    is_postcode,
    normal_email,
    normal_postcode,
    too_long,
)
from espace.domain.roles import parse_role
from espace.domain.text import clean_line

Model = TypeVar("Model", bound=BaseModel)

NAME_MAX = 100  # a colleague's name and first name
COLLEAGUE_INVALID_EMAIL = "Adresse e-mail invalide (exemple : prenom.nom@cabinet.fr)."
NO_ROLE = "Choisissez un rôle."


def _refuse(message: str) -> PydanticCustomError:
    # The message is shown as is: pydantic formats {braces} in it, and ours have none.
    return PydanticCustomError("espace_form", message)


def line(limit: int, *, required: bool = True, normal: Callable[[str], str] | None = None,
         check: Callable[[str], bool] | None = None, invalid: str = "") -> BeforeValidator:
    """One line of text: cleaned (and normalised), then required (or empty allowed),
    at most `limit` characters, and `check`ed when given (else `invalid`)."""

    def read(value: object) -> str:
        text = clean_line(value)
        if normal is not None:
            text = normal(text)
        if not text:
            if required:
                raise _refuse(REQUIRED)
            return text
        if len(text) > limit:
            raise _refuse(too_long(limit))
        if check is not None and not check(text):
            raise _refuse(invalid)
        return text

    return BeforeValidator(read)


def _colleague_email(value: object) -> str:
    text = normal_email(clean_line(value))
    if not text:
        raise _refuse(REQUIRED)
    if len(text) > MAX_LENGTH["email"] or not is_email(text):
        raise _refuse(COLLEAGUE_INVALID_EMAIL)
    return text


def _role(value: object) -> str:
    role = parse_role(clean_line(value))
    if role is None:
        raise _refuse(NO_ROLE)
    return role.value


# The fields, required and optional (the firm's client form leaves the address and phones optional).
Nom = Annotated[str, line(MAX_LENGTH["nom"])]
Prenom = Annotated[str, line(MAX_LENGTH["prenom"])]
Email = Annotated[str, line(MAX_LENGTH["email"], normal=normal_email, check=is_email, invalid=INVALID_EMAIL)]
Adresse = Annotated[str, line(MAX_LENGTH["adresse"])]
AdresseOpt = Annotated[str, line(MAX_LENGTH["adresse"], required=False)]
CodePostal = Annotated[str, line(MAX_LENGTH["code_postal"], normal=normal_postcode, check=is_postcode,
                                 invalid=INVALID_POSTCODE)]
CodePostalOpt = Annotated[str, line(MAX_LENGTH["code_postal"], required=False, normal=normal_postcode,
                                    check=is_postcode, invalid=INVALID_POSTCODE)]
Ville = Annotated[str, line(MAX_LENGTH["ville"])]
VilleOpt = Annotated[str, line(MAX_LENGTH["ville"], required=False)]
Tel = Annotated[str, line(MAX_LENGTH["tel"], check=is_phone, invalid=INVALID_PHONE)]
TelOpt = Annotated[str, line(MAX_LENGTH["tel"], required=False, check=is_phone, invalid=INVALID_PHONE)]
Mobile = Annotated[str, line(MAX_LENGTH["mobile"], check=is_phone, invalid=INVALID_PHONE)]
MobileOpt = Annotated[str, line(MAX_LENGTH["mobile"], required=False, check=is_phone, invalid=INVALID_PHONE)]


class _Form(BaseModel):
    # A missing field is read as empty (and so refused when required); unknown ones are ignored.
    model_config = ConfigDict(frozen=True, validate_default=True, extra="ignore")


class ContactDetails(_Form):
    """« Mettre à jour mes coordonnées »: a client's details, every field required."""

    nom: Nom = ""
    prenom: Prenom = ""
    email: Email = ""
    adresse: Adresse = ""
    code_postal: CodePostal = ""
    ville: Ville = ""
    tel: Tel = ""
    mobile: Mobile = ""


class ClientForm(_Form):
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


class ColleagueForm(_Form):
    """A colleague the firm's administrator invites (/admin/equipe)."""

    nom: Annotated[str, line(NAME_MAX)] = ""
    prenom: Annotated[str, line(NAME_MAX)] = ""
    email: Annotated[str, BeforeValidator(_colleague_email)] = ""
    role: Annotated[str, BeforeValidator(_role)] = ""


def form_errors(error: ValidationError) -> dict[str, str]:
    """The French message of each refused field (the first one when several)."""
    errors: dict[str, str] = {}
    for item in error.errors(include_url=False):
        key = str(item["loc"][0]) if item["loc"] else "form"
        errors.setdefault(key, item["msg"])
    return errors


def read_form(model: type[Model], form: object) -> tuple[Model | None, dict[str, str]]:
    """(the form's cleaned values, {}) or (None, the errors by field). Anything but a
    mapping is read as an empty form."""
    data: Mapping[object, object] = form if isinstance(form, Mapping) else {}
    try:
        return model.model_validate({key: data.get(key) for key in model.model_fields}), {}
    except ValidationError as error:
        return None, form_errors(error)
