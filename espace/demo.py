"""The demo data set: the screens of the user manual (client Luce ALEXANDER, lawyer
DELMAS Fabien), a second client of the same firm and a second firm, to show that
nobody sees what is not theirs.

`load_demo()` fills an empty database (no Firm yet) in one transaction; every
document is a real one-page PDF stored under DATA_DIR/documents.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from espace.db import session_scope
from espace.models import (
    Account,
    Client,
    Direction,
    Document,
    Dossier,
    DossierClient,
    Facture,
    FactureStatus,
    Firm,
    Frais,
    Rdv,
    Role,
    Tache,
    TempsPasse,
    User,
)
from espace.services import crypto as security
from espace.services import storage

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
  Avocat   DELMAS Fabien      : {LAWYER_EMAIL} / {LAWYER_PASSWORD}  (administrateur, espace cabinet : /admin)
  Collaboratrice MOREAU Julie : {JULIE_EMAIL} / {JULIE_PASSWORD}  (paramètres en lecture seule)
  Client   BERTRAND Marc      : {MARC_EMAIL} / {MARC_PASSWORD}
  Cabinet LEROY — avocate     : {LEROY_EMAIL} / {LEROY_PASSWORD}  (administratrice)
  Cabinet LEROY — client      : {PAUL_EMAIL} / {PAUL_PASSWORD}
  Cliente des deux cabinets   : {SOPHIE_EMAIL} / {SOPHIE_PASSWORD}  (NOEL Sophie : choix du cabinet)"""


