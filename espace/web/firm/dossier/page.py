"""/admin/dossiers/<id>: one tab per category with what is shared or not
(`Partager` / `Retirer`), one page at a time (« Plus récents » / « Plus anciens »),
the forms to add items, the document upload zone, the clients' deposits (`Nouveau`
until opened) and the dossier's messages."""
import reflex as rx

from espace.domain import french
from espace.domain import items as registry
from espace.web import styles
from espace.web.components.forms import banner, field, textarea_field
from espace.web.components.items import file_link, pager
from espace.web.components.layout import Missing, firm_page
from espace.web.components.upload_zone import upload_zone
from espace.web.firm.dossier.state import DEPOSITS, MESSAGES
from espace.web.firm.dossier.state import FirmDossierState as S

LABEL_STYLE = {"display": "block", "font-weight": 500, "margin_bottom": "4px", "font-size": "14px"}
LI_STYLE = {"padding": "10px 0", "border_bottom": "1px solid var(--gray-5)", "list_style": "none"}



# --------------------------------------------------------------------------- pieces
def _checkbox(label: str, name: str, checked: bool = True) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=name, default_checked=checked,
                    style={"width": "18px", "height": "18px", "margin": 0}),
        label,
        style={"display": "flex", "gap": "8px", "align_items": "center", "margin_bottom": "12px",
               "font-size": "14px", "cursor": "pointer"},
    )


def _err(name: str):
    return S.errors.get(name, "")


def _confirm_unshare(kind: registry.ItemKind, r) -> rx.Component:
    """`Retirer` asks first (Radix alert dialog): the client stops seeing the item at once."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("Retirer", variant="soft", color_scheme="red", size="2",
                                          aria_label="Retirer " + r.name.to(str))),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Retirer « ", r.name, " » du partage ?"),
            rx.alert_dialog.description(
                "Le client ne le verra plus dans son espace. Vous pourrez le partager à nouveau.", size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Annuler", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button("Retirer du partage", color_scheme="red",
                                                 on_click=S.unshare(kind.key, r.id))),
                spacing="3", justify="end", wrap="wrap", margin_top="16px",
            ),
            max_width="440px",
        ),
    )


def _row(kind: registry.ItemKind, r) -> rx.Component:
    name = (
        file_link(r.name, href=r.url, target="_blank", rel="noopener", style={"font-weight": 500})
        if kind.form is None  # uploaded files: a download link
        else rx.text(r.name, weight="medium")
    )
    return rx.el.li(
        rx.flex(
            rx.text(r.date, color=styles.MUTED, size="2", min_width="90px"),
            rx.box(
                name,
                rx.cond(r.detail != "", rx.text(r.detail, size="2", color=styles.MUTED)),
                rx.cond(r.opened != "", rx.text(r.opened, size="2", color=styles.MUTED)),  # the client's receipt
                flex="1 1 200px",
                min_width="0",
                style={"overflow_wrap": "anywhere"},
            ),
            rx.flex(
                rx.badge(r.state, high_contrast=True, color_scheme=rx.cond(r.shared, "green", "gray"), size="2"),
                rx.cond(
                    r.shared,
                    _confirm_unshare(kind, r),
                    rx.button("Partager", size="2", aria_label="Partager " + r.name.to(str),
                              on_click=S.share(kind.key, r.id)),
                ),
                spacing="2",
                align="center",
            ),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        style=LI_STYLE,
    )


def _pager() -> rx.Component:
    """The active tab's neighbouring pages (one page of a tab at a time)."""
    return pager(S.newer, S.older,
                 newer=rx.button("‹ Plus récents", variant="soft", size="2", on_click=S.show_newer),
                 older=rx.button("Plus anciens ›", variant="soft", size="2", on_click=S.show_older))


def _list(kind: registry.ItemKind) -> rx.Component:
    """The active tab's page: only the active tab's content is mounted, so `S.rows` are its rows."""
    return rx.cond(
        S.rows.length() > 0,
        rx.fragment(
            rx.el.ul(rx.foreach(S.rows, lambda r: _row(kind, r)), aria_label=f"{kind.label} du dossier",
                     style={"padding": 0, "margin": 0, "width": "100%"}),
            _pager(),
        ),
        rx.text("Aucun élément pour l'instant.", color=styles.MUTED),
    )


