"""The page frame: header with the manual's navigation, centred content, and the
decorators that register client and firm pages with their session guard."""
from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from espace.web import styles
from espace.web.session import SessionState


def _nav_link(label: str, href: str) -> rx.Component:
    if href == MESSAGES_HREF:
        return _messages_link(label, href)
    return rx.link(label, href=href, color=styles.HEADER_FG, weight="medium", size="2", underline="hover")


def _messages_link(label: str, href: str) -> rx.Component:
    """The client's `Messages`, with the number of the firm's answers not read yet
    (named « Messages 2 non lu(s) »; no aria-label, which a form's label search would match)."""
    unread = SessionState.unread_answers
    return rx.link(
        label,
        rx.cond(unread > 0, rx.fragment(
            rx.badge(unread, color_scheme="orange", variant="solid", high_contrast=True, radius="full", size="1",
                     margin_left="6px"),
            rx.el.span(" non lu(s)", style=VISUALLY_HIDDEN),
        )),
        href=href, color=styles.HEADER_FG, weight="medium", size="2", underline="hover",
    )


VISUALLY_HIDDEN = {"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden",
                   "clip": "rect(0 0 0 0)", "white_space": "nowrap", "margin": "-1px", "padding": 0, "border": 0}


def logout_form() -> rx.Component:
    """A real POST form, so the cookie is cleared by the server."""
    return rx.el.form(
        rx.el.button(
            "Déconnexion",
            type="button",
            on_click=SessionState.logout,
            style={"color": styles.HEADER_FG, "background": "transparent", "border": "none",
                   "cursor": "pointer", "font-weight": 500, "font-size": "14px", "padding": 0},
        ),
        id="form-deconnexion",
        action="/api/session/fermer",
        method="post",
        style={"margin": 0},
    )


def header(links: list[tuple[str, str]]) -> rx.Component:
    return rx.el.header(
        rx.flex(
            rx.flex(
                rx.cond(SessionState.has_logo, rx.image(src="/api/logo", alt="Logo du cabinet", height="32px",
                                                        width="auto", max_width="140px",
                                                        style={"object_fit": "contain", "background": "white",
                                                               "border_radius": "4px"})),
                rx.text(SessionState.firm_name, weight="bold", color=styles.HEADER_FG, size="3"),
                align="center", spacing="2",
            ),
            rx.el.nav(
                rx.flex(
                    *[_nav_link(label, href) for label, href in links],
                    rx.cond(SessionState.can_switch, _nav_link("Changer d'espace", "/choisir-cabinet")),
                    logout_form(),
                    align="center",
                    wrap="wrap",
                    style={"gap": "8px 20px"},
                ),
                aria_label="Navigation principale",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            spacing="2",
            max_width=styles.MAX_WIDTH,
            margin="0 auto",
            padding_x=styles.PAGE_PADDING,
            padding_y="10px",
        ),
        style={"background": styles.HEADER_BG},
    )


def frame(content: rx.Component, links: list[tuple[str, str]], on_leave=None) -> rx.Component:
    """`on_leave`: the page state's `leave`, fired when the page unmounts (see state/page.py)."""
    events = {"on_unmount": on_leave} if on_leave is not None else {}
    return rx.box(
        header(links),
        rx.el.main(
            content,
            **events,
            max_width=styles.MAX_WIDTH,
            margin="0 auto",
            padding=styles.PAGE_PADDING,
            width="100%",
        ),
        min_height="100vh",
        style={"overflow_x": "hidden"},
    )


MESSAGES_HREF = "/contacter"
CLIENT_LINKS = [("Accueil", "/accueil"), ("Messages", MESSAGES_HREF), ("Mon compte", "/mon-compte")]
ADMIN_LINKS = [
    ("Tableau de bord", "/admin"),
    ("Clients", "/admin/clients"),
    ("Dossiers", "/admin/dossiers"),
    ("Demandes", "/admin/demandes"),
    ("Messages", "/admin/messages"),
    ("Paiements", "/admin/paiements"),
    ("Équipe", "/admin/equipe"),
    ("Paramètres", "/admin/parametres"),
    ("Mon compte", "/admin/compte"),
]


def public_frame(content: rx.Component) -> rx.Component:
    """Pages seen before login: centred card, no navigation."""
    return rx.center(
        rx.card(content, width="100%", max_width="420px", size="3"),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )


def _leave_of(on_load):
    """The `leave` handler of the state whose `load` is the page's on_load, if it has one."""
    state = getattr(on_load, "state", None)
    return getattr(state, "leave", None) if state is not None and "leave" in state.event_handlers else None


def _page(links, route: str, title: str, on_load) -> Callable:
    def decorator(fn: Callable[[], rx.Component]):
        def render() -> rx.Component:
            return frame(fn(), links, _leave_of(on_load))

        render.__name__ = fn.__name__
        rx.page(route=route, title=f"{title} — Mon espace client", on_load=on_load)(render)
        return fn

    return decorator


def client_page(route: str, title: str, on_load) -> Callable:
    """Register a client page in the layout; its on_load checks the session."""
    return _page(CLIENT_LINKS, route, title, on_load)


def admin_page(route: str, title: str, on_load) -> Callable:
    """Register a firm page (/admin…) in the layout; its on_load checks the role."""
    return _page(ADMIN_LINKS, route, title, on_load)