# --------------------------------------------------------------------------- PDF
def _pdf_text(value: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding (Latin-1 plus typographic marks)."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(title: str, lines: list[str] = ()) -> bytes:
    """A valid one-page A4 PDF 1.4: `title` in Helvetica-Bold, then `lines`."""
    import textwrap

    ops = [b"BT", b"/F2 16 Tf", b"56 770 Td"]
    for part in textwrap.wrap(title, 50) or [""]:
        ops += [_pdf_text(part) + b" Tj", b"0 -22 Td"]
    ops += [b"/F1 11 Tf", b"0 -10 Td"]
    for line in lines:
        for part in textwrap.wrap(line, 85) or [""]:
            ops += [_pdf_text(part) + b" Tj", b"0 -16 Td"]
    ops.append(b"ET")
    content = b"\n".join(ops) + b"\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title <" + ("\ufeff" + title).encode("utf-16-be").hex().upper().encode() + b"> /Producer (espace) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (len(objects) + 1, len(objects))
    out += b"startxref\n%d\n%%%%EOF" % xref_at
    return bytes(out)


# --------------------------------------------------------------------------- data
_PARIS = ZoneInfo("Europe/Paris")


def now() -> datetime:
    """Aware UTC: the datetime columns (sqlmodel UTCDateTime) refuse naive values."""
    return datetime.now(UTC)


def _dt(*args: int) -> datetime:
    """An appointment time, in the firm's time zone (shown back in Europe/Paris)."""
    return datetime(*args, tzinfo=_PARIS).astimezone(UTC)


def _at(day: date | datetime, hour: int = 9) -> datetime:
    """A datetime for `day` (at `hour`), never later than now (shares are past events)."""
    moment = day if isinstance(day, datetime) else datetime.combine(day, time(hour, 0), tzinfo=UTC)
    return min(moment, now() - timedelta(minutes=5))


# Per dossier of Luce: documents received (name, date), documents deposited by
# Luce, RDV (start, place, subject), tasks (date, label, done), time spent
# (date, minutes, description).
_MONTPELLIER_CA = "Cour d'appel de Montpellier, 1 rue Foch, 34000 Montpellier"
_TJ = "Tribunal judiciaire de Montpellier, place Pierre Flotte, 34000 Montpellier"
_CABINET = "Cabinet DELMAS Avocats, 12 boulevard du Jeu de Paume, 34000 Montpellier"
_CPH = "Conseil de prud'hommes de Montpellier, 1 place Francis Ponge, 34000 Montpellier"

LUCE_DOSSIERS = [
    {
        "reference": "2017IIDOS/1529",
        "label": "ALEXANDER / AGENCE IMMO",
        "created": date(2017, 2, 1),
        "recu": [
            ("Lettre au client AR dossier Appelant (CA 09-17)", date(2024, 1, 8)),
            ("Lettre", date(2022, 10, 19)),
            ("Facture avec détail", date(2021, 12, 10)),
            ("Mandat de vente exclusif", date(2017, 2, 6)),
            ("Assignation devant le tribunal de grande instance de Montpellier", date(2017, 3, 14)),
            ("Bordereau de pièces communiquées", date(2017, 5, 22)),
            ("Conclusions de l'agence immobilière", date(2017, 11, 9)),
            ("Procès-verbal de constat d'huissier", date(2018, 2, 27)),
            ("Jugement du tribunal de grande instance", date(2018, 10, 16)),
            ("Déclaration d'appel", date(2018, 11, 20)),
            ("Conclusions d'appelant", date(2019, 2, 18)),
            ("Courrier adverse", date(2020, 6, 3)),
            ("Ordonnance du conseiller de la mise en état", date(2021, 3, 25)),
            ("Avis de fixation de l'affaire à l'audience", date(2023, 5, 12)),
        ],
        "depose": [("Compromis de vente signé", date(2017, 2, 20))],
        "rdv": [
            (_dt(2022, 3, 15, 10, 0), _CABINET, "Rendez-vous au cabinet"),
            (_dt(2024, 2, 6, 14, 0), _MONTPELLIER_CA, "Audience — Cour d'appel de Montpellier"),
            (_dt(2027, 1, 19, 9, 30), _MONTPELLIER_CA, "Audience de plaidoiries — Cour d'appel de Montpellier"),
        ],
        "taches": [
            (date(2022, 4, 1), "Transmettre l'original du mandat de vente", True),
            (date(2026, 12, 10), "Relire le projet de conclusions récapitulatives", False),
        ],
        "temps": [
            (date(2017, 3, 2), 90, "Étude du dossier et des pièces"),
            (date(2019, 2, 12), 180, "Rédaction des conclusions"),
            (date(2022, 3, 15), 60, "Rendez-vous avec le client"),
            (date(2024, 2, 6), 120, "Audience devant la cour d'appel"),
        ],
    },
    {
        "reference": "2019IIDOS/0412",
        "label": "ALEXANDER / JPA",
        "created": date(2019, 4, 1),
        "recu": [
            ("Courrier de mise en demeure", date(2019, 4, 8)),
            ("Rapport d'expertise amiable", date(2019, 6, 27)),
            ("Assignation en référé expertise", date(2019, 9, 12)),
            ("Ordonnance de référé", date(2019, 12, 5)),
            ("Pré-rapport de l'expert judiciaire", date(2020, 9, 30)),
            ("Dire à l'expert", date(2020, 11, 17)),
            ("Rapport d'expertise judiciaire", date(2021, 5, 4)),
            ("Assignation au fond", date(2021, 9, 21)),
            ("Conclusions récapitulatives", date(2022, 6, 14)),
            ("Jugement du tribunal judiciaire", date(2023, 3, 7)),
        ],
        "depose": [("Devis de reprise des désordres", date(2019, 5, 15))],
        "rdv": [
            (_dt(2022, 5, 10, 9, 0), "Sur site, 8 rue des Salins, 34470 Pérols", "Réunion d'expertise sur site"),
            (_dt(2026, 12, 8, 17, 0), _CABINET, "Rendez-vous au cabinet"),
        ],
        "taches": [
            (date(2022, 5, 2), "Transmettre les photographies des désordres", True),
            (date(2027, 1, 15), "Fournir le devis de reprise actualisé", False),
        ],
        "temps": [
            (date(2020, 11, 16), 75, "Rédaction d'un dire à l'expert"),
            (date(2021, 9, 14), 120, "Rédaction de l'assignation au fond"),
            (date(2022, 5, 10), 150, "Assistance à la réunion d'expertise"),
        ],
    },
    {
        "reference": "2021IIDOS/0877",
        "label": "ALEXANDER / SUCCESSION MARTIN",
        "created": date(2021, 2, 1),
        "recu": [
            ("Acte de notoriété", date(2021, 2, 11)),
            ("Attestation de dévolution successorale", date(2021, 3, 2)),
            ("Inventaire notarié", date(2021, 4, 19)),
            ("Projet d'acte de partage", date(2021, 7, 8)),
            ("Courrier au notaire", date(2021, 10, 26)),
            ("Assignation en partage judiciaire", date(2022, 1, 18)),
            ("Conclusions en demande", date(2022, 5, 31)),
            ("Procès-verbal de difficultés", date(2022, 9, 13)),
            ("Courrier du conseil adverse", date(2023, 2, 22)),
        ],
        "depose": [("Relevés de comptes du défunt", date(2021, 3, 30))],
        "rdv": [
            (_dt(2023, 3, 14, 11, 0), "Étude de Maître ROUX, notaire, 34970 Lattes", "Rendez-vous chez le notaire"),
            (_dt(2027, 3, 2, 14, 0), _TJ, "Audience — Tribunal judiciaire de Montpellier"),
        ],
        "taches": [
            (date(2023, 4, 1), "Signer la procuration notariale", True),
            (date(2026, 12, 20), "Fournir les relevés bancaires du défunt", False),
        ],
        "temps": [
            (date(2021, 4, 26), 60, "Analyse de l'inventaire notarié"),
            (date(2021, 10, 26), 30, "Correspondance avec le notaire"),
        ],
    },
    {
        "reference": "2023IIDOS/1102",
        "label": "ALEXANDER / PRUD'HOMMES",
        "created": date(2023, 1, 10),
        "recu": [
            ("Convocation à l'entretien préalable", date(2023, 1, 16)),
            ("Lettre de licenciement", date(2023, 2, 3)),
            ("Requête devant le conseil de prud'hommes", date(2023, 3, 21)),
            ("Attestation de témoin (article 202 du code de procédure civile)", date(2023, 4, 4)),
            ("Convocation devant le bureau de conciliation", date(2023, 5, 9)),
            ("Procès-verbal de non-conciliation", date(2023, 6, 28)),
            ("Bordereau de pièces", date(2023, 8, 10)),
            ("Conclusions de la salariée", date(2023, 10, 2)),
            ("Conclusions adverses", date(2023, 11, 28)),
        ],
        "depose": [],
        "rdv": [
            (_dt(2023, 6, 27, 9, 0), _CPH, "Audience de conciliation — Conseil de prud'hommes"),
            (_dt(2026, 12, 15, 13, 30), _CPH, "Audience de jugement — Conseil de prud'hommes"),
        ],
        "taches": [
            (date(2023, 3, 1), "Fournir l'attestation d'employeur", True),
            (date(2026, 12, 5), "Fournir les bulletins de salaire de 2022", False),
        ],
        "temps": [
            (date(2023, 3, 20), 90, "Rédaction de la requête"),
            (date(2023, 6, 26), 45, "Préparation de l'audience de conciliation"),
        ],
    },
]

# Items of Luce's dossiers that are NOT shared (shared_at null): index of the dossier.
HIDDEN_DOCUMENTS = [
    (0, "Note interne — stratégie en appel", date(2023, 12, 1)),
    (3, "Projet de conclusions (brouillon)", date(2023, 12, 15)),
]
HIDDEN_RDV = (0, _dt(2026, 12, 1, 8, 30), _CABINET, "Réunion interne de préparation")
HIDDEN_FACTURE = (1, "FA-2024-0051", date(2026, 11, 20), 60000)


_hashes: dict[str, str] = {}


def _password_hashes() -> dict[str, str]:
    """The demo passwords' argon2 hashes, computed once per process (tests load the
    demo many times; a hash costs ~0.15 s), in parallel."""
    missing = [p for p in _PASSWORDS if p not in _hashes]
    if missing:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=len(missing)) as pool:
            _hashes.update(zip(missing, pool.map(security.hash_password, missing), strict=True))
    return _hashes


