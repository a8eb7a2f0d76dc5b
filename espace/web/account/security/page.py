"""Two-factor login pages: /mon-compte/securite (client), /admin/compte/securite (staff)
and /double-authentification (the enrolment a firm requires, before any other page)."""
import reflex as rx

from espace.services.accounts.passkeys import PasskeyRow
from espace.web.account.security.state import ENROL_PATH
from espace.web.account.security.state import SecurityState as S
from espace.web.components.forms import banner, field
from espace.web.components.layout import client_page, firm_page
from espace.web.components.step_up_dialog import step_up_dialog
from espace.web.components.words import count_of

HINT = {"size": "2", "color": "var(--gray-11)"}


def _codes() -> rx.Component:
    return rx.cond(
        S.codes.length() > 0,
        rx.box(
            rx.heading("Vos codes de secours", size="3", as_="h3", margin_bottom="4px"),
            rx.text("Chaque code fonctionne une seule fois, si vous n'avez plus votre téléphone ou votre clé. "
                    "Conservez-les en lieu sûr : ils ne seront plus affichés.", **HINT),
            rx.el.ul(
                rx.foreach(S.codes, lambda c: rx.el.li(c, style={"font-family": "monospace", "font-size": "16px"})),
                aria_label="Codes de secours",
                style={"columns": "2", "column-gap": "24px", "padding-left": "20px", "margin": "8px 0"},
            ),
            rx.flex(
                rx.button("Copier les codes", type="button", variant="soft",
                          on_click=[rx.set_clipboard(S.codes.join("\n")), rx.toast("Codes copiés.")]),
                rx.button("Imprimer", type="button", variant="soft", on_click=rx.call_script("window.print()")),
                rx.button("J'ai conservé mes codes", type="button", on_click=S.hide_codes),
                spacing="2", wrap="wrap",
            ),
            padding="12px", border="1px solid var(--amber-7)", border_radius="8px", background="var(--amber-2)",
            width="100%",
        ),
    )


def _enrolment() -> rx.Component:
    return rx.box(
        rx.text("1. Ouvrez votre application d'authentification (Google Authenticator, Microsoft Authenticator, "
                "FreeOTP…) et scannez ce QR code.", size="2"),
        rx.box(rx.html(S.qr_svg), width="220px", max_width="100%", background="white", padding="4px",
               margin_y="8px", style={"& svg": {"width": "100%", "height": "auto", "display": "block"}}),
        rx.text("Ou saisissez cette clé dans l'application :", size="2"),
        rx.code(S.secret_text, size="3", custom_attrs={"data-totp-secret": "true"},
                style={"word-break": "break-all", "display": "inline-block", "margin": "4px 0 12px 0"}),
        rx.form(
            rx.text("2. Saisissez le code à 6 chiffres affiché par l'application.", size="2", margin_bottom="8px"),
            field("Code de l'application d'authentification", "code", autocomplete="one-time-code", max_length=10),
            rx.flex(
                rx.button("Activer", type="submit", size="3"),
                rx.button("Annuler", type="button", size="3", variant="soft", color_scheme="gray",
                          on_click=S.cancel_totp),
                spacing="2", wrap="wrap",
            ),
            on_submit=S.confirm_totp,
            key=S.form_key,
            width="100%",
        ),
        width="100%",
    )


def _totp_section(allow_disable: bool) -> rx.Component:
    return rx.el.section(
        rx.heading("Application d'authentification", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.enrolling,
            _enrolment(),
            rx.cond(
                S.totp_enabled,
                rx.vstack(
                    rx.text("Activée. À chaque connexion, le code de l'application vous est demandé après "
                            "votre mot de passe.", size="2"),
                    rx.text(count_of(S.recovery_left, "code de secours restant", "codes de secours restants") + ".", **HINT),
                    rx.flex(
                        rx.button("Changer de téléphone (réactiver)", type="button", variant="soft",
                                  on_click=S.start_totp),
                        rx.button("Régénérer les codes de secours", type="button", variant="soft",
                                  on_click=S.regenerate_codes),
                        rx.button("Désactiver l'application d'authentification", type="button", variant="soft",
                                  color_scheme="red", on_click=S.disable_totp) if allow_disable else rx.fragment(),
                        spacing="2", wrap="wrap",
                    ),
                    rx.text("Ces changements demandent de confirmer votre identité, et vous sont signalés par e-mail.",
                            **HINT),
                    spacing="3", width="100%",
                ),
                rx.vstack(
                    rx.text("Un code à 6 chiffres, affiché par une application de votre téléphone, vous sera "
                            "demandé après votre mot de passe.", size="2"),
                    rx.button("Activer l'application d'authentification", type="button", on_click=S.start_totp),
                    spacing="2", width="100%",
                ),
            ),
        ),
        width="100%",
    )


def _passkey_row(key: rx.Var[PasskeyRow]) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.box(
                rx.text(key.name, weight="medium", style={"overflow-wrap": "anywhere"}),
                rx.text("Ajoutée le " + key.created + " · dernière utilisation : " + key.last_used, **HINT),
                flex="1", min_width="0",
            ),
            rx.button("Supprimer", type="button", variant="soft", color_scheme="red",
                      aria_label="Supprimer la clé d'accès " + key.name,
                      on_click=S.remove_passkey(key.id)),
            justify="between", align="center", spacing="3", wrap="wrap",
        ),
        style={"padding": "8px 0", "border-bottom": "1px solid var(--gray-5)", "list-style": "none"},
    )


