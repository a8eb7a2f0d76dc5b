"""Labelled form fields: each input has a real <label>, so its accessible name is the manual's."""
from __future__ import annotations

import reflex as rx


def field(label: str, name: str, *, type: str = "text", required: bool = True, error=None,
          autocomplete: str | None = None, default_value=None, max_length: int | None = None) -> rx.Component:
    input_id = f"champ-{name}"
    return rx.box(
        rx.el.label(
            label,
            rx.cond(required, rx.text.span(" *", color="var(--red-11)", aria_hidden="true")),
            html_for=input_id,
            style={"display": "block", "font-weight": 500, "margin_bottom": "4px", "font-size": "14px"},
        ),
        rx.input(
            id=input_id,
            name=name,
            type=type,
            required=required,
            auto_complete=autocomplete,
            default_value=default_value,
            max_length=max_length,
            size="3",
            width="100%",
        ),
        rx.cond(error is not None and error != "", rx.text(error, color="var(--red-11)", size="2", role="alert"))
        if error is not None
        else rx.fragment(),
        width="100%",
        margin_bottom="12px",
    )


def new_password_fields(errors) -> list[rx.Component]:
    """The rule, then « Nouveau mot de passe » and its confirmation (fields `new`, `confirm`)."""
    return [
        rx.text("Au moins 10 caractères, avec trois types parmi minuscules, majuscules, chiffres et symboles.",
                size="2", color="var(--gray-11)", margin_bottom="8px"),
        field("Nouveau mot de passe", "new", type="password", autocomplete="new-password",
              error=errors.get("new", ""), max_length=1024),
        field("Confirmation du mot de passe", "confirm", type="password", autocomplete="new-password",
              error=errors.get("confirm", ""), max_length=1024),
    ]


def banner(message, color: str = "green") -> rx.Component:
    """A page's message; high contrast (the soft green's text measured 4.28:1 by axe-core,
    under the 4.5:1 of WCAG AA)."""
    return rx.cond(
        message != "",
        rx.callout(message, color_scheme=color, role="status" if color == "green" else "alert", width="100%",
                   margin_bottom="12px", high_contrast=True),
    )


def textarea_field(label: str, name: str, *, error=None, max_length: int | None = None, rows: int = 6) -> rx.Component:
    input_id = f"champ-{name}"
    return rx.box(
        rx.el.label(
            label,
            rx.text.span(" *", color="var(--red-11)", aria_hidden="true"),
            html_for=input_id,
            style={"display": "block", "font-weight": 500, "margin_bottom": "4px", "font-size": "14px"},
        ),
        rx.text_area(id=input_id, name=name, required=True, max_length=max_length, rows=str(rows), size="3",
                     width="100%"),
        rx.cond(error != "", rx.text(error, color="var(--red-11)", size="2", role="alert")) if error is not None else rx.fragment(),
        width="100%",
        margin_bottom="12px",
    )
