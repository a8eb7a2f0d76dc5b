"""A firm of 1,000,000 shared items on top of the demo database, for bench/pages.py
(`--data heavy`): 400k documents, 100k RDV, 80k factures, 120k tâches, 220k temps
passés and 80k frais over 5,000 dossiers of 481 clients. One client, « Vincent
VOLUME » (volume@example.com), has 200 dossiers and 20,000 items; his largest
dossier holds 1,776 of them. Every item is shared (shared_at set); the files of the
documents do not exist on disk. The firm also has 40,000 online payments over its
invoices (for /admin/paiements).

`generate(url, others=0.1)` (bench/pages.py --ci) keeps the heavy client's 20,000 items,
the 5,000 dossiers, the 481 clients and the 40,000 payments, and makes a tenth of the
other clients' items (≈ 118,000 items in all): the pages it measures cost the same, the
data is written in seconds instead of a minute.

    .venv/bin/python bench/heavy_data.py [DATABASE_URL]     # default: $DATA_DIR/espace.db

The database must be migrated first (`python -m espace migrate`, usually followed by
`python -m espace demo`), and the clients' counts recomputed after it (`python -m espace
recount --repair`: the rows are written here directly, not through the services). Bulk inserts with the indexes the migrations made: sqlite3
executemany in one transaction, or COPY on PostgreSQL (psycopg). The columns are read
from the database, not from espace.models, so the script works on any version of the
schema: a NOT NULL column it does not know gets a neutral value of its type.
"""
from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

HEAVY_EMAIL = "volume@example.com"
FIRM_NAME = "Cabinet Volume (bench)"
# kind → (table, total items in the firm)
KINDS = {
    "documents": ("document", 400_000),
    "rdv": ("rdv", 100_000),
    "factures": ("facture", 80_000),
    "taches": ("tache", 120_000),
    "temps": ("temps_passe", 220_000),
    "frais": ("frais", 80_000),
}
DOSSIERS = 5_000
HEAVY_DOSSIERS = 200
HEAVY_ITEMS = 20_000
LARGEST = 1_776
OTHER_CLIENTS = 480  # 10 dossiers each: 4,800 + the heavy client's 200 = 5,000
PAYMENTS = 40_000  # over the firm's invoices, a few per invoice (retried payments)
PAYMENT_STATUSES = ("succeeded",) * 8 + ("failed", "canceled")
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2026, 11, 1) - FIRST_DAY).days

WORDS = ["Assignation", "Conclusions", "Bordereau", "Courrier", "Jugement", "Ordonnance", "Expertise",
         "Procès-verbal", "Attestation", "Mise en demeure", "Requête", "Note", "Facture", "Relevé"]


def _dt(rng: random.Random) -> datetime:
    return datetime.combine(FIRST_DAY + timedelta(days=rng.randrange(DAYS)), datetime.min.time()) + timedelta(
        hours=rng.randrange(8, 19), minutes=rng.choice((0, 15, 30, 45)))


def _item(kind: str, rng: random.Random, n: int, ids: dict[str, int]) -> dict[str, Any]:
    """One item's known columns (dossier_id, shared_at and created_at are set by the caller)."""
    when = _dt(rng)
    day = when.date()
    base: dict[str, Any] = {"shared_at": when, "created_at": when}
    if kind == "documents":
        deposited = n % 10 == 0
        base.update(direction="depose" if deposited else "recu", name=f"{rng.choice(WORDS)} n° {n}",
                    doc_date=day, storage_key=f"bench{n:08d}", size=20_000 + n % 900_000,
                    sha256=f"{n:064x}", content_type="application/pdf",
                    uploaded_by_id=ids["client"] if deposited else ids["lawyer"])
    elif kind == "rdv":
        base.update(starts_at=when + timedelta(days=14), place="Cabinet, 12 boulevard du Jeu de Paume, Montpellier",
                    subject=f"Rendez-vous n° {n}")
    elif kind == "factures":
        paid = n % 5 != 0
        base.update(number=f"FV-{n:07d}", date=day, amount_cents=10_000 + n % 500_000,
                    status="payee" if paid else "a_regler", due_date=day + timedelta(days=30),
                    payable_online=False, paid_at=when + timedelta(days=10) if paid else None)
    elif kind == "taches":
        base.update(date=day, label=f"Transmettre la pièce n° {n}", done=n % 3 == 0)
    elif kind == "temps":
        base.update(date=day, minutes=15 + n % 180, description=f"Rédaction et recherches n° {n}",
                    lawyer_id=ids["lawyer"])
    else:
        base.update(date=day, amount_cents=1_000 + n % 30_000, label=f"Frais d'huissier n° {n}")
    return base


