"""/admin/dossiers/nouveau and /admin/dossiers/<id>/modifier: reference, label,
clients (checkboxes) and interlocutor of a dossier."""
import reflex as rx

from espace.web import styles
from espace.web.components.forms import banner, field
from espace.web.components.layout import Missing, firm_page
from espace.web.firm.dossiers.state import CLIENT_PREFIX
from espace.web.firm.dossiers.state import DossierFormState as S

LABEL_STYLE = {"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}


def _error(key: str) -> rx.Component:
    return rx.cond(S.errors.get(key, "") != "", rx.text(S.errors.get(key, ""), color="var(--red-11)", size="2", role="alert"))


def _client_choice(c) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=CLIENT_PREFIX + c.id.to_string(), default_checked=S.selected.contains(c.id.to_string()),
                    style={"width": "18px", "height": "18px", "flex": "none"}),
        rx.text.span(c.name, " ", rx.text.span("(", c.email, ")", color="var(--gray-11)")),
        style={"display": "flex", "gap": "8px", "align_items": "center", "padding": "6px 0",
               "overflow_wrap": "anywhere", "cursor": "pointer"},
    )


def _form() -> rx.Component:
    return rx.form(
        field("Référence", "reference", default_value=S.reference, error=S.errors.get("reference", ""), max_length=50,
              autocomplete="off"),
        field("Intitulé", "label", default_value=S.label, error=S.errors.get("label", ""), max_length=200,
              autocomplete="off"),
        rx.el.fieldset(
            rx.el.legend("Clients", rx.text.span(" *", color="var(--red-11)", aria_hidden="true"),
                         style={"font-weight": 500, "font-size": "14px", "padding": "0 4px"}),
            rx.cond(
                S.clients.length() > 0,
                rx.box(rx.foreach(S.clients, _client_choice), max_height="320px", overflow_y="auto"),
                rx.text("Aucun client : créez d'abord le client.", size="2"),
            ),
            _error("clients"),
            style={"border": "1px solid var(--gray-6)", "border_radius": "6px", "padding": "8px 12px",
                   "margin": "0 0 12px 0", "min_width": "0"},
        ),
        rx.box(
            rx.el.label("Interlocuteur", rx.text.span(" *", color="var(--red-11)", aria_hidden="true"),
                        html_for="champ-interlocuteur", style=LABEL_STYLE),
            rx.el.select(
                rx.el.option("Choisissez l'interlocuteur…", value=""),
                rx.foreach(S.interlocutors, lambda i: rx.el.option(i.name, value=i.id.to_string())),
                id="champ-interlocuteur", name="interlocutor_id", default_value=S.interlocutor_id,
                style=styles.SELECT,
            ),
            _error("interlocutor"),
            margin_bottom="12px",
        ),
        rx.button("Enregistrer", type="submit", size="3"),
        on_submit=S.submit,
        key=S.form_key,
        width="100%",
    )


def dossier_form() -> list[rx.Component]:
    return [
        banner(S.message),
        rx.cond(
            S.created_id != "",
            rx.flex(
                rx.link("Ouvrir le dossier", href="/admin/dossiers/" + S.created_id),
                rx.link("Voir la liste des dossiers", href="/admin/dossiers"),
                spacing="4", wrap="wrap",
            ),
        ),
        rx.cond(S.editing, rx.link("Ouvrir le dossier", href="/admin/dossiers/" + S.dossier_id, size="2")),
        banner(S.errors.get("form", ""), "red"),
        _form(),
    ]


# One form, two routes; the h1 is the route's title (« Nouveau dossier » or « Modifier le dossier »).
_SHELL = {"back": ("‹ Dossiers", "/admin/dossiers"),
          "missing": Missing(S.not_found, "Dossier introuvable", "Retour à la liste des dossiers", "/admin/dossiers")}
firm_page("/admin/dossiers/nouveau", "Nouveau dossier", S.load, **_SHELL)(dossier_form)
firm_page("/admin/dossiers/[dossier_id]/modifier", "Modifier le dossier", S.load, **_SHELL)(dossier_form)
