"""The contact-details checks (domain/contact.py): email-validator and phonenumbers
behind a thin check that keeps what was refused before them."""
from __future__ import annotations

import pytest

from espace.domain.contact import is_email, is_phone, is_postcode
from espace.domain.text import clean_line


@pytest.mark.parametrize("value", ["04 67 15 98 42", "0467159843", "04.67.15.98.43", "04-67-15-98-42",
                                   "+33 6 15 25 65 26", "+33 (0)6 15 25 65 26", "0033 6 15 25 65 26",
                                   "+41 79 123 45 67", "00 41 79 123 45 67", "+1 415 555 2671", "07 00 00 00 01"])
def test_phone_numbers_accepted(value):
    assert is_phone(value)


@pytest.mark.parametrize("value", ["04 67 15", "06-abc", "+33 6 15 25 65", "06 15 25 65 256", "(04) 67 15 98 42",
                                   "+330615256526", "1234567890", "",
                                   # refused by phonenumbers (impossible length for the country), not by the shape
                                   "+1234567", "+999 1234567"])
def test_phone_numbers_refused(value):
    assert not is_phone(value)


@pytest.mark.parametrize("value", ["academy@secib.fr", "luce.alexander@exemple.fr", "x@example.com", "a+b@c.fr",
                                   "été@exemple.fr", "a@xn--caf-dma.fr"])
def test_email_addresses_accepted(value):
    assert is_email(value)


@pytest.mark.parametrize("value", ["pas-une-adresse", "luce@exemple", '"a"@c.fr', "a@[1.2.3.4]", "a@c..fr",
                                   "a@café.fr",  # the thin check: an ASCII domain, as before
                                   # refused by email-validator, accepted by the former regex
                                   "a..b@c.fr", ".a@c.fr", "a@c.local", "a@b.invalid"])
def test_email_addresses_refused(value):
    assert not is_email(value)


def test_postcode_and_cleaning():
    assert is_postcode("34470") and is_postcode("20000") and not is_postcode("2A004") and not is_postcode("96000")
    assert clean_line("  Rue\tde la\x00 Paix \n") == "Rue de la Paix"
