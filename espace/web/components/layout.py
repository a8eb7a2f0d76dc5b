"""The page frame: header with the manual's navigation, centred content, and the
decorators that register client and firm pages with their session guard."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import reflex as rx

from espace.domain import french
from espace.web import styles
from espace.web.components.actions import link_button
from espace.web.page import LoadedPage, register_page
from espace.web.session import SessionState


def _current_style(current: bool) -> dict:
    """The active link: bold, underlined by a 2 px bar (not by colour alone)."""
    return {"border_bottom": "2px solid currentColor" if current else "2px solid transparent",
            "padding_bottom": "2px", "white_space": "nowrap", "font_weight": 700 if current else 500}


def _nav_link(label: str, href: str, current: bool = False) -> rx.Component:
    if href == MESSAGES_HREF:
        return _messages_link(label, href, current)
    extra = {"aria_current": "page"} if current else {}
    return rx.link(label, href=href, color=styles.HEADER_FG, size="2", underline="hover",
                   style=_current_style(current), **extra)


def current_href(links: list[tuple[str, str]], route: str) -> str:
    """The header link the page `route` belongs to (the longest matching prefix), or ""."""
    matching = [href for _, href in links if route == href or route.startswith(href.rstrip("/") + "/")]
    return max(matching, key=len, default="")


def _messages_link(label: str, href: str, current: bool = False) -> rx.Component:
    """The client's `Messages`, with the number of the firm's answers not read yet
    (named « Messages 2 non lus »; no aria-label, which a form's label search would match)."""
    unread = SessionState.unread_answers
    extra = {"aria_current": "page"} if current else {}
    return rx.link(
        label,
        rx.cond(unread > 0, rx.fragment(
            rx.badge(unread, color_scheme="orange", variant="solid", high_contrast=True, radius="full", size="1",
                     margin_left="6px"),
            rx.el.span(rx.cond(unread >= french.PLURAL_FROM, " non lus", " non lu"), style=VISUALLY_HIDDEN),
        )),
        href=href, color=styles.HEADER_FG, size="2", underline="hover", style=_current_style(current),
        **extra,
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


def brand() -> rx.Component:
    """Logo and name of the firm. Before the state has arrived, assets/cadre.js shows them
    from the label cookie set at login (the empty name's ::before, the early logo)."""
    return rx.flex(
        rx.cond(
            SessionState.has_logo,
            rx.image(src="/api/logo", alt="Logo du cabinet", height="32px", width="auto", max_width="140px",
                     style={"object_fit": "contain", "background": "white", "border_radius": "4px"}),
        ),
        rx.el.span(class_name="firm-logo-early", aria_hidden="true"),
        rx.text(SessionState.firm_name, weight="bold", color=styles.HEADER_FG,
                size="3", class_name="firm-name",
                style={"white_space": "nowrap", "overflow": "hidden", "text_overflow": "ellipsis",
                       "max_width": "min(60vw, 320px)"}),
        align="center", spacing="2", min_width="0",
    )


def _menu(links: list[tuple[str, str]], current: str) -> rx.Component:
    """The compact navigation of phones and tablets: a Radix dropdown « Menu »."""
    items = [
        rx.dropdown_menu.item(
            label, on_select=rx.redirect(href),
            aria_current="page" if href == current else None,
            style={"font_weight": 700} if href == current else {},
        )
        for label, href in links
    ]
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button("Menu", rx.icon("menu", size=18), variant="surface", color_scheme="gray", size="3",
                      aria_label="Menu", style={"min_height": "44px"}),
        ),
        rx.dropdown_menu.content(
            *items,
            rx.cond(SessionState.can_switch,
                    rx.dropdown_menu.item("Changer d'espace", on_select=rx.redirect("/choisir-cabinet"))),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item("Déconnexion", on_select=SessionState.logout),
            size="2",
        ),
    )


def header(links: list[tuple[str, str]], current: str = "", compact: bool = False) -> rx.Component:
    """`compact` (the firm's nine links): one line from 1280 px, a « Menu » dropdown below."""
    inline = rx.el.nav(
        rx.flex(
            *[_nav_link(label, href, href == current) for label, href in links],
            rx.cond(SessionState.can_switch, _nav_link("Changer d'espace", "/choisir-cabinet")),
            logout_form(),
            align="center",
            wrap="nowrap" if compact else "wrap",
            style={"gap": "8px 16px" if compact else "8px 20px"},
        ),
        aria_label="Navigation principale",
        display=["none", "none", "none", "none", "block"] if compact else "block",
    )
    return rx.el.header(
        rx.flex(
            brand(),
            inline,
            *([rx.box(_menu(links, current), display=["block", "block", "block", "block", "none"])]
              if compact else []),
            justify="between",
            align="center",
            wrap="nowrap" if compact else "wrap",
            spacing="3",
            max_width=styles.FIRM_MAX_WIDTH if compact else styles.MAX_WIDTH,
            margin="0 auto",
            padding_x=styles.PAGE_PADDING,
            padding_y="10px",
        ),
        style={"background": styles.HEADER_BG},
    )


def skeleton() -> rx.Component:
    """What a page shows while its on_load runs: grey bars in the shape of a page. Shown
    only when it is the only child of its container (assets/depot.css), that is while the
    page's content renders nothing; after a few seconds it says the connection is slow
    (the red banner of components/banner.py covers a lost connection)."""
    return rx.el.div(
        rx.el.div(class_name="sq-bar sq-title"),
        rx.el.div(class_name="sq-bar"),
        rx.el.div(class_name="sq-bar"),
        rx.el.div(class_name="sq-bar sq-short"),
        rx.el.div(class_name="sq-bar"),
        rx.el.p("Chargement de la page… La connexion au serveur est lente.", class_name="sq-slow"),
        class_name="page-skeleton",
        role="status",
        aria_label="Chargement de la page",
    )


