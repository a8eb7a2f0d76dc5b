"""The « Dépôt de documents » zone: drag-and-drop or file chooser, progress and
cancel per file (assets/depot.js does the transfer to /api/depots/<dossier>, or
to `upload_url` for the firm's own documents)."""
from __future__ import annotations

import reflex as rx

from espace.config import settings
from espace.web import styles

HINT = "PDF, images, documents Office ou OpenDocument, texte, ZIP"


def upload_zone(on_refresh, dossier_id=None, choices=None, upload_url=None,
                title: str = "Dépôt de documents") -> rx.Component:
    """One zone; either bound to a dossier, or with a dossier chooser (home page).
    `upload_url` (may be a Var): where each file is posted instead of the clients'
    deposit route; no end-of-drop notice is then sent."""
    chooser = rx.fragment()
    if choices is not None:
        chooser = rx.box(
            rx.el.label("Dossier", html_for="depot-dossier",
                        style={"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}),
            rx.el.select(
                rx.cond(choices.length() > 1, rx.el.option("Choisissez le dossier…", value="")),
                rx.foreach(choices, lambda c: rx.el.option(c["title"], value=c["id"])),
                id="depot-dossier",
                name="dossier",
                style=styles.SELECT,
            ),
            margin_bottom="8px",
            width="100%",
        )
    return rx.el.section(
        rx.heading(title, size="4", as_="h2", margin_bottom="8px"),
        chooser,
        rx.el.label(
            rx.el.input(
                type="file",
                multiple=True,
                name="fichiers",
                style={"position": "absolute", "width": "1px", "height": "1px", "opacity": 0, "overflow": "hidden"},
            ),
            rx.icon("upload", size=22),
            rx.text("Glissez-déposez vos documents ici ou cliquez pour les sélectionner", weight="medium"),
            class_name="drop-zone",
            style={
                "display": "flex", "flex_direction": "column", "align_items": "center", "gap": "6px",
                "border": "2px dashed var(--accent-8)", "border_radius": "8px", "padding": "20px 12px",
                "text_align": "center", "cursor": "pointer", "background": "var(--accent-2)", "position": "relative",
            },
        ),
        rx.text(f"{HINT} — {settings.max_upload_mb} Mo maximum par fichier.", size="1", color="var(--gray-11)",
                margin_top="4px"),
        rx.el.p(custom_attrs={"data-depot-message": "true"}, role="alert", style={"color": "var(--red-11)"}),
        rx.el.ul(custom_attrs={"data-depot-list": "true"}, aria_live="polite", aria_label="Envois en cours",
                 style={"padding": 0, "list_style": "none"}),
        rx.el.button("Actualiser", type="button", on_click=on_refresh, hidden=True,
                     custom_attrs={"data-depot-refresh": "true"}),
        custom_attrs={
            "data-depot-zone": "true",
            "data-dossier": dossier_id if dossier_id is not None else "",
            "data-max-bytes": str(settings.max_upload_mb * 1024 * 1024),
            **({"data-upload-url": upload_url} if upload_url is not None else {}),
        },
        aria_label=title,
        width="100%",
        style={"margin_top": "16px"},
    )
