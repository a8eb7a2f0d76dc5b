"""The shapes of what people type: each form a service accepts, declared once as a
pydantic model with its limits and its French messages by field, for the Reflex
states and the REST API alike. `read_form(Model, sent)` answers the cleaned values
or the errors as the screens show them (one message per field)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from espace.domain.forms.dossiers import DossierForm, RefusalReason
from espace.domain.forms.fields import Form
from espace.domain.forms.firm import FirmSettingsForm
from espace.domain.forms.messages import BODY_MAX, SUBJECT_MAX, ClientMessage, FirmAnswer
from espace.domain.forms.people import (
    COLLEAGUE_INVALID_EMAIL,
    NAME_MAX,
    NO_ROLE,
    ClientForm,
    ColleagueForm,
    ContactDetails,
)

Model = TypeVar("Model", bound=BaseModel)

__all__ = ["BODY_MAX", "COLLEAGUE_INVALID_EMAIL", "NAME_MAX", "NO_ROLE", "SUBJECT_MAX", "ClientForm",
           "ClientMessage", "ColleagueForm", "ContactDetails", "DossierForm", "FirmAnswer", "FirmSettingsForm", "Form",
           "RefusalReason", "form_errors", "read_form"]


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
