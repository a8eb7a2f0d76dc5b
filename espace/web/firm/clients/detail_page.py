"""/admin/clients/<id>: a client's details (editable), access (deactivate,
reactivate, resend the invitation), last login, dossiers and activity trail."""
import reflex as rx

from espace.web.components.firm_ui import client_fields, muted, pager, plain_list, row_item, status_badge
from espace.web.components.forms import banner
from espace.web.components.layout import Missing, firm_page
from espace.web.components.step_up_dialog import FIRM, step_up_dialog
from espace.web.firm.clients.state import ClientDetailState as S


def _dossier(d) -> rx.Component:
    return row_item(
        rx.link(d.reference, " — ", d.label, href="/admin/dossiers/" + d.id.to_string(), weight="medium"),
    )


def _event(e) -> rx.Component:
    return row_item(
        rx.text(e["date"], size="2", color="var(--gray-11)", min_width="130px"),
        rx.box(
            rx.text(e["action"], weight="medium"),
            muted("Par ", e["who"], rx.cond(e["detail"] != "", " — " + e["detail"].to(str), "")),
            flex="1 1 240px", min_width="0",
        ),
    )


def _confirm_deactivation() -> rx.Component:
    """« Désactiver » asks first: the client's open sessions are closed at once."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Désactiver", color_scheme="red", variant="soft", high_contrast=True, size="3")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Désactiver l'accès de ", S.name, " ?"),
            rx.alert_dialog.description(
                "Le client ne pourra plus se connecter à son espace et ses sessions ouvertes seront "
                "fermées immédiatement. Vous pourrez réactiver l'accès plus tard.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Désactiver l'accès", color_scheme="red", on_click=S.deactivate)),
                spacing="3", justify="end", wrap="wrap", margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _access() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.text("Statut :", weight="medium"), status_badge(S.status),
            spacing="2", align="center", wrap="wrap",
        ),
        rx.text("Dernière connexion : ", rx.text.strong(S.last_login)),
        rx.text("Client créé le ", S.created, size="2", color="var(--gray-11)"),
        rx.text(S.invitation, size="2"),
        banner(S.action_message),
        banner(S.action_error, "red"),
        rx.flex(
            rx.cond(
                S.active,
                _confirm_deactivation(),
                rx.button("Réactiver", color_scheme="green", variant="soft", size="3", on_click=S.reactivate),
            ),
            rx.cond(S.can_resend, rx.button("Renvoyer l'invitation", variant="soft", size="3", on_click=S.resend)),
            spacing="3", wrap="wrap",
        ),
        width="100%",
        spacing="2",
    )


@firm_page("/admin/clients/[client_id]", "Client", S.load, h1=S.name, back=("‹ Clients", "/admin/clients"),
           missing=Missing(S.not_found, "Client introuvable", "Retour à la liste des clients", "/admin/clients"),
           spacing="5")
def client_detail() -> list[rx.Component]:
    return [
        rx.el.section(rx.heading("Accès à l'espace client", size="4", as_="h2", margin_bottom="8px"),
                      _access(), width="100%"),
        rx.el.section(
            rx.heading("Coordonnées", size="4", as_="h2", margin_bottom="8px"),
            banner(S.message),
            banner(S.errors.get("form", ""), "red"),
            rx.form(
                *client_fields(S.values, S.errors),
                rx.button("Enregistrer", type="submit", size="3"),
                on_submit=S.save,
                key=S.form_key,
                width="100%",
            ),
            step_up_dialog(S, FIRM),
            width="100%",
        ),
        rx.el.section(
            rx.flex(
                rx.heading("Dossiers (", S.dossiers.length(), ")", size="4", as_="h2"),
                rx.link("Nouveau dossier pour ce client", href="/admin/dossiers/nouveau?client=" + S.client_id,
                        size="2"),
                justify="between", align="center", wrap="wrap", spacing="2",
            ),
            rx.cond(
                S.dossiers.length() > 0,
                plain_list(rx.foreach(S.dossiers, _dossier), label="Dossiers du client"),
                rx.text("Aucun dossier.", color="var(--gray-11)"),
            ),
            width="100%",
        ),
        rx.el.section(
            rx.heading("Journal d'activité (", S.events_total, ")", size="4", as_="h2", margin_bottom="4px"),
            muted("Connexions, téléchargements, dépôts, demandes et actions du cabinet concernant ce client."),
            rx.cond(
                S.events.length() > 0,
                plain_list(rx.foreach(S.events, _event), label="Journal d'activité"),
                rx.text("Aucune activité enregistrée.", color="var(--gray-11)"),
            ),
            pager(S.events_page, S.events_pages, S.events_go, "Pages du journal"),
            width="100%",
        ),
    ]
