"""/contacter: « Contacter l'interlocuteur » (Objet, Message) and the dossier's messages."""
import reflex as rx

from espace.web import styles
from espace.web.client.messages.state import MessagesState as S
from espace.web.components.forms import banner, field, textarea_field
from espace.web.components.layout import client_page


def _message(m) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.text(m["date"], " — ", m["author"], size="2", color="var(--gray-11)"),
            rx.text(m["subject"], weight="bold"),
            # Plain text, never HTML: React escapes it; line breaks kept by CSS.
            rx.text(m["body"], style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
            # The firm's read receipt of the client's own message
            rx.cond((m["direction"] == "client") & (m["read"] != ""),
                    rx.text(m["read"], " par le cabinet", size="2", color="var(--gray-11)")),
            style={"background": rx.cond(m["direction"] == "cabinet", "var(--accent-2)", "var(--gray-2)")},
        ),
        style={"list_style": "none", "margin_bottom": "8px"},
    )


@client_page("/contacter", "Contacter l'interlocuteur", S.load, back=("‹ Accueil", "/accueil"))
def contact() -> list[rx.Component]:
    return [
        rx.cond(
            S.choices.length() > 1,
            rx.box(
                rx.el.label("Dossier", html_for="contact-dossier",
                            style={"display": "block", "font-weight": 500, "font-size": "14px"}),
                rx.el.select(
                    rx.el.option("Choisissez le dossier…", value=""),
                    rx.foreach(S.choices, lambda c: rx.el.option(c["title"], value=c["id"])),
                    id="contact-dossier",
                    value=S.dossier_id,
                    on_change=S.choose,
                    style=styles.SELECT,
                ),
                width="100%",
            ),
        ),
        rx.cond(
            S.dossier_id != "",
            rx.vstack(
                rx.text("Contacter l'interlocuteur : ", rx.text.strong(S.interlocutor)),
                rx.text("Dossier : ", rx.text.strong(S.dossier_title), style={"overflow_wrap": "anywhere"}),
                banner(S.message),
                banner(S.errors.get("form", ""), "red"),
                rx.form(
                    field("Objet", "objet", error=S.errors.get("subject", ""), max_length=150),
                    textarea_field("Message", "message", error=S.errors.get("body", ""), max_length=5000),
                    rx.button("Envoyer", type="submit", size="3"),
                    on_submit=S.send,
                    key=S.form_key,
                    width="100%",
                ),
                rx.heading("Messages", size="4", as_="h2", id="messages"),
                rx.cond(
                    S.thread.length() > 0,
                    rx.el.ul(rx.foreach(S.thread, _message), style={"padding": 0, "width": "100%"}),
                    rx.text("Aucun message pour ce dossier.", color="var(--gray-11)"),
                ),
                width="100%",
                spacing="3",
            ),
        ),
    ]
