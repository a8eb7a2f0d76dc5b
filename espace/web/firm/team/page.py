"""/admin/equipe: « Équipe du cabinet » — the firm's administrators, lawyers and
staff; administrators invite a colleague, change roles, deactivate and reactivate."""
import reflex as rx

from espace.services.firm.team import ROLE_CHOICES
from espace.web import styles
from espace.web.components.firm_ui import muted, plain_list, row_item, status_badge
from espace.web.components.forms import banner, field
from espace.web.components.layout import firm_page
from espace.web.components.step_up_dialog import FIRM, step_up_dialog
from espace.web.firm.team.state import TeamState as S

LABEL_STYLE = {"display": "block", "font-weight": 500, "font-size": "14px", "margin_bottom": "4px"}
SELECT_STYLE = {**styles.SELECT, "width": "auto"}


def _role_options() -> list[rx.Component]:
    return [rx.el.option(label, value=value) for value, label in ROLE_CHOICES]


def _confirm_deactivation(r) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Désactiver", color_scheme="red", variant="soft", size="2",
                                          aria_label="Désactiver " + r.name)),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Désactiver l'accès de ", r.name, " ?"),
            rx.alert_dialog.description(
                "Ce collègue ne pourra plus se connecter et ses sessions ouvertes seront fermées immédiatement. "
                "Vous pourrez réactiver l'accès plus tard.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Désactiver l'accès", color_scheme="red",
                                                 on_click=S.deactivate(r.id.to_string()))),
                spacing="3", justify="end", wrap="wrap", margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _manage(r) -> rx.Component:
    return rx.flex(
        rx.form(
            rx.el.input(type="hidden", name="user_id", value=r.id.to_string()),
            rx.el.select(*_role_options(), name="role", default_value=r.role,
                         aria_label="Rôle de " + r.name, style=SELECT_STYLE),
            rx.button("Changer le rôle", type="submit", variant="soft", size="2"),
            on_submit=S.change_role,
            style={"display": "flex", "gap": "8px", "align_items": "center", "flex_wrap": "wrap"},
        ),
        rx.cond(
            r.active,
            _confirm_deactivation(r),
            rx.button("Réactiver", color_scheme="green", variant="soft", size="2", on_click=S.reactivate(r.id.to_string()),
                      aria_label="Réactiver " + r.name),
        ),
        rx.cond((r.status == "Invitation en attente"),
                rx.button("Renvoyer l'invitation", variant="soft", size="2", on_click=S.resend(r.id.to_string()))),
        wrap="wrap", spacing="2", align="center", width="100%",
    )


def _row(r) -> rx.Component:
    return row_item(
        rx.box(
            rx.text(r.name, rx.cond(r.me, " (vous)", ""), weight="bold"),
            muted(r.email),
            flex="1 1 240px", min_width="0",
        ),
        rx.box(rx.text(r.role_label, size="2", weight="medium"), flex="0 1 200px", min_width="0"),
        rx.box(muted("Dernière connexion : ", r.last_login), flex="0 1 230px", min_width="0"),
        status_badge(r.status),
        rx.cond(S.can_manage, _manage(r)),
    )


def _invite() -> rx.Component:
    return rx.el.section(
        rx.heading("Inviter un collègue", size="4", as_="h2", margin_bottom="8px"),
        muted("Le collègue reçoit un e-mail avec un lien valable 7 jours pour choisir son mot de passe."),
        rx.form(
            field("Nom", "nom", default_value=S.values["nom"], error=S.errors.get("nom", ""), max_length=100,
                  autocomplete="off"),
            field("Prénom", "prenom", default_value=S.values["prenom"], error=S.errors.get("prenom", ""),
                  max_length=100, autocomplete="off"),
            field("E-mail", "email", type="email", default_value=S.values["email"], error=S.errors.get("email", ""),
                  max_length=254, autocomplete="off"),
            rx.box(
                rx.el.label("Rôle", html_for="champ-role", style=LABEL_STYLE),
                rx.el.select(*_role_options(), id="champ-role", name="role", default_value=S.values["role"],
                             style=SELECT_STYLE),
                rx.cond(S.errors.get("role", "") != "",
                        rx.text(S.errors.get("role", ""), color="var(--red-11)", size="2", role="alert")),
                margin_bottom="12px",
            ),
            rx.button("Envoyer l'invitation", type="submit", size="3"),
            on_submit=S.invite,
            key=S.form_key,
            width="100%",
        ),
        width="100%",
    )


@firm_page("/admin/equipe", "Équipe du cabinet", S.load, spacing="4")
def team_page() -> list[rx.Component]:
    return [
        muted("Administrateur du cabinet : paramètres, clés Stripe, logo et comptes des collègues. "
              "Avocat et Collaborateur : clients, dossiers, demandes et messages."),
        rx.cond(~S.can_manage,
                rx.callout("Seul un administrateur du cabinet peut inviter un collègue ou modifier les accès.",
                           color_scheme="gray", width="100%")),
        banner(S.message),
        banner(S.error, "red"),
        plain_list(rx.foreach(S.rows, _row), label="Membres du cabinet"),
        rx.cond(S.can_manage, _invite()),
        step_up_dialog(S, FIRM),
    ]