def frame(content: rx.Component, links: list[tuple[str, str]], current: str = "",
          max_width: str = styles.MAX_WIDTH) -> rx.Component:
    """`current`: the href of the header link of this page (aria-current).
    `max_width`: the column's (the firm's workbench is wider: styles.FIRM_MAX_WIDTH).
    The page left is forgotten by the next page's navigation (web/navigation.py), not by
    an event of the frame's."""
    return rx.box(
        header(links, current, compact=links is FIRM_LINKS),
        rx.el.main(
            content,
            skeleton(),
            max_width=max_width,
            margin="0 auto",
            padding=styles.PAGE_PADDING,
            width="100%",
        ),
        min_height="100vh",
        style={"overflow_x": "hidden"},
    )


MESSAGES_HREF = "/contacter"
CLIENT_LINKS = [("Accueil", "/accueil"), ("Messages", MESSAGES_HREF), ("Rechercher", "/recherche"),
                ("Mon compte", "/mon-compte")]
FIRM_LINKS = [
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
    """Pages seen before login: centred card, no navigation; the card is the page's <main>."""
    return rx.center(
        rx.el.main(rx.card(rx.box(content, skeleton()), width="100%", size="3"),
                   style={"width": "100%", "max_width": "420px"}),
        min_height="100vh",
        padding="16px",
        background="var(--gray-2)",
    )


@dataclass(frozen=True)
class Missing:
    """What a page shows instead of its content when its object is not found (or not the
    user's): an h1 and the way back."""

    when: rx.Var
    h1: str
    back: str
    href: str


@dataclass(frozen=True)
class Shell:
    """The part every signed-in page shares around its content, in this order: the `back`
    link (label, href), the h1 (`h1`: text, a var or a tuple of both; the page's title by
    default) with the `action` button beside it (label, href), then the content, in a
    column of `spacing` (at most `width` wide). `wait`: the column waits for the page
    state's `loaded` (the frame's skeleton shows meanwhile); a var to wait for another
    flag, False to show at once (the page's own parts then wait). `missing`: what shows
    instead when the page's object is not found."""

    h1: Any = None
    back: tuple[str, str] | None = None
    action: tuple[str, str] | None = None
    missing: Missing | None = None
    spacing: str = "3"
    width: str | None = None
    wait: Any = True


# The h1 is often a name or a label typed by someone: a long word wraps instead of overflowing a phone.
H1_STYLE = {"overflow_wrap": "anywhere"}


def _heading(h1: Any, action: tuple[str, str] | None) -> rx.Component:
    heading = rx.heading(*(h1 if isinstance(h1, tuple) else (h1,)), size="6", as_="h1", style=H1_STYLE)
    if action is None:
        return heading
    label, href = action
    return rx.flex(heading, link_button(label, href, size="3"),
                   justify="between", align="center", wrap="wrap", spacing="3", width="100%")


def _column(content: list[rx.Component], shell: Shell, title: str, loaded: rx.Var | None) -> rx.Component:
    """The page's column (see Shell), behind its loaded switch and its not-found branch."""
    back = [rx.link(shell.back[0], href=shell.back[1], size="2")] if shell.back else []
    width = {"max_width": shell.width} if shell.width else {}
    column: rx.Component = rx.vstack(*back, _heading(shell.h1 if shell.h1 is not None else title, shell.action),
                                     *content, spacing=shell.spacing, width="100%", **width)
    if shell.wait is not False:
        column = rx.cond(loaded if shell.wait is True else shell.wait, column)
    if shell.missing is not None:
        missing = shell.missing
        column = rx.cond(missing.when, rx.vstack(rx.heading(missing.h1, size="5", as_="h1"),
                                                 rx.link(missing.back, href=missing.href)), column)
    return column


def _page_state(on_load):
    """The state whose `load` is the page's on_load, if it is a page state (web/page.py:
    with `loaded`, forgotten when the tab leaves the page)."""
    state = getattr(on_load, "state", None)
    return state if isinstance(state, type) and issubclass(state, LoadedPage) else None


Content = Callable[[], list[rx.Component]]


def _page(links, route: str, title: str, on_load, max_width: str, shell: Shell) -> Callable[[Content], Content]:
    state = _page_state(on_load)
    if shell.wait is True and state is None:
        shell = replace(shell, wait=False)  # a state without `loaded` (the account's): nothing to wait for

    def decorator(fn: Content) -> Content:
        def render() -> rx.Component:
            content = _column(fn(), shell, title, state.loaded if state is not None else None)
            return frame(content, links, current_href(links, route), max_width)

        render.__name__ = fn.__name__
        if state is not None:
            register_page(route, state)
        rx.page(route=route, title=f"{title} — Mon espace client", on_load=on_load)(render)
        return fn

    return decorator


def client_page(route: str, title: str, on_load, **shell: Any) -> Callable[[Content], Content]:
    """Register a client page in the layout; its on_load checks the session. The page
    function returns its content, the rest is `shell` (see Shell)."""
    return _page(CLIENT_LINKS, route, title, on_load, styles.MAX_WIDTH, Shell(**shell))


def firm_page(route: str, title: str, on_load, **shell: Any) -> Callable[[Content], Content]:
    """Register a firm page (/admin…) in the layout; its on_load checks the role. The
    page function returns its content, the rest is `shell` (see Shell)."""
    return _page(FIRM_LINKS, route, title, on_load, styles.FIRM_MAX_WIDTH, Shell(**shell))
