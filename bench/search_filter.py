"""The client's search and the dossier filter of the lists, timed in the service on the
heavy data set (bench/heavy_data.py: 1,000,000 shared items; the heavy client has 200
dossiers and 20,000 items, his largest dossier 1,776) beside the same calls unfiltered.

    .venv/bin/python bench/search_filter.py [DATA_DIR] [N]

DATA_DIR (default: a new temporary one) gets a migrated database and the heavy data set
unless its espace.db already has them. Prints the median and the max of N calls (20) of
each: search.search() and lists.list_category() as the page's handler calls them."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="search-bench-"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 20
os.environ["DATA_DIR"] = str(DATA)
os.environ.setdefault("DEMO", "0")

from sqlalchemy import create_engine, text  # noqa: E402

from bench import heavy_data  # noqa: E402


def _prepare() -> str:
    db = DATA / "espace.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        subprocess.run([sys.executable, "-m", "espace", "migrate"], cwd=ROOT, check=True, env=os.environ.copy())
    engine = create_engine(url)
    with engine.connect() as c:
        found = c.execute(text("select id from user where email = :e"), {"e": heavy_data.HEAVY_EMAIL}).first()
    if found is None:
        info = heavy_data.generate(url)
        print(f"heavy data generated: {info['items']:,} items in {info['seconds']:.0f} s")
    return url


def _timed(label: str, call) -> float:
    call()  # warm: statements built, pages in the cache
    times = []
    for _ in range(N):
        t = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - t) * 1000)
    median = statistics.median(times)
    print(f"  {label:<58} median {median:7.2f} ms   max {max(times):7.2f} ms   {result}")
    return median


def main() -> None:
    url = _prepare()
    from sqlmodel import select

    from espace.db import session_scope
    from espace.models import User
    from espace.services.client import lists, search, views

    with session_scope() as s:
        user = s.exec(select(User).where(User.email == heavy_data.HEAVY_EMAIL)).one()
        s.expunge(user)
    print(f"{url}: heavy client {heavy_data.HEAVY_EMAIL} (200 dossiers, 20,000 items), {N} calls each")
    choices = lists.list_category(user, "documents").choices
    largest, small = choices[0]["id"], choices[-1]["id"]

    def count(r: search.Results) -> str:
        return f"{r.total} results"

    def listed(p: views.CategoryPage) -> str:
        return f"{len(p.rows)} rows of {p.total}"

    print("search (/recherche?q=):")
    for q in ("n° 1234", "AFFAIRE 00042", "FV-00", "Rendez-vous", "introuvable"):
        _timed(f"search « {q} »", lambda q=q: count(search.search(user, q)))
    print("lists (/documents, /temps-passes), all dossiers vs one dossier (?dossier=):")
    for key in ("documents", "temps-passes"):
        first = lists.list_category(user, key)
        _timed(f"{key}: newest page, all dossiers", lambda key=key: listed(lists.list_category(user, key)))
        _timed(f"{key}: oldest page, all dossiers", lambda key=key: listed(lists.list_category(user, key, fin="1")))
        _timed(f"{key}: 2nd page, all dossiers",
               lambda key=key, c=first.older: listed(lists.list_category(user, key, avant=c)))
        for name, d in (("largest dossier", largest), ("a small dossier", small)):
            page = lists.list_category(user, key, dossier=d)
            _timed(f"{key}: newest page, {name}", lambda key=key, d=d: listed(lists.list_category(user, key, dossier=d)))
            _timed(f"{key}: oldest page, {name}",
                   lambda key=key, d=d: listed(lists.list_category(user, key, fin="1", dossier=d)))
            if page.older:
                _timed(f"{key}: 2nd page, {name}", lambda key=key, d=d, c=page.older: listed(
                    lists.list_category(user, key, avant=c, dossier=d)))


if __name__ == "__main__":
    main()