def _to_confirm() -> rx.Component:
    """After a password change or reset: the passkeys open no session without the
    password until the person recognises them (or removes the ones they do not know)."""
    return rx.cond(
        S.passkeys_to_confirm,
        rx.callout.root(
            rx.callout.text(
                "Votre mot de passe a changé. Par sécurité, vos clés d'accès ne permettent plus de se connecter sans "
                "mot de passe tant que vous ne les avez pas confirmées. Supprimez celles que vous ne reconnaissez "
                "pas, puis confirmez les autres."),
            rx.button("Je reconnais ces clés d'accès", type="button", on_click=S.confirm_passkeys, margin_top="8px"),
            color_scheme="amber", role="status", margin_y="8px",
        ),
    )


def _passkeys_section() -> rx.Component:
    return rx.el.section(
        rx.heading("Clés d'accès", size="4", as_="h2", margin_bottom="8px"),
        _to_confirm(),
        rx.text("Une clé d'accès (empreinte, visage, code de l'appareil ou clé de sécurité) permet de se connecter "
                "sans mot de passe, ou de confirmer la connexion après le mot de passe.", size="2"),
        rx.cond(
            S.keys.length() > 0,
            rx.el.ul(rx.foreach(S.keys, _passkey_row), aria_label="Vos clés d'accès",
                     style={"padding": 0, "margin": "8px 0"}),
            rx.text("Aucune clé d'accès.", **HINT, margin_y="8px"),
        ),
        rx.box(
            rx.el.label("Nom de la clé d'accès", html_for="champ-cle-nom",
                        style={"display": "block", "font-weight": 500, "margin_bottom": "4px", "font-size": "14px"}),
            rx.input(id="champ-cle-nom", placeholder="ex. Téléphone de Luce", max_length=60, size="3", width="100%",
                     custom_attrs={"data-webauthn-name": "true"}, key=S.form_key),
            margin_y="8px", width="100%",
        ),
        rx.button("Ajouter une clé d'accès", type="button", custom_attrs={"data-webauthn": "register"}),
        rx.el.p(custom_attrs={"data-webauthn-status": "true"}, role="status", aria_live="polite",
                style={"margin": "6px 0 0 0", "font-size": "14px"}),
        rx.el.button("Actualiser les clés d'accès", type="button", on_click=S.passkey_added, hidden=True,
                     custom_attrs={"data-webauthn-refresh": "true"}),
        rx.el.button("Confirmer mon identité", type="button", on_click=S.ask_for_passkey, hidden=True,
                     custom_attrs={"data-step-up-ask": "true"}),
        width="100%",
    )


def security_panel(allow_disable: bool = True) -> rx.Component:
    return rx.vstack(
        banner(S.message),
        banner(S.error, "red"),
        rx.flex(
            rx.text("Les changements ci-dessous demandent de confirmer votre identité (valable 5 minutes).", **HINT),
            rx.button("Confirmer mon identité", type="button", variant="outline", size="1", on_click=S.ask_identity),
            spacing="2", align="center", wrap="wrap",
        ),
        _codes(),
        rx.card(_totp_section(allow_disable), width="100%"),
        rx.card(_passkeys_section(), width="100%"),
        step_up_dialog(S),
        spacing="4",
        width="100%",
    )


def security_page() -> list[rx.Component]:
    return [
        rx.text("Double authentification : après votre mot de passe, une preuve supplémentaire (code de "
                "l'application ou clé d'accès) protège vos documents même si votre mot de passe est découvert.",
                size="2"),
        security_panel(),
    ]


client_page("/mon-compte/securite", "Sécurité du compte", S.load, back=("← Mon compte", "/mon-compte"),
            spacing="4")(security_page)
firm_page("/admin/compte/securite", "Sécurité du compte", S.load, back=("← Mon compte", "/admin/compte"),
          spacing="4")(security_page)


@rx.page(route=ENROL_PATH, title="Double authentification — Mon espace client", on_load=S.load)
def enrolment() -> rx.Component:
    return rx.center(
        rx.el.main(rx.card(
            rx.cond(
                S.loaded,
                rx.vstack(
                    rx.heading("Activez la double authentification", size="5", as_="h1"),
                    rx.text("Votre cabinet exige une double authentification pour accéder à votre espace. "
                            "Activez l'application d'authentification ou ajoutez une clé d'accès.", size="2"),
                    security_panel(allow_disable=False),
                    rx.cond(
                        ~S.required,
                        rx.button("Continuer", type="button", size="3", width="100%", on_click=S.go_on),
                    ),
                    rx.el.form(
                        rx.el.button("Déconnexion", type="submit",
                                     style={"background": "transparent", "border": "none",
                                            "color": "var(--accent-11)", "cursor": "pointer", "padding": 0,
                                            "font-size": "14px"}),
                        action="/api/session/fermer", method="post", style={"margin": 0},
                    ),
                    spacing="3",
                    width="100%",
                ),
            ),
            width="100%", size="3",
        ), style={"width": "100%", "max_width": "640px"}),
        min_height="100vh", padding="16px", background="var(--gray-2)",
        on_unmount=S.leave,
    )
