"""/admin/parametres: firm name, sender address, logo, online payment and its
Stripe keys (secret fields always empty: a saved secret is never shown again)."""
import reflex as rx

from espace.web.components.forms import banner, field
from espace.web.components.layout import firm_page
from espace.web.components.step_up_dialog import FIRM, step_up_dialog
from espace.web.firm.settings.state import SettingsState as S
from espace.web.firm.settings.two_factor_state import TwoFactorPolicyState as P

LABEL_STYLE = {"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}
SAVED_HINT = "Clé enregistrée — laissez vide pour la conserver, ou saisissez-en une nouvelle pour la remplacer."


def _check(label: str, name: str, checked, hint: str = "", switch: bool = False) -> rx.Component:
    return rx.box(
        rx.el.label(
            rx.el.input(type="checkbox", name=name, default_checked=checked,
                        role="switch" if switch else None,
                        style={"width": "20px", "height": "20px", "flex": "none"}),
            rx.text.span(label, weight="medium"),
            style={"display": "flex", "gap": "8px", "align_items": "center", "cursor": "pointer"},
        ),
        rx.text(hint, size="2", color="var(--gray-11)") if hint else rx.fragment(),
        margin_bottom="12px",
    )


def _secret(label: str, name: str, saved, error) -> rx.Component:
    return rx.box(
        field(label, name, type="password", required=False, autocomplete="new-password", error=error,
              max_length=300),
        rx.text(rx.cond(saved, SAVED_HINT, "Aucune clé enregistrée."), size="2",
                color=rx.cond(saved, "var(--green-11)", "var(--gray-11)"), margin_top="-8px", margin_bottom="12px"),
    )


def _logo() -> rx.Component:
    return rx.el.section(
        rx.heading("Logo", size="4", as_="h2", margin_bottom="8px"),
        rx.text("Affiché en haut des pages de vos clients. PNG, JPEG ou WEBP, 2 Mo maximum.", size="2"),
        rx.cond(
            S.has_logo,
            rx.flex(
                rx.image(src="/api/logo?v=" + S.logo_version.to(str), alt="Logo actuel du cabinet", height="64px",
                         width="auto", max_width="240px", style={"object_fit": "contain"}),
                rx.button("Supprimer le logo", type="button", variant="soft", color_scheme="red", on_click=S.remove_logo),
                spacing="3", align="center", wrap="wrap", margin_y="8px",
            ),
            rx.text("Aucun logo.", size="2", color="var(--gray-11)", margin_y="8px"),
        ),
        # A drop zone (like the deposit zone): drag the image onto it, or click / Entrée to choose it.
        rx.el.label(
            rx.el.input(id="champ-logo", type="file", accept="image/png,image/jpeg,image/webp",
                        aria_label="Choisir un logo", custom_attrs={"data-logo-input": "true"},
                        style={"position": "absolute", "width": "1px", "height": "1px", "opacity": 0,
                               "overflow": "hidden"}),
            rx.icon("image-up", size=22),
            rx.text("Choisir un logo", weight="medium"),
            rx.text("Glissez-déposez l'image ici ou cliquez pour la choisir", size="2", color="var(--gray-11)"),
            html_for="champ-logo",
            class_name="drop-zone",
            custom_attrs={"data-logo-zone": "true"},
            style={
                "display": "flex", "flex_direction": "column", "align_items": "center", "gap": "4px",
                "border": "2px dashed var(--accent-8)", "border_radius": "8px", "padding": "16px 12px",
                "text_align": "center", "cursor": "pointer", "background": "var(--accent-2)",
                "position": "relative", "margin_top": "8px",
            },
        ),
        rx.el.p(custom_attrs={"data-logo-status": "true"}, role="status", aria_live="polite",
                style={"margin": "6px 0 0 0", "font-size": "14px"}),
        rx.el.button("Actualiser le logo", type="button", on_click=S.logo_uploaded, hidden=True,
                     custom_attrs={"data-logo-refresh": "true"}),
        width="100%",
    )


def _two_factor_policy() -> rx.Component:
    """Its own form and state (state/two_factor_policy.py), loaded when it mounts."""
    return rx.el.section(
        rx.heading("Double authentification", size="4", as_="h2", margin_bottom="8px"),
        rx.text("Les personnes concernées sans application d'authentification ni clé d'accès doivent en activer "
                "une à leur prochaine connexion, avant d'accéder à toute page.", size="2", margin_bottom="8px"),
        banner(P.policy_message),
        rx.cond(
            P.policy_loaded,
            rx.form(
                _check("Exiger la double authentification pour les collaborateurs du cabinet",
                       "exiger_collaborateurs", P.require_staff),
                _check("Exiger la double authentification pour les clients", "exiger_clients", P.require_clients),
                rx.button("Enregistrer la règle", type="submit", size="3"),
                on_submit=P.save_policy,
                key=P.policy_key,
                width="100%",
            ),
        ),
        on_mount=P.load_policy,
        width="100%",
    )


@firm_page("/admin/parametres", "Paramètres du cabinet", S.load, spacing="4")
def settings_page() -> list[rx.Component]:
    return [
        rx.cond(~S.can_edit,
                rx.callout("Seul un administrateur du cabinet peut modifier ces paramètres : "
                           "vous les consultez en lecture seule.", color_scheme="gray", width="100%")),
        banner(S.message),
        banner(S.refusal, "red"),
        rx.form(
            rx.el.fieldset(
                _firm_sections(),
                disabled=~S.can_edit,
                style={"border": "none", "padding": 0, "margin": 0, "min_width": 0, "width": "100%"},
            ),
            rx.cond(S.can_edit, rx.button("Enregistrer", type="submit", size="3")),
            on_submit=S.save,
            key=S.form_key,
            width="100%",
        ),
        rx.divider(),
        rx.cond(S.can_edit, _logo()),
        rx.cond(S.can_edit, rx.fragment(rx.divider(), _two_factor_policy())),
        step_up_dialog(S, FIRM),
        step_up_dialog(P, FIRM),
    ]


def _firm_sections() -> rx.Component:
    return rx.fragment(
        rx.el.section(
            rx.heading("Cabinet", size="4", as_="h2", margin_bottom="8px"),
            field("Nom du cabinet", "name", default_value=S.name, error=S.errors.get("name", ""),
                  max_length=200, autocomplete="organization"),
            field("Adresse e-mail d'expédition", "sender_email", type="email", required=False,
                  default_value=S.sender_email, error=S.errors.get("sender_email", ""), max_length=254,
                  autocomplete="off"),
            rx.text("Les réponses de vos clients aux e-mails du portail arrivent à cette adresse.", size="2",
                    color="var(--gray-11)", margin_top="-8px", margin_bottom="12px"),
            _check("Inviter avec un mot de passe provisoire", "invite_with_temporary_password",
                   S.invite_with_temporary_password,
                   "Sinon, le client reçoit un lien valable 7 jours pour choisir son mot de passe. "
                   "Le mot de passe provisoire devra être changé à la première connexion."),
            width="100%",
        ),
        rx.el.section(
            rx.heading("Paiement en ligne (Stripe)", size="4", as_="h2", margin_bottom="8px"),
            _check("Paiement en ligne activé", "payments_enabled", S.payments_enabled,
                   "Vos clients peuvent régler en ligne les factures marquées payables en ligne.", switch=True),
            field("Clé publique Stripe", "publishable_key", required=False, default_value=S.publishable_key,
                  error=S.errors.get("publishable_key", ""), max_length=300, autocomplete="off"),
            _secret("Clé secrète Stripe", "secret_key", S.secret_key_saved, S.errors.get("secret_key", "")),
            _secret("Secret du webhook Stripe", "webhook_secret", S.webhook_secret_saved,
                    S.errors.get("webhook_secret", "")),
            width="100%",
        ),
    )
