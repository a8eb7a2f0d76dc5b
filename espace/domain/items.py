"""The kinds of items a firm shares into a dossier — declared here, once.

Each kind says its key (URL segment, audit and notice category), its French words
(category and tab title, singular and plural of the share notice), its table and date
column, what one item shows (`view`), how the dossier page's « Ajouter » form is built
and read (`form`), and how the firm's and the client's tabs split it. The client's
home tiles, category lists and dossier tabs, the firm's dossier tabs and forms, the
share notices and the demo all iterate `kinds()`.

Adding a kind: its SQLModel table (in espace.models, with `dossier_id` and
`shared_at`) and one `register(ItemKind(...))` below — see docs/architecture.md
« Adding a shared item kind »."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from espace.domain import french
from espace.domain.text import truthy
from espace.models import Direction, Document, Facture, FactureStatus, Frais, Rdv, Tache, TempsPasse

PARIS = ZoneInfo("Europe/Paris")

# --------------------------------------------------------------------------- the admin form
REQUIRED = "Ce champ est obligatoire."
BAD_DATE = "Date invalide (format jj/mm/aaaa)."
BAD_TIME = "Heure invalide (format hh:mm, exemple : 14:30)."
BAD_AMOUNT = "Montant invalide (exemple : 1 440,00)."
BAD_DURATION = "Durée invalide (exemples : 1h30, 45 min ou 90 pour 90 minutes)."
MAX_CENTS = 10_000_000_000  # 100 000 000,00 €
MAX_MINUTES = 24 * 60

FieldKind = Literal["text", "date", "time", "amount", "duration", "checkbox", "lawyer"]


@dataclass(frozen=True, slots=True)
class FormField:
    """One input of an « Ajouter » form; on the page it is named `<prefix>_<name>`."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = True
    max_length: int | None = None  # text: characters kept; also the input's maxlength


class BuildContext(Protocol):
    """What a form needs to know beyond its fields (given by the sharing service)."""

    dossier_id: int
    staff_id: int

    def taken(self, column: Any, value: object) -> bool:
        """An item of this dossier already has `value` in `column`."""

    def firm_lawyer(self, raw: str) -> int | None:
        """The id of an active lawyer or staff member of the firm, else None."""


Values = Mapping[str, Any]  # the fields read: date, time, int (cents, minutes), str, bool
Errors = dict[str, str]  # field name -> French message


@dataclass(frozen=True, slots=True)
class AddForm:
    prefix: str
    title: str  # the section's heading, e.g. « Ajouter un RDV »
    button: str
    fields: tuple[FormField, ...]
    make: Callable[[Values, BuildContext], Any]  # the new row (not yet shared nor added)
    added_shared: str  # what the page says once added and shared
    added_kept: str  # ... once added only
    check: Callable[[Values, BuildContext, Errors], None] | None = None  # rules across fields


def _text(value: object, max_len: int) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()[: max_len + 1]


def read_field(f: FormField, raw: object, errors: Errors) -> Any:
    """The field's value read from the form (None when missing or invalid), its
    French error put in `errors`."""
    if f.kind == "checkbox":
        return truthy(raw)
    if f.kind == "text":
        limit = f.max_length or 10_000
        value = _text(raw, limit)
        if not value and f.required:
            errors[f.name] = REQUIRED
        elif len(value) > limit:
            errors[f.name] = f"{limit} caractères maximum."
        return value
    text = str(raw or "").strip()
    if not text:
        if f.required:
            errors[f.name] = REQUIRED
        return None
    if f.kind == "lawyer":
        return text
    if f.kind == "date":
        day = french.parse_date(text)
        if day is None:
            errors[f.name] = BAD_DATE
        return day
    if f.kind == "time":
        at = french.parse_time(text)
        if at is None:
            errors[f.name] = BAD_TIME
        return at
    if f.kind == "amount":
        cents = french.parse_amount(text)
        if cents is None:
            errors[f.name] = BAD_AMOUNT
        elif cents <= 0:
            errors[f.name] = "Le montant doit être supérieur à zéro."
        elif cents > MAX_CENTS:
            errors[f.name] = "Montant trop élevé."
        return cents
    minutes = french.parse_duration(text)  # duration
    if minutes is None:
        errors[f.name] = BAD_DURATION
    elif not 0 < minutes <= MAX_MINUTES:
        errors[f.name] = "La durée doit être comprise entre 1 minute et 24 heures."
    return minutes


def build(form: AddForm, raw: Mapping[str, object], ctx: BuildContext) -> tuple[Any, Errors]:
    """(the new item, {}) or (None, errors by field) from what the firm typed."""
    errors: Errors = {}
    values = {f.name: read_field(f, raw.get(f.name), errors) for f in form.fields}
    if form.check is not None:
        form.check(values, ctx, errors)
    if errors:
        return None, errors
    return form.make(values, ctx), errors


