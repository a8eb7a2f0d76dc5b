"""The declared forms (domain/forms.py): each field's French message, its limit, the
cleaning and normalisation of what was typed, the optional fields of the firm's
client form, and any input read as a form."""
from __future__ import annotations

import pytest

from espace.domain.contact import INVALID_EMAIL, INVALID_PHONE, INVALID_POSTCODE, MAX_LENGTH, REQUIRED
from espace.domain.forms import (
    BODY_MAX,
    COLLEAGUE_INVALID_EMAIL,
    NO_ROLE,
    SUBJECT_MAX,
    ClientForm,
    ClientMessage,
    ColleagueForm,
    ContactDetails,
    DossierForm,
    FirmAnswer,
    FirmSettingsForm,
    RefusalReason,
    read_form,
)

LUCE = {
    "nom": "ALEXANDER", "prenom": "Luce", "email": "academy@secib.fr", "adresse": "Impasse Adam 1er",
    "code_postal": "34470", "ville": "PEROLS", "tel": "04 67 15 98 42", "mobile": "06 15 25 65 25",
}
COLLEAGUE = {"nom": "MOREAU", "prenom": "Julie", "email": "julie.moreau@cabinet.fr", "role": "lawyer"}


def test_messages_are_the_screens_french():
    assert REQUIRED == "Ce champ est obligatoire."
    assert INVALID_EMAIL == "Adresse e-mail invalide (exemple : nom@domaine.fr)."
    assert INVALID_POSTCODE == "Code postal invalide : 5 chiffres (exemple : 34470)."
    assert INVALID_PHONE == ("Numéro invalide : 10 chiffres (exemple : 04 67 15 98 42) ou format international "
                             "(+33 6 12 34 56 78).")
    assert COLLEAGUE_INVALID_EMAIL == "Adresse e-mail invalide (exemple : prenom.nom@cabinet.fr)."
    assert NO_ROLE == "Choisissez un rôle."


def test_contact_details_valid_are_cleaned_and_normalised():
    details, errors = read_form(ContactDetails, {
        **LUCE, "nom": "  ALEXANDER\t", "email": " Academy@SECIB.fr ", "code_postal": "34 470",
        "adresse": "Impasse   Adam\x00 1er", "mobile": " +33 6 15 25 65 25 "})
    assert errors == {}
    assert details is not None and details.model_dump() == {
        **LUCE, "email": "academy@secib.fr", "code_postal": "34470", "adresse": "Impasse Adam 1er",
        "mobile": "+33 6 15 25 65 25"}  # a phone number is kept as typed, only trimmed


def test_contact_details_every_field_required():
    assert read_form(ContactDetails, {}) == (None, {key: REQUIRED for key in LUCE})
    assert read_form(ContactDetails, {key: "  \n " for key in LUCE}) == (None, {key: REQUIRED for key in LUCE})


@pytest.mark.parametrize("key", list(MAX_LENGTH))
def test_each_limit_with_its_message(key):
    limit = MAX_LENGTH[key]
    at_limit = {"email": "a" * (limit - 11) + "@exemple.fr", "code_postal": "34470", "tel": "0" * limit,
                "mobile": "0" * limit}.get(key, "x" * limit)
    over = "x" * (limit + 1)
    _, errors = read_form(ContactDetails, {**LUCE, key: at_limit})
    assert errors.get(key) != f"{limit} caractères maximum."
    assert read_form(ContactDetails, {**LUCE, key: over}) == (None, {key: f"{limit} caractères maximum."})


@pytest.mark.parametrize("key, value, message", [
    ("email", "pas-une-adresse", INVALID_EMAIL),
    ("email", "luce@exemple", INVALID_EMAIL),
    ("email", "luce@café.fr", INVALID_EMAIL),  # an internationalised domain, refused as before
    ("code_postal", "3447", INVALID_POSTCODE),
    ("code_postal", "00100", INVALID_POSTCODE),
    ("code_postal", "2A004", INVALID_POSTCODE),
    ("tel", "04 67 15", INVALID_PHONE),
    ("mobile", "06-abc", INVALID_PHONE),
    ("mobile", "+33 6 15 25 65", INVALID_PHONE),
])
def test_formats_refused_with_their_message(key, value, message):
    assert read_form(ContactDetails, {**LUCE, key: value}) == (None, {key: message})