def _form(title: str, handler, *fields, button: str) -> rx.Component:
    return rx.el.section(
        rx.heading(title, size="3", as_="h2", margin_bottom="8px"),
        rx.form(
            *fields,
            rx.button(button, type="submit", size="3"),
            on_submit=handler,
            key=S.form_key,
            width="100%",
        ),
        aria_label=title,
        style={"border": "1px solid var(--gray-5)", "border_radius": "8px", "padding": "12px", "width": "100%",
               "margin_top": "16px"},
    )


def _lawyer_select(label: str, name: str) -> rx.Component:
    return rx.box(
        rx.el.label(label, html_for=f"champ-{name}", style=LABEL_STYLE),
        rx.el.select(
            rx.foreach(S.lawyers, lambda p: rx.el.option(p["name"], value=p["id"])),
            id=f"champ-{name}", name=name, default_value=S.me,
            style=styles.SELECT,
        ),
        rx.cond(_err(name) != "", rx.text(_err(name), color="var(--red-11)", size="2", role="alert")),
        width="100%",
        margin_bottom="12px",
    )


INPUT_TYPES = {"date": "date", "time": "time"}


def _input(prefix: str, f: registry.FormField) -> rx.Component:
    """One field of a registry form, named `<prefix>_<field>`."""
    name = f"{prefix}_{f.name}"
    if f.kind == "checkbox":
        return _checkbox(f.label, name, checked=False)
    if f.kind == "lawyer":
        return _lawyer_select(f.label, name)
    return field(f.label, name, type=INPUT_TYPES.get(f.kind, "text"), required=f.required, error=_err(name),
                 max_length=f.max_length)


# --------------------------------------------------------------------------- tabs
def _documents(kind: registry.ItemKind) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.el.label(
                rx.el.input(type="checkbox", checked=S.share_uploads, on_change=S.set_share_uploads(~S.share_uploads),
                            style={"width": "18px", "height": "18px", "margin": 0}),
                "Partager immédiatement les documents ajoutés",
                style={"display": "flex", "gap": "8px", "align_items": "center", "font-size": "14px",
                       "cursor": "pointer"},
            ),
            upload_zone(S.refresh, dossier_id=S.current_id, upload_url=S.upload_url, title="Ajouter des documents"),
            width="100%",
            margin_bottom="16px",
        ),
        _list(kind),
        width="100%",
        spacing="2",
    )


def _deposit(r) -> rx.Component:
    return rx.el.li(
        rx.flex(
            rx.text(r.deposited, color=styles.MUTED, size="2", min_width="130px"),
            rx.box(
                rx.flex(
                    rx.cond(r.new, rx.badge("Nouveau", high_contrast=True, color_scheme="orange", size="2")),
                    file_link(r.name, href=r.url, target="_blank", rel="noopener",
                              style={"font-weight": 500}, on_click=S.after_download),
                    spacing="2", align="center", wrap="wrap",
                ),
                rx.text("Déposé par ", r.client, " · ", r.detail, size="2", color=styles.MUTED),
                flex="1 1 200px",
                min_width="0",
                style={"overflow_wrap": "anywhere"},
            ),
            # `download`: no page unload, so the live connection stays and the marker refreshes.
            file_link("Télécharger", href=r.url + "?telecharger=1", style={"font-size": "14px"},
                      aria_label="Télécharger " + r.name.to(str), on_click=S.after_download,
                      custom_attrs={"download": ""}),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        style=LI_STYLE,
    )


def _deposits() -> rx.Component:
    return rx.cond(
        S.deposit_rows.length() > 0,
        rx.vstack(
            rx.el.ul(rx.foreach(S.deposit_rows, _deposit), aria_label="Documents déposés par le client",
                     style={"padding": 0, "margin": 0, "width": "100%"}),
            _pager(),
            width="100%",
            spacing="2",
        ),
        rx.text("Le client n'a déposé aucun document dans ce dossier.", color=styles.MUTED),
    )


def _item_tab(kind: registry.ItemKind) -> rx.Component:
    """A tab of dossier items: the list, then the kind's « Ajouter » form, whose last
    box (`{prefix}_partager`) shares the new item at once."""
    if kind.form is None:
        return _documents(kind)
    form = kind.form
    return rx.vstack(
        _list(kind),
        _form(form.title, lambda data: S.add(kind.key, data), *(_input(form.prefix, f) for f in form.fields),
              _checkbox("Partager immédiatement", f"{form.prefix}_partager"), button=form.button),
        width="100%",
    )


def _message(m) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.text(m["date"], " — ", m["author"], rx.cond(m["direction"] == "client", " (client)", " (cabinet)"),
                    size="2", color=styles.MUTED),
            rx.text(m["subject"], weight="bold"),
            # Plain text, never HTML: React escapes it; line breaks kept by CSS.
            rx.text(m["body"], style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
            # The client's read receipt of an answer
            rx.cond((m["direction"] == "cabinet") & (m["read"] != ""),
                    rx.text(m["read"], " par le client", size="2", color=styles.MUTED)),
            rx.cond((m["direction"] == "cabinet") & (m["read"] == ""),
                    rx.text("Pas encore lu par le client", size="2", color=styles.MUTED)),
            style={"background": rx.cond(m["direction"] == "cabinet", "var(--accent-2)", "var(--gray-2)")},
        ),
        style={"list_style": "none", "margin_bottom": "8px"},
    )


