"""Contact details typed by people (the client's request, the firm's forms): the
text cleaning and the checks of an e-mail address, a phone number, a postcode.

E-mail addresses are checked by `email-validator` (syntax only, no DNS) and phone
numbers by `phonenumbers` (French region by default). A thin check written here
keeps what was refused before the libraries came in: a domain in ASCII (no
internationalised domain), a French number written with its 10 digits (or
+33 and 9 digits, "(0)" allowed), an international one with 7 to 15 digits. The
libraries only add refusals: a malformed local part (dots), a reserved domain
(.local, .test, .invalid, .onion), an impossible length for the country.
"""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Metropolitan and overseas departments (01-95, 97x, 98x); Corsica is 20xxx.
_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}$")
_PHONE_FR = re.compile(r"^0[1-9]\d{8}$")
_PHONE_FR_INTL = re.compile(r"^\+33(?:\(0\))?[1-9]\d{8}$")
_PHONE_INTL = re.compile(r"^\+[1-9]\d{6,14}$")
PHONE_REGION = "FR"


def is_email(value: str) -> bool:
    """An e-mail address one can write to (syntax only: no DNS lookup)."""
    if "@" not in value or not value.rpartition("@")[2].isascii():
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def is_postcode(value: str) -> bool:
    """A French postcode: 5 digits of a department (Corsica's 20xxx included)."""
    return bool(_POSTCODE.match(value))


def is_phone(value: str) -> bool:
    """A French number (10 digits, or +33 / 0033), or an international one (+ or 00),
    spaces, dots and dashes allowed; its length possible for its country."""
    compact = re.sub(r"[ .\-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    shape = _PHONE_FR_INTL if compact.startswith("+33") else None
    if not (shape.match(compact) if shape else (_PHONE_FR.match(compact) or _PHONE_INTL.match(compact))):
        return False
    try:
        number = phonenumbers.parse(compact, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


# --------------------------------------------------------------------------- the contact fields
# A client's details, as the client's request form and the firm's client form show
# them: (key, label) in the order of the forms and of the e-mails that list changes.
FIELDS: list[tuple[str, str]] = [
    ("nom", "Nom"),
    ("prenom", "Prénom"),
    ("email", "E-mail"),
    ("adresse", "Adresse"),
    ("code_postal", "Code postal"),
    ("ville", "Ville"),
    ("tel", "Tél"),
    ("mobile", "Mobile"),
]
MAX_LENGTH = {
    "nom": 100,
    "prenom": 100,
    "email": 254,
    "adresse": 200,
    "code_postal": 5,
    "ville": 100,
    "tel": 30,
    "mobile": 30,
}
REQUIRED = "Ce champ est obligatoire."
INVALID_EMAIL = "Adresse e-mail invalide (exemple : nom@domaine.fr)."
INVALID_POSTCODE = "Code postal invalide : 5 chiffres (exemple : 34470)."
INVALID_PHONE = ("Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international "
                 "(+33 6 12 34 56 78).")


def too_long(limit: int) -> str:
    return f"{limit} caractères maximum."


def normal_email(value: str) -> str:
    """An address as stored and compared: lower case (the domain and, in practice, the local part)."""
    return value.lower()


def normal_postcode(value: str) -> str:
    """« 34 470 » is 34470."""
    return value.replace(" ", "")