@pytest.mark.parametrize("key, value", [
    ("tel", "0467159843"), ("tel", "04.67.15.98.43"), ("mobile", "+33 (0)6 15 25 65 26"),
    ("mobile", "0033 6 15 25 65 26"), ("mobile", "+41 79 123 45 67"), ("code_postal", "20000"),
    ("code_postal", "97400"),
])
def test_formats_accepted(key, value):
    details, errors = read_form(ContactDetails, {**LUCE, key: value})
    assert errors == {} and details is not None


def test_one_message_per_field_and_all_fields_at_once():
    _, errors = read_form(ContactDetails, {**LUCE, "nom": "", "email": "x" * 300, "tel": "abc", "code_postal": "1"})
    assert errors == {"nom": REQUIRED, "email": "254 caractères maximum.", "tel": INVALID_PHONE,
                      "code_postal": INVALID_POSTCODE}


def test_client_form_leaves_the_address_and_phones_optional_but_checks_them():
    form, errors = read_form(ClientForm, {"nom": "DURAND", "prenom": "Paul", "email": "Paul@Example.com"})
    assert errors == {} and form is not None
    assert form.model_dump() == {"nom": "DURAND", "prenom": "Paul", "email": "paul@example.com", "adresse": "",
                                 "code_postal": "", "ville": "", "tel": "", "mobile": ""}
    assert read_form(ClientForm, {"code_postal": "  "})[1] == {"nom": REQUIRED, "prenom": REQUIRED, "email": REQUIRED}
    _, errors = read_form(ClientForm, {**LUCE, "tel": "12", "code_postal": "1 2", "adresse": "A" * 201})
    assert errors == {"tel": INVALID_PHONE, "code_postal": INVALID_POSTCODE, "adresse": "200 caractères maximum."}


def test_colleague_form():
    form, errors = read_form(ColleagueForm, {**COLLEAGUE, "email": " Julie.Moreau@Cabinet.FR ", "role": " staff "})
    assert errors == {} and form is not None
    assert (form.email, form.role) == ("julie.moreau@cabinet.fr", "staff")
    assert read_form(ColleagueForm, {}) == (None, {"nom": REQUIRED, "prenom": REQUIRED, "email": REQUIRED,
                                                    "role": NO_ROLE})
    _, errors = read_form(ColleagueForm, {**COLLEAGUE, "nom": "N" * 101, "prenom": "P" * 100,
                                          "email": "a@" + "b" * 250 + ".fr", "role": "client"})
    assert errors == {"nom": "100 caractères maximum.", "email": COLLEAGUE_INVALID_EMAIL, "role": NO_ROLE}
    assert read_form(ColleagueForm, {**COLLEAGUE, "email": "pas-une-adresse"})[1] == {
        "email": COLLEAGUE_INVALID_EMAIL}
    for role in ("admin", "lawyer", "staff"):
        assert read_form(ColleagueForm, {**COLLEAGUE, "role": role})[1] == {}


@pytest.mark.parametrize("sent", [None, "texte", ["nom"], 42, ("nom", "x")])
def test_anything_but_a_mapping_is_an_empty_form(sent):
    assert read_form(ContactDetails, sent) == (None, {key: REQUIRED for key in LUCE})


def test_unknown_fields_ignored_and_any_value_read_as_text():
    details, errors = read_form(ContactDetails, {**LUCE, "role": "admin", "id": 1, "code_postal": 34470})
    assert errors == {} and details is not None and details.code_postal == "34470"
    assert not hasattr(details, "role")
    _, errors = read_form(ContactDetails, {**LUCE, "nom": {"a": 1}, "prenom": None})
    assert errors == {"prenom": REQUIRED}  # a dict is read as its text: refused only when too long or empty