def _neutral(col: dict) -> Any:
    """A value for a NOT NULL column without a server default that this script does not know."""
    name = type(col["type"]).__name__.lower()
    if "bool" in name:
        return False
    if "int" in name or "numeric" in name or "float" in name:
        return 0
    if "datetime" in name or "timestamp" in name:
        return datetime(2020, 1, 1)
    if "date" in name:
        return date(2020, 1, 1)
    return ""


class Writer:
    """Bulk inserts into the database at `url`, with the columns the database has."""

    def __init__(self, url: str):
        self.url = make_url(url)
        engine = create_engine(url)
        insp = inspect(engine)
        self.columns = {t: insp.get_columns(t) for t in insp.get_table_names()}
        engine.dispose()
        self.sqlite = self.url.get_backend_name() == "sqlite"
        if self.sqlite:
            import sqlite3

            self.conn: Any = sqlite3.connect(self.url.database, isolation_level=None)
            self.conn.execute("PRAGMA foreign_keys=OFF")
            self.conn.execute("BEGIN")
        else:
            import psycopg

            self.conn = psycopg.connect(host=self.url.host or "127.0.0.1", port=self.url.port or 5432,
                                        user=self.url.username, password=self.url.password,
                                        dbname=self.url.database)

    def scalar(self, sql: str) -> Any:
        cur = self.conn.cursor()
        cur.execute(sql)
        row = cur.fetchone()
        return row[0] if row else None

    def next_id(self, table: str) -> int:
        return int(self.scalar(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')) + 1

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` (dicts of known columns; missing NOT NULL columns get a neutral value)."""
        if not rows:
            return
        cols = self.columns[table]
        known = set(rows[0])
        names = [c["name"] for c in cols if c["name"] in known]
        extra = {c["name"]: _neutral(c) for c in cols
                 if c["name"] not in known and not c.get("nullable", True) and c.get("default") is None
                 and c.get("autoincrement") is not True and c["name"] != "id"}
        names += list(extra)
        quoted = ", ".join(f'"{n}"' for n in names)
        if self.sqlite:
            def conv(v: Any) -> Any:
                if isinstance(v, datetime):
                    return v.strftime("%Y-%m-%d %H:%M:%S.%f")
                if isinstance(v, date):
                    return v.isoformat()
                if isinstance(v, bool):
                    return int(v)
                return v

            marks = ", ".join("?" for _ in names)
            self.conn.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
                                  ([conv(r.get(n, extra.get(n))) for n in names] for r in rows))
        else:
            with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                for r in rows:
                    copy.write_row([r.get(n, extra.get(n)) for n in names])

    def commit(self) -> None:
        if self.sqlite:
            self.conn.execute("COMMIT")
        else:
            self.conn.commit()
            # Fresh statistics, as autovacuum would give them a little later.
            self.conn.autocommit = True
            self.conn.execute("ANALYZE")
        self.conn.close()


def _payments(w: Writer, rng: random.Random, firm_id: int, first_dossier: int, first_user: int) -> int:
    """PAYMENTS online payments over the firm's invoices, each by the invoice's client."""
    cur = w.conn.cursor()
    cur.execute(f"SELECT f.id, f.dossier_id, f.amount_cents, f.date FROM facture f WHERE f.dossier_id >= {first_dossier} "
                "ORDER BY f.id")
    factures = cur.fetchall()
    rows = []
    for n in range(PAYMENTS):
        fid, did, amount, day = factures[rng.randrange(len(factures))]
        d = did - first_dossier
        owner = 0 if d < HEAVY_DOSSIERS else 1 + (d - HEAVY_DOSSIERS) // 10
        status = rng.choice(PAYMENT_STATUSES)
        day = day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        when = datetime.combine(day, datetime.min.time()) + timedelta(days=rng.randrange(30), hours=rng.randrange(8, 20))
        rows.append({"firm_id": firm_id, "facture_id": fid, "user_id": first_user + 1 + owner,
                     "stripe_payment_intent_id": f"pi_bench{n:08d}", "amount_cents": amount, "currency": "eur",
                     "status": status, "created_at": when,
                     "succeeded_at": when + timedelta(seconds=5) if status == "succeeded" else None})
    w.insert("payment", rows)
    return len(rows)


def generate(url: str, seed: int = 11, others: float = 1.0) -> dict[str, Any]:
    """Add the heavy firm to the database at `url`; returns what bench/pages.py needs.
    `others` scales the items of the clients other than the heavy one (1: a million items)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    w = Writer(url)
    now = datetime.now().replace(microsecond=0)
    firm_id, account_id, user_id = w.next_id("firm"), w.next_id("account"), w.next_id("user")
    client_id, dossier_id = w.next_id("client"), w.next_id("dossier")
    w.insert("firm", [{"id": firm_id, "name": FIRM_NAME, "created_at": now}])
    # One lawyer (the dossiers' interlocutor), the heavy client, the other clients.
    people = [("avocat.volume@example.com", "VOLUME", "Anne", "lawyer")]
    people.append((HEAVY_EMAIL, "VOLUME", "Vincent", "client"))
    people += [(f"client{i:04d}.volume@example.com", f"CLIENT{i:04d}", "Camille", "client")
               for i in range(OTHER_CLIENTS)]
    w.insert("account", [{"id": account_id + i, "email": email, "password_hash": None, "must_change_password": False,
                          "created_at": now} for i, (email, *_) in enumerate(people)])
    w.insert("user", [{"id": user_id + i, "firm_id": firm_id, "account_id": account_id + i, "email": email,
                       "nom": nom, "prenom": prenom, "role": role, "active": True, "created_at": now,
                       "activated_at": now, "temporary_password_invite": False}
                      for i, (email, nom, prenom, role) in enumerate(people)])
    lawyer, heavy_user = user_id, user_id + 1
    clients = [{"id": client_id + i, "firm_id": firm_id, "user_id": user_id + 1 + i, "email": people[1 + i][0],
                "adresse": "1 rue de la Loge", "code_postal": "34000", "ville": "MONTPELLIER", "tel": "", "mobile": ""}
               for i in range(1 + OTHER_CLIENTS)]
    w.insert("client", clients)
    # Dossiers: the heavy client's 200 first, then 10 per other client.
    dossiers, links = [], []
    for i in range(DOSSIERS):
        owner = 0 if i < HEAVY_DOSSIERS else 1 + (i - HEAVY_DOSSIERS) // 10
        dossiers.append({"id": dossier_id + i, "firm_id": firm_id, "reference": f"2026VOL/{i:05d}",
                         "label": f"VOLUME / AFFAIRE {i:05d}", "interlocutor_id": lawyer,
                         "created_at": now - timedelta(days=i % 3000)})
        links.append({"dossier_id": dossier_id + i, "client_id": client_id + owner})
    w.insert("dossier", dossiers)
    w.insert("dossier_client", links)
    ids = {"client": heavy_user, "lawyer": lawyer}
    total_all = sum(n for _, n in KINDS.values())
    counts = {}
    for kind, (table, total) in KINDS.items():
        heavy = round(total * HEAVY_ITEMS / total_all)
        largest = round(heavy * LARGEST / HEAVY_ITEMS)
        total = heavy + round((total - heavy) * others)
        rows = []
        for n in range(total):
            if n < largest:
                d = 0  # the heavy client's largest dossier
            elif n < heavy:
                d = 1 + rng.randrange(HEAVY_DOSSIERS - 1)
            else:
                d = HEAVY_DOSSIERS + rng.randrange(DOSSIERS - HEAVY_DOSSIERS)
            row = _item(kind, rng, n, ids)
            row["dossier_id"] = dossier_id + d
            rows.append(row)
        w.insert(table, rows)
        counts[table] = total
    counts["payment"] = _payments(w, rng, firm_id, dossier_id, user_id)
    w.commit()
    elapsed = time.perf_counter() - t0
    return {"email": HEAVY_EMAIL, "user_id": heavy_user, "firm_id": firm_id, "largest_dossier": dossier_id,
            "lawyer_email": people[0][0], "items": sum(n for t, n in counts.items() if t != "payment"),
            "counts": counts, "seconds": elapsed}


def main() -> None:
    if len(sys.argv) > 1:
        url = sys.argv[1]
    else:
        data_dir = Path(os.environ.get("DATA_DIR", "var"))
        url = os.environ.get("REFLEX_DB_URL") or f"sqlite:///{(data_dir / 'espace.db').resolve()}"
    info = generate(url)
    print(f"heavy data: {info['items']:,} items ({', '.join(f'{t} {n:,}' for t, n in info['counts'].items())}) "
          f"in {info['seconds']:.1f} s; heavy client {info['email']} (user {info['user_id']}), "
          f"largest dossier {info['largest_dossier']}")


if __name__ == "__main__":
    main()
