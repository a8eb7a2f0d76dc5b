"""/accueil: the client's name; « Nouveautés » (what the firm shared that the client
has not opened yet, the tiles' « nouveau »: the 8 newest, then the rest by kind), « À venir » (next RDV, invoices to pay), the firm's unread
answers; then « Accéder à : » and one tile per non-empty category with its
« N nouveau(x) » badge; the contact links and the deposit zone."""
import reflex as rx

from espace.web import styles
from espace.web.client.home.state import HomeState as S
from espace.web.components.actions import link_button
from espace.web.components.items import file_link
from espace.web.components.layout import client_page
from espace.web.components.upload_zone import upload_zone

LI = {"padding": "8px 0", "border_bottom": "1px solid var(--gray-4)", "list_style": "none"}
UL = {"padding": 0, "margin": 0, "width": "100%"}


def _section(title: str, *children, **props) -> rx.Component:
    return rx.el.section(
        rx.heading(title, size="4", as_="h2", margin_bottom="6px"),
        *children,
        aria_label=title,
        style={"border": "1px solid var(--gray-5)", "border_radius": "8px", "padding": "12px 16px",
               "width": "100%", "background": "var(--color-panel-solid)"},
        **props,
    )


def _news_item(n) -> rx.Component:
    link = rx.cond(
        n.kind == "documents",
        file_link(n.name, href=n.href, target="_blank", rel="noopener", style={"font-weight": 500}),
        rx.link(n.name, href=n.href, weight="medium"),
    )
    return rx.el.li(
        rx.flex(
            rx.badge(n.kind_label, color_scheme="indigo", variant="soft", size="1"),
            link,
            spacing="2", align="center", wrap="wrap",
        ),
        rx.text(rx.cond(n.date != "", n.date + " · ", ""), n.dossier, " · partagé le ", n.shared_on,
                size="2", color=styles.MUTED),
        style={**LI, "overflow_wrap": "anywhere"},
    )


def _news_group(g) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(g.label, weight="medium"),
            rx.link("Tout voir", href=g.href, aria_label="Tout voir : " + g.label),
            spacing="3", align="baseline", wrap="wrap", justify="between",
        ),
        style=LI,
    )


def _upcoming(r) -> rx.Component:
    return rx.el.li(
        rx.text(r.when, weight="bold", size="2"),
        rx.link(r.subject, href=r.href, weight="medium"),
        rx.cond(r.place != "", rx.text(r.place, size="2", color=styles.MUTED)),
        rx.text(r.dossier, size="2", color=styles.MUTED),
        style={**LI, "overflow_wrap": "anywhere"},
    )


def _to_pay(f) -> rx.Component:
    return rx.el.li(
        rx.link(f.name, href=f.href, weight="medium"),
        rx.text(f.amount, rx.cond(f.due != "", " · " + f.due, ""), " · ", f.dossier, size="2", color=styles.MUTED),
        style={**LI, "overflow_wrap": "anywhere"},
    )


def _answer(a) -> rx.Component:
    return rx.el.li(
        rx.link(a.subject, href=a.href, weight="medium"),
        rx.text(a.date, " — ", a.author, " · ", a.dossier, size="2", color=styles.MUTED),
        style={**LI, "overflow_wrap": "anywhere"},
    )


def _tile(t) -> rx.Component:
    return rx.link(
        rx.card(
            rx.flex(
                rx.text(t.label, " (", t.count, ")", weight="bold", size="3"),
                rx.cond(t.new > 0, rx.badge(t.new_label, color_scheme="orange", variant="soft", high_contrast=True,
                                            size="1")),
                justify="between", align="center", wrap="wrap", spacing="2",
            ),
            width="100%",
        ),
        href="/" + t.key.to(str),
        underline="none",
        min_width=styles.TILE_MIN,
        flex="1 1 " + styles.TILE_MIN,
    )


def _news() -> rx.Component:
    return _section(
        "Nouveautés",
        rx.cond(
            (S.news_items.length() > 0) | (S.news_groups.length() > 0),
            rx.fragment(
                rx.text("Ce que vous n'avez pas encore ouvert",
                        rx.cond(S.since != "", " (dernière visite le " + S.since + ")", ""), " :",
                        size="2", color=styles.MUTED),
                rx.el.ul(rx.foreach(S.news_items, _news_item), aria_label="Nouveautés", style=UL),
                rx.cond(
                    S.news_groups.length() > 0,
                    rx.box(
                        rx.text("En tout :", size="2", color=styles.MUTED, margin_top="6px"),
                        rx.el.ul(rx.foreach(S.news_groups, _news_group), aria_label="Nouveautés par catégorie",
                                 style=UL),
                        width="100%",
                    ),
                ),
            ),
            rx.text("Rien de nouveau depuis votre dernière visite.", color=styles.MUTED),
        ),
    )


def _next() -> rx.Component:
    return _section(
        "À venir",
        rx.cond(
            (S.upcoming.length() == 0) & (S.to_pay.length() == 0),
            rx.text("Aucun rendez-vous à venir ni facture à régler.", color=styles.MUTED),
        ),
        rx.cond(
            S.upcoming.length() > 0,
            rx.box(
                rx.heading("Prochains rendez-vous", size="3", as_="h3"),
                rx.el.ul(rx.foreach(S.upcoming, _upcoming), aria_label="Prochains rendez-vous", style=UL),
                width="100%",
            ),
        ),
        rx.cond(
            S.to_pay.length() > 0,
            rx.box(
                rx.heading("Factures à régler", size="3", as_="h3", margin_top="8px"),
                rx.el.ul(rx.foreach(S.to_pay, _to_pay), aria_label="Factures à régler", style=UL),
                width="100%",
            ),
        ),
    )


@client_page("/accueil", "Accueil", S.load, h1=S.name.upper(), spacing="4")
def home() -> list[rx.Component]:
    return [
        rx.cond(
            S.answers.length() > 0,
            _section(
                "Réponses non lues",
                rx.el.ul(rx.foreach(S.answers, _answer), aria_label="Réponses non lues", style=UL),
            ),
        ),
        rx.grid(_news(), _next(), columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%"),
        rx.heading("Accéder à :", size="4", as_="h2"),
        rx.flex(rx.foreach(S.tiles, _tile), wrap="wrap", spacing="3", width="100%",
                role="navigation", aria_label="Catégories"),
        rx.cond(S.tiles.length() == 0, rx.text("Aucun élément n'est encore partagé avec vous.")),
        rx.cond(
            S.dossier_choices.length() > 0,
            rx.flex(
                link_button("Contacter l'interlocuteur", "/contacter", variant="soft", size="3"),
                link_button("Mettre à jour mes coordonnées", "/mon-compte/coordonnees", variant="soft", size="3"),
                spacing="3", wrap="wrap",
            ),
        ),
        rx.cond(
            S.dossier_choices.length() > 0,
            upload_zone(S.refresh, choices=S.dossier_choices),
        ),
    ]