# --------------------------------------------------------------------------- what an item shows
@dataclass(frozen=True, slots=True)
class ItemView:
    date: str
    name: str
    detail: str
    url: str = ""  # a document's download route
    pay: str = ""  # an invoice's payment page, when it can be paid online now
    firm_note: str = ""  # added to the detail on the firm's side
    agenda: str = ""  # an appointment's .ics (« Ajouter à mon agenda »)


@dataclass(frozen=True, slots=True)
class Tab:
    key: str
    label: str
    where: tuple[Any, ...] = ()  # SQL conditions on the kind's table


@dataclass(frozen=True)
class ItemKind:
    key: str  # URL segment, audit detail and notice category: "temps-passes"
    label: str  # category, list title and the firm's tab: "Temps passés"
    one: str  # share notice: « 1 temps passé »
    many: str  # share notice: « 2 temps passés »
    model: type[Any]  # SQLModel table with id, dossier_id, shared_at
    order_col: str  # newest first on this column
    view: Callable[[Any], ItemView]  # of an ORM object or a plain row with the table's columns
    form: AddForm | None = None  # None: added by upload (documents)
    client_tabs: tuple[Tab, ...] = ()  # default: one tab (key, label)
    firm_where: tuple[Any, ...] = ()  # what the firm lists, shares and takes back
    payable: bool = False  # its client rows may carry a payment link
    # The client reads it as an agenda: upcoming items first (soonest at the top), then
    # past ones (most recent first), split at « now » on `order_col` (services/client/paging.py).
    upcoming_first: bool = False
    search: tuple[str, ...] = ()  # the columns the client's search (/recherche) looks in
    feminine: bool = False  # « 1 nouvelle facture » (the home's « Nouveautés »)

    def new_word(self, n: int) -> str:
        """« nouveau », « nouveaux », « nouvelle », « nouvelles » (a tile's badge: « 3 nouvelles »)."""
        return french.plural(n, *(("nouvelle", "nouvelles") if self.feminine else ("nouveau", "nouveaux")))

    def new_count(self, n: int) -> str:
        """« 1 nouveau document », « 3 nouvelles factures », « 2 nouveaux rendez-vous »."""
        return french.count(n, f"{self.new_word(1)} {self.one}", f"{self.new_word(2)} {self.many}")

    @functools.cached_property
    def tabs(self) -> tuple[Tab, ...]:
        """The client's tabs, the same objects on every call (the read path keeps the
        statements it built with them)."""
        return self.client_tabs or (Tab(self.key, self.label),)

    @property
    def order(self) -> Any:
        return getattr(self.model, self.order_col)


_KINDS: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> ItemKind:
    """Add a kind (after the others: tiles, tabs and notices follow this order)."""
    if kind.key in _KINDS or kind.key in {t.key for k in _KINDS.values() for t in k.tabs}:
        raise ValueError(f"item kind {kind.key!r} already registered")
    _KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    _KINDS.pop(key, None)


def kinds() -> list[ItemKind]:
    return list(_KINDS.values())


def kind(key: object) -> ItemKind | None:
    return _KINDS.get(str(key))


def kind_of(item: object) -> ItemKind:
    """The kind of a row of one of the registered tables."""
    for k in _KINDS.values():
        if type(item) is k.model:
            return k
    raise KeyError(type(item).__name__)


# --------------------------------------------------------------------------- the six kinds
def _document(d: Document) -> ItemView:
    return ItemView(french.fdate(d.doc_date), d.name, french.fsize(d.size), url=f"/api/documents/{d.id}")


def _rdv(r: Rdv) -> ItemView:
    return ItemView(french.fweekday_time(r.starts_at), r.subject, r.place, agenda=f"/api/rdv/{r.id}/agenda.ics")


def _facture(f: Facture) -> ItemView:
    paid = f.status == FactureStatus.payee
    due = f" · échéance {french.fdate(f.due_date)}" if f.due_date and not paid else ""
    payable_now = f.payable_online and f.status == FactureStatus.a_regler and f.amount_cents > 0
    return ItemView(french.fdate(f.date), f"Facture n° {f.number}",
                    f"{french.fmoney(f.amount_cents)} · {'Payée' if paid else 'À régler'}{due}",
                    pay=f"/factures/{f.id}/paiement" if payable_now else "",
                    firm_note=" · payable en ligne" if f.payable_online and not paid else "")


def _tache(t: Tache) -> ItemView:
    return ItemView(french.fdate(t.date), t.label, "Terminée" if t.done else "À faire")


def _temps(t: TempsPasse) -> ItemView:
    return ItemView(french.fdate(t.date), t.description, french.fduration(t.minutes))


def _frais(f: Frais) -> ItemView:
    return ItemView(french.fdate(f.date), f.label, french.fmoney(f.amount_cents))


def _date(required: bool = True) -> FormField:
    return FormField("date", "Date", "date", required=required)