def _messages() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.thread.length() > 0,
            rx.el.ul(rx.foreach(S.thread, _message), aria_label="Messages du dossier",
                     style={"padding": 0, "margin": 0, "width": "100%"}),
            rx.text("Aucun message pour ce dossier.", color=styles.MUTED),
        ),
        rx.el.section(
            rx.heading("Répondre au client", size="3", as_="h2", margin_bottom="8px"),
            rx.form(
                field("Objet", "reponse_objet", required=False, error=_err("reponse_objet"), max_length=150),
                textarea_field("Réponse", "reponse_message", error=_err("reponse_message"), max_length=5000),
                rx.button("Envoyer la réponse", type="submit", size="3"),
                on_submit=S.answer,
                key=S.form_key,
                width="100%",
            ),
            aria_label="Répondre au client",
            width="100%",
        ),
        id="messages",
        width="100%",
        spacing="3",
    )


def _tabs() -> list[tuple[str, registry.ItemKind]]:
    """(tab key, its kind) in order: each kind, the clients' deposits after the uploaded kind."""
    tabs: list[tuple[str, registry.ItemKind]] = []
    for kind in registry.kinds():
        tabs.append((kind.key, kind))
        if kind.form is None:
            tabs.append((DEPOSITS, kind))
    return tabs


def _tab_labels() -> list[tuple[str, str]]:
    return [(key, "Documents déposés" if key == DEPOSITS else kind.label) for key, kind in _tabs()]


def _trigger(key: str, label: str) -> rx.Component:
    if key == DEPOSITS:
        extra = rx.cond(S.new_deposits != 0, rx.text.span("\u00a0· ", S.new_deposits, " nouveau(x)"))
        return rx.tabs.trigger(label, " (", S.counts[key], ")", extra, value=key)
    return rx.tabs.trigger(label, " (", S.counts[key], ")", value=key)


def _glance(label: str, value: rx.Component) -> rx.Component:
    return rx.card(
        rx.text(label, size="1", weight="bold", color=styles.MUTED, as_="div"),
        value,
        style={"overflow_wrap": "anywhere"},
    )


@firm_page("/admin/dossiers/[dossier_id]", "Dossier", S.load, h1=S.label, back=("‹ Dossiers", "/admin/dossiers"),
           missing=Missing(S.not_found, "Dossier introuvable", "Retour aux dossiers", "/admin/dossiers"))
def firm_dossier() -> list[rx.Component]:
    return [
        # The dossier at a glance: reference, clients and interlocutor side by side from 768 px.
        rx.grid(
            _glance("Référence", rx.text(S.reference)),
            _glance(rx.cond(S.clients.length() >= french.PLURAL_FROM, "Clients", "Client"), rx.cond(
                S.clients.length() > 0,
                rx.vstack(rx.foreach(S.clients, lambda c: rx.text(c["name"], " (", c["email"], ")")),
                          spacing="0"),
                rx.text("aucun"),
            )),
            _glance("Interlocuteur", rx.text(rx.cond(S.interlocutor != "", S.interlocutor, "aucun"))),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="3",
            width="100%",
        ),
        banner(S.message),
        banner(S.failure, "red"),
        rx.tabs.root(
            rx.tabs.list(
                *[_trigger(key, label) for key, label in _tab_labels()],
                rx.tabs.trigger("Messages", rx.cond(S.unread != "", rx.text.span("\u00a0(", S.unread, ")")),
                                value=MESSAGES),
                class_name="tabs-scroll",  # one row, scrolled sideways on a phone (assets/listes.css)
            ),
            *[rx.tabs.content(_deposits() if key == DEPOSITS else _item_tab(kind), value=key,
                              padding_top="12px") for key, kind in _tabs()],
            rx.tabs.content(_messages(), value=MESSAGES, padding_top="12px"),
            value=S.active_tab,
            on_change=S.set_tab,
            width="100%",
        ),
    ]
