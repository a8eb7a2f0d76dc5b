"""The demo data set: the screens of the user manual (client Luce ALEXANDER, lawyer
DELMAS Fabien), a second client of the same firm and a second firm, to show that
nobody sees what is not theirs.

`load_demo()` fills an empty database (no Firm yet) in one transaction; every
document is a real one-page PDF stored under DATA_DIR/documents.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from espace.db import session_scope
from espace.demo_dossiers import (
    HIDDEN,
    LUCE_DOSSIERS,
    MARC_DOSSIER,
    NEWS_DAYS,
    PAUL_DOSSIER,
    SOPHIE_DOSSIERS,
    UNOPENED,
    DossierSpec,
    Item,
    _at,
    make_pdf,
    now,
)
from espace.domain.ids import saved_id
from espace.domain.items import DOCUMENTS, ItemKind, kinds
from espace.models import (
    Account,
    Client,
    Direction,
    Document,
    Dossier,
    DossierClient,
    Firm,
    ItemSeen,
    Role,
    User,
)
from espace.services import storage
from espace.services.accounts import hashing
from espace.services.shared import counters

LUCE_EMAIL = "academy@secib.fr"
LUCE_PASSWORD = "a12RJ3d11P"
LAWYER_EMAIL = "fabien.delmas@example.com"
LAWYER_PASSWORD = "Delmas-Demo-2024"
MARC_EMAIL = "marc.bertrand@example.com"
MARC_PASSWORD = "Bertrand-Demo-2024"
LEROY_EMAIL = "claire.leroy@example.com"
LEROY_PASSWORD = "Leroy-Demo-2024"
PAUL_EMAIL = "paul.martin@example.com"
PAUL_PASSWORD = "Martin-Demo-2024"
# A client of both firms: one identity, a membership in each, the firm chooser after login.
SOPHIE_EMAIL = "sophie.noel@example.com"
SOPHIE_PASSWORD = "Noel-Demo-2024"
JULIE_EMAIL = "julie.moreau@example.com"
JULIE_PASSWORD = "Moreau-Demo-2024"

_PASSWORDS = (LUCE_PASSWORD, LAWYER_PASSWORD, MARC_PASSWORD, LEROY_PASSWORD, PAUL_PASSWORD, SOPHIE_PASSWORD,
              JULIE_PASSWORD)

LOGIN_HINTS = f"""\
Comptes de démonstration (identifiant / mot de passe) :
  Client   Luce ALEXANDER     : {LUCE_EMAIL} / {LUCE_PASSWORD}
  Avocat   Fabien DELMAS      : {LAWYER_EMAIL} / {LAWYER_PASSWORD}  (administrateur, espace cabinet : /admin)
  Collaboratrice Julie MOREAU : {JULIE_EMAIL} / {JULIE_PASSWORD}  (paramètres en lecture seule)
  Client   Marc BERTRAND      : {MARC_EMAIL} / {MARC_PASSWORD}
  Cabinet LEROY — avocate     : {LEROY_EMAIL} / {LEROY_PASSWORD}  (administratrice)
  Cabinet LEROY — client      : {PAUL_EMAIL} / {PAUL_PASSWORD}
  Cliente des deux cabinets   : {SOPHIE_EMAIL} / {SOPHIE_PASSWORD}  (Sophie NOEL : choix du cabinet)"""



_hashes: dict[str, str] = {}


def _password_hashes() -> dict[str, str]:
    """The demo passwords' argon2 hashes (services/accounts/hashing.py's parameters, as
    every login), computed once per process (tests load the demo many times), in parallel."""
    missing = [p for p in _PASSWORDS if p not in _hashes]
    if missing:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(missing)) as pool:
            _hashes.update(zip(missing, pool.map(hashing.hash_password, missing), strict=True))
    return _hashes


class _Loader:
    """The demo being written: its session, its moment, the argon2 hashes of its
    passwords, and the keys of the files it stored (removed if the load fails)."""

    def __init__(self, s: Session, keys: list[str]):
        self.s = s
        self.keys = keys
        self.hashes = _password_hashes()
        self.created = now()

    def user(self, firm: Firm, role: Role, email: str, nom: str, prenom: str, password: str,
             account: Account | None = None) -> User:
        if account is None:
            account = Account(email=email, password_hash=self.hashes[password], password_changed_at=self.created,
                              created_at=self.created)
            self.s.add(account)
            self.s.flush()
        u = User(firm_id=saved_id(firm.id), account_id=saved_id(account.id), role=role, email=email, nom=nom,
                 prenom=prenom, created_at=self.created, activated_at=self.created)
        self.s.add(u)
        return u

    def dossier(self, firm: Firm, spec: DossierSpec, lawyer: User) -> Dossier:
        d = Dossier(firm_id=saved_id(firm.id), reference=spec.reference, label=spec.label,
                    interlocutor_id=lawyer.id, created_at=_at(spec.created))
        self.s.add(d)
        return d

    def link(self, d: Dossier, client: Client) -> None:
        self.s.add(DossierClient(dossier_id=saved_id(d.id), client_id=saved_id(client.id)))

    def pdf_file(self, dossier: Dossier, firm: Firm, name: str, doc_date: date) -> dict[str, Any]:
        """The document as a real PDF, stored: its file's columns."""
        data = make_pdf(
            name,
            [
                f"Dossier : {dossier.label} ({dossier.reference})",
                f"Date : {doc_date.strftime('%d/%m/%Y')}",
                firm.name,
                "",
                "Document de démonstration — Mon espace client.",
            ],
        )
        key, size, sha = storage.save_bytes(data)
        self.keys.append(key)
        return {"storage_key": key, "size": size, "sha256": sha, "content_type": "application/pdf"}

    def add_item(self, kind: ItemKind, d: Dossier, firm: Firm, client: User, item: Item) -> None:
        """One row of `kind` in the dossier `d` of `firm`, whose client is `client`."""
        fields = dict(item.fields)
        if kind is DOCUMENTS:  # added by the dossier's lawyer, or deposited by the client
            fields |= self.pdf_file(d, firm, fields["name"], fields["doc_date"])
            fields["uploaded_by_id"] = d.interlocutor_id if fields["direction"] == Direction.recu else client.id
        elif kind.key == "temps-passes":
            fields["lawyer_id"] = d.interlocutor_id
        moment = self.created if item.at is None else _at(item.at)
        self.s.add(kind.model(dossier_id=saved_id(d.id), **fields, created_at=moment,
                              shared_at=moment if item.shared else None))

    def add_items(self, d: Dossier, firm: Firm, client: User, items: Mapping[str, Sequence[Item]]) -> None:
        """The items of the dossier `d`, kind after kind in the registry's order."""
        for kind in kinds():
            for item in items.get(kind.key, ()):
                self.add_item(kind, d, firm, client, item)