def _check_facture(v: Values, ctx: BuildContext, errors: Errors) -> None:
    if v["date"] and v["echeance"] and v["echeance"] < v["date"]:
        errors["echeance"] = "L'échéance ne peut pas précéder la date de la facture."
    if "numero" not in errors and ctx.taken(Facture.number, v["numero"]):
        errors["numero"] = "Une facture de ce dossier porte déjà ce numéro."


def _check_lawyer(v: Values, ctx: BuildContext, errors: Errors) -> None:
    if v["avocat"] and ctx.firm_lawyer(v["avocat"]) is None:
        errors["avocat"] = "Choisissez un avocat du cabinet."


def _starts(v: Values) -> datetime:
    return datetime.combine(v["date"], v["heure"], tzinfo=PARIS).astimezone(UTC)


DOCUMENTS = register(ItemKind(
    "documents", "Documents", "document", "documents", Document, "doc_date", _document, search=("name",),
    client_tabs=(Tab("recus", "Documents reçus", (Document.direction == Direction.recu,)),
                 Tab("deposes", "Documents déposés", (Document.direction == Direction.depose,))),
    firm_where=(Document.direction == Direction.recu,),  # a client's deposit is not the firm's to share
))
register(ItemKind(
    "rdv", "RDV", "rendez-vous", "rendez-vous", Rdv, "starts_at", _rdv, upcoming_first=True, search=("subject", "place"),
    form=AddForm("rdv", "Ajouter un RDV", "Ajouter le RDV",
                 (_date(), FormField("heure", "Heure", "time"),
                  FormField("lieu", "Lieu", required=False, max_length=200),
                  FormField("objet", "Objet", max_length=200)),
                 lambda v, ctx: Rdv(dossier_id=ctx.dossier_id, starts_at=_starts(v), place=v["lieu"],
                                    subject=v["objet"]),
                 "Le RDV a été ajouté et partagé avec le client.", "Le RDV a été ajouté (non partagé)."),
))
register(ItemKind(
    "factures", "Factures", "facture", "factures", Facture, "date", _facture, payable=True, search=("number",), feminine=True,
    form=AddForm("facture", "Ajouter une facture", "Ajouter la facture",
                 (FormField("numero", "Numéro", max_length=50), _date(),
                  FormField("montant", "Montant TTC (€)", "amount", max_length=20),
                  FormField("echeance", "Échéance", "date", required=False),
                  FormField("payable_en_ligne", "Payable en ligne", "checkbox", required=False)),
                 lambda v, ctx: Facture(dossier_id=ctx.dossier_id, number=v["numero"], date=v["date"],
                                        amount_cents=v["montant"], due_date=v["echeance"],
                                        payable_online=v["payable_en_ligne"], status=FactureStatus.a_regler),
                 "La facture a été ajoutée et partagée avec le client.", "La facture a été ajoutée (non partagée).",
                 check=_check_facture),
))
register(ItemKind(
    "taches", "Tâches", "tâche", "tâches", Tache, "date", _tache, search=("label",), feminine=True,
    form=AddForm("tache", "Ajouter une tâche", "Ajouter la tâche",
                 (_date(), FormField("libelle", "Libellé", max_length=300)),
                 lambda v, ctx: Tache(dossier_id=ctx.dossier_id, date=v["date"], label=v["libelle"]),
                 "La tâche a été ajoutée et partagée avec le client.", "La tâche a été ajoutée (non partagée)."),
))
register(ItemKind(
    "temps-passes", "Temps passés", "temps passé", "temps passés", TempsPasse, "date", _temps, search=("description",),
    form=AddForm("temps", "Ajouter un temps passé", "Ajouter le temps passé",
                 (_date(), FormField("duree", "Durée (1h30 ou 90 minutes)", "duration", max_length=20),
                  FormField("description", "Description", max_length=500),
                  FormField("avocat", "Avocat", "lawyer", required=False)),
                 lambda v, ctx: TempsPasse(dossier_id=ctx.dossier_id, date=v["date"], minutes=v["duree"],
                                           description=v["description"],
                                           lawyer_id=ctx.firm_lawyer(v["avocat"]) if v["avocat"] else ctx.staff_id),
                 "Le temps passé a été ajouté et partagé avec le client.", "Le temps passé a été ajouté (non partagé).",
                 check=_check_lawyer),
))
register(ItemKind(
    "frais", "Frais", "frais", "frais", Frais, "date", _frais, search=("label",),
    form=AddForm("frais", "Ajouter des frais", "Ajouter les frais",
                 (_date(), FormField("montant", "Montant (€)", "amount", max_length=20),
                  FormField("libelle", "Libellé", max_length=300)),
                 lambda v, ctx: Frais(dossier_id=ctx.dossier_id, date=v["date"], amount_cents=v["montant"],
                                      label=v["libelle"]),
                 "Les frais ont été ajoutés et partagés avec le client.", "Les frais ont été ajoutés (non partagés)."),
))