def load_demo() -> dict:
    """Load the demo data set into an empty database; return the ids created, or {}
    if the database already has a firm."""
    keys: list[str] = []

    def pdf_document(dossier: Dossier, firm: Firm, name: str, doc_date: date, direction: Direction,
                     uploader: User, shared: bool = True) -> Document:
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
        keys.append(key)
        moment = _at(doc_date, 10)
        return Document(
            dossier_id=dossier.id, direction=direction, name=name, doc_date=doc_date,
            storage_key=key, size=size, sha256=sha, content_type="application/pdf",
            uploaded_by_id=uploader.id, created_at=moment, shared_at=moment if shared else None,
        )

    try:
        with session_scope() as s:
            if s.exec(select(Firm.id)).first() is not None:
                return {}

            def user(firm: Firm, role: Role, email: str, nom: str, prenom: str, password: str,
                     account: Account | None = None) -> User:
                if account is None:
                    account = Account(email=email, password_hash=hashes[password], password_changed_at=created,
                                      created_at=created)
                    s.add(account)
                    s.flush()
                u = User(firm_id=firm.id, account_id=account.id, role=role, email=email, nom=nom, prenom=prenom,
                         created_at=created, activated_at=created)
                s.add(u)
                return u

            # Firms and people.
            hashes = _password_hashes()
            created = now()
            firm = Firm(name="Cabinet DELMAS Avocats", sender_email="contact@cabinet-delmas.example",
                        created_at=created)
            other_firm = Firm(name="Cabinet LEROY", sender_email="contact@cabinet-leroy.example", created_at=created)
            s.add_all([firm, other_firm])
            s.flush()
            lawyer = user(firm, Role.admin, LAWYER_EMAIL, "DELMAS", "Fabien", LAWYER_PASSWORD)
            luce = user(firm, Role.client, LUCE_EMAIL, "ALEXANDER", "Luce", LUCE_PASSWORD)
            marc = user(firm, Role.client, MARC_EMAIL, "BERTRAND", "Marc", MARC_PASSWORD)
            claire = user(other_firm, Role.admin, LEROY_EMAIL, "LEROY", "Claire", LEROY_PASSWORD)
            julie = user(firm, Role.staff, JULIE_EMAIL, "MOREAU", "Julie", JULIE_PASSWORD)
            paul = user(other_firm, Role.client, PAUL_EMAIL, "MARTIN", "Paul", PAUL_PASSWORD)
            s.flush()
            luce_client = Client(
                firm_id=firm.id, user_id=luce.id, email=LUCE_EMAIL, adresse="Impasse Adam 1er",
                code_postal="34470", ville="PEROLS", tel="04 67 15 98 42", mobile="06 15 25 65 25",
            )
            marc_client = Client(
                firm_id=firm.id, user_id=marc.id, email=MARC_EMAIL, adresse="3 rue de la Loge",
                code_postal="34000", ville="MONTPELLIER", tel="04 67 60 12 34", mobile="06 72 18 44 90",
            )
            paul_client = Client(
                firm_id=other_firm.id, user_id=paul.id, email=PAUL_EMAIL, adresse="18 avenue de Toulouse",
                code_postal="34070", ville="MONTPELLIER", tel="", mobile="06 11 22 33 44",
            )
            s.add_all([luce_client, marc_client, paul_client])

            # Luce's dossiers and what is shared in them.
            dossiers = []
            for spec in LUCE_DOSSIERS:
                d = Dossier(firm_id=firm.id, reference=spec["reference"], label=spec["label"],
                            interlocutor_id=lawyer.id, created_at=_at(spec["created"]))
                s.add(d)
                dossiers.append(d)
            s.flush()
            for d, spec in zip(dossiers, LUCE_DOSSIERS, strict=True):
                s.add(DossierClient(dossier_id=d.id, client_id=luce_client.id))
                for name, day in spec["recu"]:
                    s.add(pdf_document(d, firm, name, day, Direction.recu, lawyer))
                for name, day in spec["depose"]:
                    s.add(pdf_document(d, firm, name, day, Direction.depose, luce))
                for starts_at, place, subject in spec["rdv"]:
                    shared = _at(starts_at - timedelta(days=21))
                    s.add(Rdv(dossier_id=d.id, starts_at=starts_at, place=place, subject=subject,
                              created_at=shared, shared_at=shared))
                for day, label, done in spec["taches"]:
                    shared = _at(day - timedelta(days=14))
                    s.add(Tache(dossier_id=d.id, date=day, label=label, done=done,
                                created_at=shared, shared_at=shared))
                for day, minutes, description in spec["temps"]:
                    shared = _at(day, 18)
                    s.add(TempsPasse(dossier_id=d.id, date=day, minutes=minutes, description=description,
                                     lawyer_id=lawyer.id, created_at=shared, shared_at=shared))
            immo = dossiers[0]
            shared = _at(date(2026, 11, 16), 11)
            s.add(Facture(dossier_id=immo.id, number="FA-2024-0042", date=date(2026, 11, 16),
                          amount_cents=144000, status=FactureStatus.a_regler, due_date=date(2026, 12, 31),
                          payable_online=True, created_at=shared, shared_at=shared))
            shared = _at(date(2018, 2, 27), 16)
            s.add(Frais(dossier_id=immo.id, date=date(2018, 2, 27), amount_cents=8950,
                        label="Frais d'huissier", created_at=shared, shared_at=shared))

            # Not shared: hidden from Luce.
            for index, name, day in HIDDEN_DOCUMENTS:
                s.add(pdf_document(dossiers[index], firm, name, day, Direction.recu, lawyer, shared=False))
            index, starts_at, place, subject = HIDDEN_RDV
            s.add(Rdv(dossier_id=dossiers[index].id, starts_at=starts_at, place=place, subject=subject,
                      created_at=created))
            index, number, day, cents = HIDDEN_FACTURE
            s.add(Facture(dossier_id=dossiers[index].id, number=number, date=day, amount_cents=cents,
                          due_date=day + timedelta(days=30), payable_online=True, created_at=created))

            # Marc BERTRAND, same firm, his own dossier.
            marc_dossier = Dossier(firm_id=firm.id, reference="2022IIDOS/0555", label="BERTRAND / LICENCIEMENT",
                                   interlocutor_id=lawyer.id, created_at=_at(date(2022, 9, 5)))
            # Paul MARTIN, Cabinet LEROY.
            paul_dossier = Dossier(firm_id=other_firm.id, reference="2024LER/0001", label="MARTIN / DIVORCE",
                                   interlocutor_id=claire.id, created_at=_at(date(2024, 3, 4)))
            s.add_all([marc_dossier, paul_dossier])
            s.flush()
            s.add(DossierClient(dossier_id=marc_dossier.id, client_id=marc_client.id))
            s.add(DossierClient(dossier_id=paul_dossier.id, client_id=paul_client.id))
            s.add(pdf_document(marc_dossier, firm, "Lettre de licenciement", date(2022, 8, 29),
                               Direction.recu, lawyer))
            s.add(pdf_document(marc_dossier, firm, "Requête devant le conseil de prud'hommes",
                               date(2022, 10, 11), Direction.recu, lawyer))
            shared = _at(date(2026, 11, 2))
            s.add(Rdv(dossier_id=marc_dossier.id, starts_at=_dt(2026, 12, 9, 10, 0), place=_CABINET,
                      subject="Rendez-vous au cabinet", created_at=shared, shared_at=shared))
            shared = _at(date(2026, 11, 10))
            s.add(Facture(dossier_id=marc_dossier.id, number="FA-2024-0050", date=date(2026, 11, 10),
                          amount_cents=50000, status=FactureStatus.a_regler, due_date=date(2027, 1, 31),
                          payable_online=True, created_at=shared, shared_at=shared))
            s.add(pdf_document(paul_dossier, other_firm, "Requête en divorce", date(2024, 3, 12),
                               Direction.recu, claire))

            # Sophie NOEL, client of both firms (one account, two memberships), a dossier in each.
            sophie = user(firm, Role.client, SOPHIE_EMAIL, "NOEL", "Sophie", SOPHIE_PASSWORD)
            s.flush()
            sophie_leroy = user(other_firm, Role.client, SOPHIE_EMAIL, "NOEL", "Sophie", SOPHIE_PASSWORD,
                                account=s.get(Account, sophie.account_id))
            s.flush()
            sophie_clients = [
                Client(firm_id=f.id, user_id=u.id, email=SOPHIE_EMAIL, adresse="7 place de la Comédie",
                       code_postal="34000", ville="MONTPELLIER", tel="", mobile="06 48 21 37 59")
                for f, u in ((firm, sophie), (other_firm, sophie_leroy))
            ]
            s.add_all(sophie_clients)
            sophie_dossiers = [
                Dossier(firm_id=firm.id, reference="2025IIDOS/0777", label="NOEL / SUCCESSION",
                        interlocutor_id=lawyer.id, created_at=_at(date(2025, 1, 14))),
                Dossier(firm_id=other_firm.id, reference="2025LER/0002", label="NOEL / BAIL COMMERCIAL",
                        interlocutor_id=claire.id, created_at=_at(date(2025, 2, 3))),
            ]
            s.add_all(sophie_dossiers)
            s.flush()
            for d, c, f, author, name in zip(sophie_dossiers, sophie_clients, (firm, other_firm), (lawyer, claire),
                                             ("Déclaration de succession", "Bail commercial signé"), strict=True):
                s.add(DossierClient(dossier_id=d.id, client_id=c.id))
                s.add(pdf_document(d, f, name, date(2025, 3, 3), Direction.recu, author))

            s.commit()
            return {
                "firm_id": firm.id,
                "lawyer_id": lawyer.id,
                "staff_id": julie.id,
                "client_user_id": luce.id,
                "client_id": luce_client.id,
                "dossier_ids": [d.id for d in dossiers],
                "other_client_user_id": marc.id,
                "other_client_id": marc_client.id,
                "other_dossier_id": marc_dossier.id,
                "other_firm_id": other_firm.id,
                "other_firm_client_user_id": paul.id,
                "other_firm_dossier_id": paul_dossier.id,
                "both_firms_user_ids": [sophie.id, sophie_leroy.id],
                "both_firms_client_ids": [c.id for c in sophie_clients],
                "both_firms_dossier_ids": [d.id for d in sophie_dossiers],
            }
    except BaseException:
        for key in keys:
            storage.delete(key)
        raise