@dataclass(frozen=True, slots=True)
class _People:
    lawyer: User
    luce: User
    marc: User
    claire: User
    julie: User
    paul: User


def _firms(demo: _Loader) -> tuple[Firm, Firm]:
    firm = Firm(name="Cabinet DELMAS Avocats", sender_email="contact@cabinet-delmas.example",
                created_at=demo.created)
    other_firm = Firm(name="Cabinet LEROY", sender_email="contact@cabinet-leroy.example", created_at=demo.created)
    demo.s.add_all([firm, other_firm])
    demo.s.flush()
    return firm, other_firm


def _people(demo: _Loader, firm: Firm, other_firm: Firm) -> _People:
    people = _People(
        lawyer=demo.user(firm, Role.admin, LAWYER_EMAIL, "DELMAS", "Fabien", LAWYER_PASSWORD),
        luce=demo.user(firm, Role.client, LUCE_EMAIL, "ALEXANDER", "Luce", LUCE_PASSWORD),
        marc=demo.user(firm, Role.client, MARC_EMAIL, "BERTRAND", "Marc", MARC_PASSWORD),
        claire=demo.user(other_firm, Role.admin, LEROY_EMAIL, "LEROY", "Claire", LEROY_PASSWORD),
        julie=demo.user(firm, Role.staff, JULIE_EMAIL, "MOREAU", "Julie", JULIE_PASSWORD),
        paul=demo.user(other_firm, Role.client, PAUL_EMAIL, "MARTIN", "Paul", PAUL_PASSWORD),
    )
    demo.s.flush()
    return people


