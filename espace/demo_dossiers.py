"""The demo's dossiers and their items (espace/demo.py loads them): the screens of the
user manual for Luce ALEXANDER, a dossier for Marc BERTRAND, Paul MARTIN's at the other
firm and Sophie NOEL's at both; their dates kept in the past of the moment the demo is
loaded; each document a real one-page PDF (`make_pdf`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from espace.models import Direction, FactureStatus


# --------------------------------------------------------------------------- PDF
def _pdf_text(value: str) -> bytes:
    """A PDF literal string in WinAnsiEncoding (Latin-1 plus typographic marks)."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(title: str, lines: Sequence[str] = ()) -> bytes:
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


def _dt(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An appointment time, in the firm's time zone (shown back in Europe/Paris)."""
    return datetime(year, month, day, hour, minute, tzinfo=_PARIS).astimezone(UTC)


def _on(day: date, hour: int = 9) -> datetime:
    """`day` at `hour` (UTC)."""
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _at(day: date | datetime, hour: int = 9) -> datetime:
    """A datetime for `day` (at `hour`), never later than now (shares are past events)."""
    moment = day if isinstance(day, datetime) else _on(day, hour)
    return min(moment, now() - timedelta(minutes=5))


# --------------------------------------------------------------------------- the items of the dossiers
@dataclass(frozen=True, slots=True)
class Item:
    """A row of one item kind of the registry (espace.domain.items): its own columns
    (the loader adds its dossier, and for a document its PDF and who added it, for a
    time spent its lawyer), the moment the firm added it, shared at that moment
    unless `shared` is false (then only the firm sees it). `at` is kept in the past
    by `_at`; None: the moment the demo is loaded."""

    fields: Mapping[str, Any]
    at: datetime | None
    shared: bool = True


def received(name: str, day: date, shared: bool = True) -> Item:
    """A document the firm shares (the dossier's lawyer), at 10:00 on its date."""
    return Item({"direction": Direction.recu, "name": name, "doc_date": day}, _on(day, 10), shared)


def deposited(name: str, day: date) -> Item:
    """A document the client deposited, at 10:00 on its date."""
    return Item({"direction": Direction.depose, "name": name, "doc_date": day}, _on(day, 10))


def rdv(starts_at: datetime, place: str, subject: str, shared_on: date | None = None) -> Item:
    """An appointment, shared three weeks before (or on `shared_on`)."""
    return Item({"starts_at": starts_at, "place": place, "subject": subject},
                starts_at - timedelta(days=21) if shared_on is None else _on(shared_on))


def tache(day: date, label: str, done: bool) -> Item:
    """A task, shared two weeks before its date."""
    return Item({"date": day, "label": label, "done": done}, _on(day - timedelta(days=14)))


def temps(day: date, minutes: int, description: str) -> Item:
    """Time spent by the dossier's lawyer, shared at 18:00 that day."""
    return Item({"date": day, "minutes": minutes, "description": description}, _on(day, 18))


def facture(number: str, day: date, cents: int, due: date, hour: int = 9) -> Item:
    """An invoice to pay (online too), shared on its date."""
    return Item({"number": number, "date": day, "amount_cents": cents, "status": FactureStatus.a_regler,
                 "due_date": due, "payable_online": True}, _on(day, hour))


def frais(day: date, cents: int, label: str, hour: int = 9) -> Item:
    """Expenses, shared on their date."""
    return Item({"date": day, "amount_cents": cents, "label": label}, _on(day, hour))


def hidden(item: Item) -> Item:
    """`item` added when the demo is loaded, not shared."""
    return Item(item.fields, None, shared=False)


@dataclass(frozen=True, slots=True)
class DossierSpec:
    """A dossier of the demo: its reference, label, opening date and items."""

    reference: str
    label: str
    created: date
    items: Mapping[str, Sequence[Item]]  # by item kind key ("rdv", "temps-passes"...), oldest id first


_MONTPELLIER_CA = "Cour d'appel de Montpellier, 1 rue Foch, 34000 Montpellier"
_TJ = "Tribunal judiciaire de Montpellier, place Pierre Flotte, 34000 Montpellier"
_CABINET = "Cabinet DELMAS Avocats, 12 boulevard du Jeu de Paume, 34000 Montpellier"
_CPH = "Conseil de prud'hommes de Montpellier, 1 place Francis Ponge, 34000 Montpellier"

# Luce ALEXANDER's dossiers (the manual's screens) and what the firm shared in them.
LUCE_DOSSIERS = [
    DossierSpec("2017IIDOS/1529", "ALEXANDER / AGENCE IMMO", date(2017, 2, 1), {
        "documents": [
            received("Lettre au client AR dossier Appelant (CA 09-17)", date(2024, 1, 8)),
            received("Lettre", date(2022, 10, 19)),
            received("Facture avec détail", date(2021, 12, 10)),
            received("Mandat de vente exclusif", date(2017, 2, 6)),
            received("Assignation devant le tribunal de grande instance de Montpellier", date(2017, 3, 14)),
            received("Bordereau de pièces communiquées", date(2017, 5, 22)),
            received("Conclusions de l'agence immobilière", date(2017, 11, 9)),
            received("Procès-verbal de constat d'huissier", date(2018, 2, 27)),
            received("Jugement du tribunal de grande instance", date(2018, 10, 16)),
            received("Déclaration d'appel", date(2018, 11, 20)),
            received("Conclusions d'appelant", date(2019, 2, 18)),
            received("Courrier adverse", date(2020, 6, 3)),
            received("Ordonnance du conseiller de la mise en état", date(2021, 3, 25)),
            received("Avis de fixation de l'affaire à l'audience", date(2023, 5, 12)),
            deposited("Compromis de vente signé", date(2017, 2, 20)),
        ],
        "rdv": [
            rdv(_dt(2022, 3, 15, 10, 0), _CABINET, "Rendez-vous au cabinet"),
            rdv(_dt(2024, 2, 6, 14, 0), _MONTPELLIER_CA, "Audience — Cour d'appel de Montpellier"),
            rdv(_dt(2027, 1, 19, 9, 30), _MONTPELLIER_CA, "Audience de plaidoiries — Cour d'appel de Montpellier"),
        ],
        "taches": [
            tache(date(2022, 4, 1), "Transmettre l'original du mandat de vente", True),
            tache(date(2026, 12, 10), "Relire le projet de conclusions récapitulatives", False),
        ],
        "temps-passes": [
            temps(date(2017, 3, 2), 90, "Étude du dossier et des pièces"),
            temps(date(2019, 2, 12), 180, "Rédaction des conclusions"),
            temps(date(2022, 3, 15), 60, "Rendez-vous avec le client"),
            temps(date(2024, 2, 6), 120, "Audience devant la cour d'appel"),
        ],
        "factures": [facture("FA-2024-0042", date(2026, 11, 16), 144000, due=date(2026, 12, 31), hour=11)],
        "frais": [frais(date(2018, 2, 27), 8950, "Frais d'huissier", hour=16)],
    }),
    DossierSpec("2019IIDOS/0412", "ALEXANDER / JPA", date(2019, 4, 1), {
        "documents": [
            received("Courrier de mise en demeure", date(2019, 4, 8)),
            received("Rapport d'expertise amiable", date(2019, 6, 27)),
            received("Assignation en référé expertise", date(2019, 9, 12)),
            received("Ordonnance de référé", date(2019, 12, 5)),
            received("Pré-rapport de l'expert judiciaire", date(2020, 9, 30)),
            received("Dire à l'expert", date(2020, 11, 17)),
            received("Rapport d'expertise judiciaire", date(2021, 5, 4)),
            received("Assignation au fond", date(2021, 9, 21)),
            received("Conclusions récapitulatives", date(2022, 6, 14)),
            received("Jugement du tribunal judiciaire", date(2023, 3, 7)),
            deposited("Devis de reprise des désordres", date(2019, 5, 15)),
        ],
        "rdv": [
            rdv(_dt(2022, 5, 10, 9, 0), "Sur site, 8 rue des Salins, 34470 Pérols", "Réunion d'expertise sur site"),
            rdv(_dt(2026, 12, 8, 17, 0), _CABINET, "Rendez-vous au cabinet"),
        ],
        "taches": [
            tache(date(2022, 5, 2), "Transmettre les photographies des désordres", True),
            tache(date(2027, 1, 15), "Fournir le devis de reprise actualisé", False),
        ],
        "temps-passes": [
            temps(date(2020, 11, 16), 75, "Rédaction d'un dire à l'expert"),
            temps(date(2021, 9, 14), 120, "Rédaction de l'assignation au fond"),
            temps(date(2022, 5, 10), 150, "Assistance à la réunion d'expertise"),
        ],
    }),
    DossierSpec("2021IIDOS/0877", "ALEXANDER / SUCCESSION MARTIN", date(2021, 2, 1), {
        "documents": [
            received("Acte de notoriété", date(2021, 2, 11)),
            received("Attestation de dévolution successorale", date(2021, 3, 2)),
            received("Inventaire notarié", date(2021, 4, 19)),
            received("Projet d'acte de partage", date(2021, 7, 8)),
            received("Courrier au notaire", date(2021, 10, 26)),
            received("Assignation en partage judiciaire", date(2022, 1, 18)),
            received("Conclusions en demande", date(2022, 5, 31)),
            received("Procès-verbal de difficultés", date(2022, 9, 13)),
            received("Courrier du conseil adverse", date(2023, 2, 22)),
            deposited("Relevés de comptes du défunt", date(2021, 3, 30)),
        ],
        "rdv": [
            rdv(_dt(2023, 3, 14, 11, 0), "Étude de Maître ROUX, notaire, 34970 Lattes", "Rendez-vous chez le notaire"),
            rdv(_dt(2027, 3, 2, 14, 0), _TJ, "Audience — Tribunal judiciaire de Montpellier"),
        ],
        "taches": [
            tache(date(2023, 4, 1), "Signer la procuration notariale", True),
            tache(date(2026, 12, 20), "Fournir les relevés bancaires du défunt", False),
        ],
        "temps-passes": [
            temps(date(2021, 4, 26), 60, "Analyse de l'inventaire notarié"),
            temps(date(2021, 10, 26), 30, "Correspondance avec le notaire"),
        ],
    }),
    DossierSpec("2023IIDOS/1102", "ALEXANDER / PRUD'HOMMES", date(2023, 1, 10), {
        "documents": [
            received("Convocation à l'entretien préalable", date(2023, 1, 16)),
            received("Lettre de licenciement", date(2023, 2, 3)),
            received("Requête devant le conseil de prud'hommes", date(2023, 3, 21)),
            received("Attestation de témoin (article 202 du code de procédure civile)", date(2023, 4, 4)),
            received("Convocation devant le bureau de conciliation", date(2023, 5, 9)),
            received("Procès-verbal de non-conciliation", date(2023, 6, 28)),
            received("Bordereau de pièces", date(2023, 8, 10)),
            received("Conclusions de la salariée", date(2023, 10, 2)),
            received("Conclusions adverses", date(2023, 11, 28)),
        ],
        "rdv": [
            rdv(_dt(2023, 6, 27, 9, 0), _CPH, "Audience de conciliation — Conseil de prud'hommes"),
            rdv(_dt(2026, 12, 15, 13, 30), _CPH, "Audience de jugement — Conseil de prud'hommes"),
        ],
        "taches": [
            tache(date(2023, 3, 1), "Fournir l'attestation d'employeur", True),
            tache(date(2026, 12, 5), "Fournir les bulletins de salaire de 2022", False),
        ],
        "temps-passes": [
            temps(date(2023, 3, 20), 90, "Rédaction de la requête"),
            temps(date(2023, 6, 26), 45, "Préparation de l'audience de conciliation"),
        ],
    }),
]

# Items of Luce's dossiers that are NOT shared (shared_at null), by kind: (index of the dossier, item).
HIDDEN: dict[str, list[tuple[int, Item]]] = {
    "documents": [
        (0, received("Note interne — stratégie en appel", date(2023, 12, 1), shared=False)),
        (3, received("Projet de conclusions (brouillon)", date(2023, 12, 15), shared=False)),
    ],
    "rdv": [(0, hidden(rdv(_dt(2026, 12, 1, 8, 30), _CABINET, "Réunion interne de préparation")))],
    "factures": [(1, hidden(facture("FA-2024-0051", date(2026, 11, 20), 60000, due=date(2026, 12, 20))))],
}

# Marc BERTRAND, same firm, his own dossier.
MARC_DOSSIER = DossierSpec("2022IIDOS/0555", "BERTRAND / LICENCIEMENT", date(2022, 9, 5), {
    "documents": [
        received("Lettre de licenciement", date(2022, 8, 29)),
        received("Requête devant le conseil de prud'hommes", date(2022, 10, 11)),
    ],
    "rdv": [rdv(_dt(2026, 12, 9, 10, 0), _CABINET, "Rendez-vous au cabinet", shared_on=date(2026, 11, 2))],
    "factures": [facture("FA-2024-0050", date(2026, 11, 10), 50000, due=date(2027, 1, 31))],
})
# Paul MARTIN, Cabinet LEROY.
PAUL_DOSSIER = DossierSpec("2024LER/0001", "MARTIN / DIVORCE", date(2024, 3, 4), {
    "documents": [received("Requête en divorce", date(2024, 3, 12))],
})
# Sophie NOEL: a dossier in each firm.
SOPHIE_DOSSIERS = (
    DossierSpec("2025IIDOS/0777", "NOEL / SUCCESSION", date(2025, 1, 14), {
        "documents": [received("Déclaration de succession", date(2025, 3, 3))],
    }),
    DossierSpec("2025LER/0002", "NOEL / BAIL COMMERCIAL", date(2025, 2, 3), {
        "documents": [received("Bail commercial signé", date(2025, 3, 3))],
    }),
)


# Shared in the last NEWS_DAYS days: not opened yet by the client (their home's news);
# UNOPENED: a document of Luce's she has not opened either (its tile's « 1 nouveau »).
NEWS_DAYS = 30
UNOPENED = "Lettre au client AR dossier Appelant (CA 09-17)"
