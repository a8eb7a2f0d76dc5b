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