def _clients(demo: _Loader, firm: Firm, other_firm: Firm, people: _People) -> tuple[Client, Client, Client]:
    """The client records of Luce, Marc (the firm's) and Paul (the other firm's)."""
    firm_id, other_firm_id = saved_id(firm.id), saved_id(other_firm.id)
    luce_client = Client(
        firm_id=firm_id, user_id=saved_id(people.luce.id), email=LUCE_EMAIL, adresse="Impasse Adam 1er",
        code_postal="34470", ville="PEROLS", tel="04 67 15 98 42", mobile="06 15 25 65 25",
    )
    marc_client = Client(
        firm_id=firm_id, user_id=saved_id(people.marc.id), email=MARC_EMAIL, adresse="3 rue de la Loge",
        code_postal="34000", ville="MONTPELLIER", tel="04 67 60 12 34", mobile="06 72 18 44 90",
    )
    paul_client = Client(
        firm_id=other_firm_id, user_id=saved_id(people.paul.id), email=PAUL_EMAIL, adresse="18 avenue de Toulouse",
        code_postal="34070", ville="MONTPELLIER", tel="", mobile="06 11 22 33 44",
    )
    demo.s.add_all([luce_client, marc_client, paul_client])
    return luce_client, marc_client, paul_client


def _luce_dossiers(demo: _Loader, firm: Firm, people: _People, luce_client: Client) -> list[Dossier]:
    """Luce's dossiers, what is shared in them, and what is not (hidden from her)."""
    dossiers = [demo.dossier(firm, spec, people.lawyer) for spec in LUCE_DOSSIERS]
    demo.s.flush()
    for d, spec in zip(dossiers, LUCE_DOSSIERS, strict=True):
        demo.link(d, luce_client)
        demo.add_items(d, firm, people.luce, spec.items)
    for kind in kinds():
        for index, item in HIDDEN.get(kind.key, ()):
            demo.add_item(kind, dossiers[index], firm, people.luce, item)
    return dossiers


def _other_dossiers(demo: _Loader, firm: Firm, other_firm: Firm, people: _People, marc_client: Client,
                    paul_client: Client) -> tuple[Dossier, Dossier]:
    """Marc's dossier (same firm as Luce) and Paul's (the other firm)."""
    marc_dossier = demo.dossier(firm, MARC_DOSSIER, people.lawyer)
    paul_dossier = demo.dossier(other_firm, PAUL_DOSSIER, people.claire)
    demo.s.flush()
    demo.link(marc_dossier, marc_client)
    demo.link(paul_dossier, paul_client)
    demo.add_items(marc_dossier, firm, people.marc, MARC_DOSSIER.items)
    demo.add_items(paul_dossier, other_firm, people.paul, PAUL_DOSSIER.items)
    return marc_dossier, paul_dossier


