"""The RDV pages read as an agenda (upcoming first, then past: two keyset runs split at
now) against the other lists (one run, newest first), on bench/heavy_data.py's data set:

    DATA_DIR=/tmp/heavy .venv/bin/python bench/heavy_data.py
    DATA_DIR=/tmp/heavy PYTHONPATH=. .venv/bin/python bench/agenda_pages.py [--upcoming N]

`--upcoming N` first moves N of the heavy client's RDV into the next two years (the
data set's RDV are all past), so that pages cross from one run to the other. Prints
the median and max time of each page read (services/client/lists.py, dossier_view.py), 30 runs each."""
from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from espace.db import get_engine, session_scope
from espace.models import DossierClient, Rdv, User
from espace.services.client import dossier_view, lists

RUNS = 30


def _time(label: str, fn: Callable[[], object]) -> None:
    fn()  # statements built, caches warm
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<58} median {statistics.median(times):6.2f} ms   max {max(times):6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--upcoming", type=int, default=0)
    args = parser.parse_args()
    with session_scope() as s:
        user = s.exec(sa.select(User).where(User.email == "volume@example.com")).scalars().first()
        assert user is not None, "run bench/heavy_data.py first"
        client_id = s.exec(sa.text("SELECT id FROM client WHERE user_id = :u").bindparams(u=user.id)).scalar_one()
        dossiers = [d for (d,) in s.exec(sa.select(DossierClient.dossier_id).where(DossierClient.client_id == client_id))]
    if args.upcoming:
        rng = random.Random(7)
        now = datetime.now(UTC)
        with get_engine().begin() as conn:
            ids = [r for (r,) in conn.execute(sa.select(Rdv.id).where(Rdv.dossier_id.in_(dossiers)).limit(args.upcoming))]
            for rid in ids:
                conn.execute(sa.update(Rdv).where(Rdv.id == rid).values(
                    starts_at=now + timedelta(days=rng.randrange(1, 730), hours=rng.randrange(0, 10))))
    with get_engine().connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(Rdv).where(Rdv.dossier_id.in_(dossiers))).scalar_one()
        upcoming = conn.execute(sa.select(sa.func.count()).select_from(Rdv).where(
            Rdv.dossier_id.in_(dossiers), Rdv.starts_at >= datetime.now(UTC))).scalar_one()
        largest = conn.execute(sa.select(Rdv.dossier_id, sa.func.count().label("n")).where(Rdv.dossier_id.in_(dossiers))
                               .group_by(Rdv.dossier_id).order_by(sa.text("n DESC")).limit(1)).first()
    print(f"heavy client: {total} RDV ({upcoming} upcoming) in {len(dossiers)} dossiers; "
          f"largest RDV tab: {largest.n} in dossier {largest.dossier_id}")

    first = lists.list_category(user, "rdv")
    pages, page = [first], first
    while page.older and len(pages) < 400:
        page = lists.list_category(user, "rdv", avant=page.older)
        pages.append(page)
    crossing = next((p for p in pages if p.older and p.newer), first)
    middle_cursor = pages[len(pages) // 2 - 1].older if len(pages) > 1 else ""
    print(f"RDV list: {len(pages)} pages walked (50 a page), first row « {first.rows[0].date} »")
    _time("documents list, first page (one run, for comparison)", lambda: lists.list_category(user, "documents"))
    _time("RDV list, first page", lambda: lists.list_category(user, "rdv"))
    _time("RDV list, page after the first", lambda: lists.list_category(user, "rdv", avant=first.older))
    _time("RDV list, a page in the middle (avant=)", lambda: lists.list_category(user, "rdv", avant=middle_cursor))
    _time("RDV list, back one page (apres=)", lambda: lists.list_category(user, "rdv", apres=crossing.newer))
    _time("RDV list, last page (fin=1)", lambda: lists.list_category(user, "rdv", fin="1"))
    tab = dossier_view.dossier_tab(user, largest.dossier_id, "rdv")
    _time("largest dossier's RDV tab, first page", lambda: dossier_view.dossier_tab(user, largest.dossier_id, "rdv"))
    _time("largest dossier's RDV tab, next page", lambda: dossier_view.dossier_tab(user, largest.dossier_id, "rdv",
                                                                             avant=tab.older))


if __name__ == "__main__":
    main()