# --------------------------------------------------------------------------- messages
def test_client_message_required_limits_and_multiline_cleaning():
    assert read_form(ClientMessage, {"subject": "  ", "body": "\n \n"}) == (
        None, {"subject": REQUIRED, "body": REQUIRED})
    assert read_form(ClientMessage, {"subject": "x" * (SUBJECT_MAX + 1), "body": "y" * (BODY_MAX + 1)}) == (None, {
        "subject": "L'objet ne doit pas dépasser 150 caractères.",
        "body": "Le message ne doit pas dépasser 5 000 caractères.",
    })
    sent, errors = read_form(ClientMessage, {"subject": "  Demande de\nRDV ", "body": " Bonjour,\r\n\x07à bientôt \n"})
    assert errors == {} and sent is not None
    assert (sent.subject, sent.body) == ("Demande de RDV", "Bonjour,\nà bientôt")


def test_firm_answer_subject_optional():
    sent, errors = read_form(FirmAnswer, {"body": "Réponse"})
    assert errors == {} and sent is not None and sent.subject == ""
    assert read_form(FirmAnswer, {"subject": "o" * 151, "body": ""}) == (None, {
        "subject": "L'objet ne doit pas dépasser 150 caractères.", "body": REQUIRED})


# --------------------------------------------------------------------------- firm settings
def test_firm_settings_form():
    sent, errors = read_form(FirmSettingsForm, {
        "name": " Cabinet  DELMAS ", "sender_email": " Contact@Cabinet.FR ", "payments_enabled": "on",
        "publishable_key": " pk_test_abcdefgh ", "secret_key": " sk_test_abcdefgh ", "webhook_secret": "",
        "invite_with_temporary_password": "non"})
    assert errors == {} and sent is not None
    assert sent.model_dump() == {
        "name": "Cabinet DELMAS", "sender_email": "contact@cabinet.fr", "publishable_key": "pk_test_abcdefgh",
        "secret_key": "sk_test_abcdefgh", "webhook_secret": "", "payments_enabled": True,
        "invite_with_temporary_password": False}
    assert read_form(FirmSettingsForm, {}) == (None, {"name": REQUIRED})
    assert read_form(FirmSettingsForm, {"name": "N" * 201, "sender_email": "x@" + "y" * 260 + ".fr",
                                        "publishable_key": "sk_test_abcdefgh", "secret_key": "pk_test_abcdefgh",
                                        "webhook_secret": "whsec_"}) == (None, {
        "name": "200 caractères maximum.",
        "sender_email": "Adresse e-mail invalide (exemple : contact@cabinet.fr).",
        "publishable_key": "Clé publique invalide : elle commence par pk_test_ ou pk_live_.",
        "secret_key": "Clé secrète invalide : elle commence par sk_test_, sk_live_ ou rk_.",
        "webhook_secret": "Secret de webhook invalide : il commence par whsec_.",
    })


# --------------------------------------------------------------------------- dossiers, refusals
def test_dossier_form():
    sent, errors = read_form(DossierForm, {"reference": " 2027/001 ", "label": "DURAND  /  MARTIN", "client_ids": [1]})
    assert errors == {} and sent is not None and sent.model_dump() == {"reference": "2027/001",
                                                                        "label": "DURAND / MARTIN"}
    assert read_form(DossierForm, {}) == (None, {"reference": REQUIRED, "label": REQUIRED})
    assert read_form(DossierForm, {"reference": "R" * 51, "label": "L" * 201}) == (None, {
        "reference": "50 caractères maximum.", "label": "200 caractères maximum."})


def test_refusal_reason_keeps_its_lines():
    sent, errors = read_form(RefusalReason, {"reason": "  Merci de joindre\r\nun justificatif.\x00 "})
    assert errors == {} and sent is not None and sent.reason == "Merci de joindre\nun justificatif."
    assert read_form(RefusalReason, {"reason": " \n "}) == (None, {"reason": "Indiquez le motif du refus."})
    assert read_form(RefusalReason, {}) == (None, {"reason": "Indiquez le motif du refus."})
    assert read_form(RefusalReason, {"reason": "x" * 1001}) == (None, {"reason": "1000 caractères maximum."})