def _sophie(demo: _Loader, firm: Firm, other_firm: Firm,
            people: _People) -> tuple[list[User], list[Client], list[Dossier]]:
    """Sophie NOEL, client of both firms (one account, two memberships), a dossier in each."""
    s = demo.s
    sophie = demo.user(firm, Role.client, SOPHIE_EMAIL, "NOEL", "Sophie", SOPHIE_PASSWORD)
    s.flush()
    sophie_leroy = demo.user(other_firm, Role.client, SOPHIE_EMAIL, "NOEL", "Sophie", SOPHIE_PASSWORD,
                             account=s.get(Account, sophie.account_id))
    s.flush()
    sophie_firms = ((firm, sophie, people.lawyer), (other_firm, sophie_leroy, people.claire))
    sophie_clients = [
        Client(firm_id=saved_id(f.id), user_id=saved_id(u.id), email=SOPHIE_EMAIL,
               adresse="7 place de la Comédie", code_postal="34000", ville="MONTPELLIER", tel="",
               mobile="06 48 21 37 59")
        for f, u, _ in sophie_firms
    ]
    s.add_all(sophie_clients)
    sophie_dossiers = [demo.dossier(f, spec, author)
                       for (f, _, author), spec in zip(sophie_firms, SOPHIE_DOSSIERS, strict=True)]
    s.flush()
    for d, c, (f, u, _), spec in zip(sophie_dossiers, sophie_clients, sophie_firms, SOPHIE_DOSSIERS, strict=True):
        demo.link(d, c)
        demo.add_items(d, f, u, spec.items)
    return [sophie, sophie_leroy], sophie_clients, sophie_dossiers


def _mark_seen(demo: _Loader, seen_by: Sequence[tuple[User, Sequence[Dossier]]]) -> None:
    """What the clients have already opened (issue 13): what was shared more than
    NEWS_DAYS ago, but Luce's latest letter; the rest is « nouveau » on their home."""
    s = demo.s
    s.flush()
    cutoff = demo.created - timedelta(days=NEWS_DAYS)
    for member, their in seen_by:
        for kind in kinds():
            model = kind.model
            for item in s.exec(select(model).where(col(model.dossier_id).in_([d.id for d in their]),
                                                   col(model.shared_at).is_not(None),
                                                   col(model.shared_at) < cutoff)).all():
                if model is Document and (item.direction == Direction.depose or item.name == UNOPENED):
                    continue
                s.add(ItemSeen(user_id=saved_id(member.id), kind=kind.key, item_id=saved_id(item.id),
                               seen_at=item.shared_at + timedelta(days=1)))


def load_demo() -> dict[str, Any]:
    """Load the demo data set into an empty database; return the ids created, or {}
    if the database already has a firm. (The steps run in this order: the ids the
    tests know depend on it.)"""
    keys: list[str] = []
    try:
        with session_scope() as s:
            if s.exec(select(Firm.id)).first() is not None:
                return {}
            demo = _Loader(s, keys)
            firm, other_firm = _firms(demo)
            people = _people(demo, firm, other_firm)
            luce_client, marc_client, paul_client = _clients(demo, firm, other_firm, people)
            dossiers = _luce_dossiers(demo, firm, people, luce_client)
            marc_dossier, paul_dossier = _other_dossiers(demo, firm, other_firm, people, marc_client, paul_client)
            sophies, sophie_clients, sophie_dossiers = _sophie(demo, firm, other_firm, people)
            _mark_seen(demo, ((people.luce, dossiers), (people.marc, [marc_dossier]), (people.paul, [paul_dossier]),
                              (sophies[0], sophie_dossiers[:1]), (sophies[1], sophie_dossiers[1:])))
            s.flush()
            counters.recount(s.connection())  # the data above was written directly, not through the services
            s.commit()
            return {
                "firm_id": firm.id,
                "lawyer_id": people.lawyer.id,
                "staff_id": people.julie.id,
                "client_user_id": people.luce.id,
                "client_id": luce_client.id,
                "dossier_ids": [d.id for d in dossiers],
                "other_client_user_id": people.marc.id,
                "other_client_id": marc_client.id,
                "other_dossier_id": marc_dossier.id,
                "other_firm_id": other_firm.id,
                "other_firm_client_user_id": people.paul.id,
                "other_firm_dossier_id": paul_dossier.id,
                "both_firms_user_ids": [u.id for u in sophies],
                "both_firms_client_ids": [c.id for c in sophie_clients],
                "both_firms_dossier_ids": [d.id for d in sophie_dossiers],
            }
    except BaseException:
        for key in keys:
            storage.delete(key)
        raise
