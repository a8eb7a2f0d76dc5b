"""/admin/messages: one line per dossier with messages, its unread client
messages, and a link to the dossier's `Messages` tab to read and answer."""
import reflex as rx

from espace.web import styles
from espace.web.components.layout import firm_page
from espace.web.components.words import count_of
from espace.web.firm.messages.state import FirmMessagesState as S


def _thread(t) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.box(
                rx.link(t.dossier, href="/admin/dossiers/" + t.dossier_id.to_string() + "?onglet=messages",
                        weight="bold", aria_label="Messages du dossier " + t.dossier),
                rx.text(t.clients, size="2", color=styles.MUTED),
                rx.text("Dernier message le ", t.last_date, " — ", t.last_author, " : « ", t.last_subject, " »",
                        size="2"),
                rx.cond(t.last_read != "", rx.text(t.last_read, " par le client", size="2", color=styles.MUTED)),
                flex="1 1 260px",
                min_width="0",
                style={"overflow_wrap": "anywhere"},
            ),
            rx.cond(
                t.unread != 0,
                rx.badge(count_of(t.unread, "non lu", "non lus"), high_contrast=True, color_scheme="orange", size="2"),
                rx.badge("Lu", high_contrast=True, color_scheme="gray", size="2"),
            ),
            rx.text(count_of(t.total, "message"), size="2", color=styles.MUTED),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        style={"padding": "10px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none"},
    )


@firm_page("/admin/messages", "Messages", S.load, h1="Messages des clients")
def firm_messages() -> list[rx.Component]:
    return [
        rx.text(rx.cond(S.unread_total > 0, count_of(S.unread_total, "message non lu", "messages non lus") + ".",
                        "Aucun message non lu.")),
        rx.cond(
            S.threads.length() > 0,
            rx.el.ul(rx.foreach(S.threads, _thread), aria_label="Fils de messages par dossier",
                     style={"padding": 0, "margin": 0, "width": "100%"}),
            rx.text("Aucun message pour l'instant.", color=styles.MUTED),
        ),
    ]
