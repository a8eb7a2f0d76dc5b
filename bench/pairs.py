"""Two tabs on the same server, navigating in turn (bench/pages.py): the heavy client and
the demo client over the client's pages, the heavy firm's lawyer and the demo firm's over
the /admin pages. Taking the two figures of a page a few milliseconds apart cancels the
machine's load drift, which two runs one after the other do not.

Also: the RSS per tab of N tabs of one person (the second half's growth, the first half
warming what the server keeps whatever the number of tabs), the /admin pages measured, the
sessions of a staff member copied from a real login's."""
from __future__ import annotations

import asyncio
import math
import secrets
from dataclasses import dataclass, field

import aiohttp

# The /admin pages measured: (label, path template; {dossier} is the firm's largest dossier).
ADMIN_PAGES = [("firm dossier", "{dossier}"), ("clients", "/admin/clients"), ("dossiers", "/admin/dossiers"),
               ("paiements", "/admin/paiements")]
DEMO_LAWYER = "fabien.delmas@example.com"  # the demo firm's administrator (espace/demo.py)
BARE_EACH = 2  # bare app navigations after each pair (in_turn): ~100 per comparison


@dataclass
class Side:
    """One of the two: its session and its pages, (label, path)."""

    name: str
    token: str
    pages: list[tuple[str, str]]
    first: str
    navs: dict[str, list] = field(default_factory=dict)

    def sizes(self) -> list[int]:
        return [s for navs in self.navs.values() for n in navs for s in n.sizes]


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


async def in_turn(srv, routes, a: Side, b: Side, rounds: int, warm: int = 2, use_leave: bool = True,
                  bare=None) -> float:
    """`warm` rounds not counted (first loads: imports, caches), then `rounds` rounds: page
    by page, a's navigation then b's, sequential. Fills a.navs and b.navs per label, each
    navigation with its server CPU. `bare` (its Server and Routes, running): BARE_EACH of
    its navigations after each pair, measured the same way, for the unit of the per-page
    CPU figures taken at the same moments (page_cpu); returns their median CPU (ms)."""
    from bench.pages import Tab

    bare_cpu: list[float] = []
    async with aiohttp.ClientSession() as http:
        tabs = [Tab(http, srv.url, routes, side.token, use_leave) for side in (a, b)]
        for tab, side in zip(tabs, (a, b), strict=True):
            await tab.open(side.first)
        bare_tab = None
        if bare:
            bare_tab = Tab(http, bare[0].url, bare[1], secrets.token_hex(8), False)
            await bare_tab.open("/")
        for r in range(warm + rounds):
            for i in range(len(a.pages)):
                for tab, side in zip(tabs, (a, b), strict=True):
                    label, path = side.pages[i]
                    nav = await _measured(srv, tab, path, label)
                    if r >= warm:
                        side.navs.setdefault(label, []).append(nav)
                for _ in range(BARE_EACH if bare_tab else 0):
                    nav = await _measured(bare[0], bare_tab, "/", "bare")
                    if r >= warm:
                        bare_cpu.append(nav.cpu_ms)
        for tab in [*tabs, *([bare_tab] if bare_tab else [])]:
            await tab.close()
    return pct(bare_cpu, 50)


async def _measured(srv, tab, path: str, label: str):
    c0 = srv.cpu_ns()
    nav = await tab.navigate(path, label)
    # What the server does after the hydrating update (the rest of the event's updates,
    # freeing) is this navigation's, not the next one's.
    await asyncio.sleep(0.01)
    nav.cpu_ms = (srv.cpu_ns() - c0) / 1e6
    return nav


@dataclass
class Compared:
    rows: list[list[str]]
    worst_p50: float  # the worst page's a/b p50 ratio
    worst_cpu: float  # the worst page's a/b ratio of median server CPU per navigation
    errors: int


def _ratio(a: float, b: float) -> float:
    return a / b if b and b > 0 and not math.isnan(a) else math.nan


def compare(a: Side, b: Side) -> Compared:
    """Per page: p50 and median server CPU of each, a/b, p95, largest update of each."""
    rows = [["page", f"{a.name} p50 ms", f"{b.name} p50 ms", "p50 ratio", f"{a.name} CPU ms", f"{b.name} CPU ms",
             "CPU ratio", f"{a.name} p95 ms", f"{b.name} p95 ms", f"{a.name} delta max KB", f"{b.name} delta max KB",
             "errors"]]
    out = Compared(rows, 0.0, 0.0, 0)
    for (label, _), _b in zip(a.pages, b.pages, strict=True):
        na, nb = a.navs.get(label, []), b.navs.get(label, [])
        ha, hb = [n.ms for n in na], [n.ms for n in nb]
        ca, cb = pct([n.cpu_ms for n in na], 50), pct([n.cpu_ms for n in nb], 50)
        sa = max((s for n in na for s in n.sizes), default=0) / 1024
        sb = max((s for n in nb for s in n.sizes), default=0) / 1024
        r, rc = _ratio(pct(ha, 50), pct(hb, 50)), _ratio(ca, cb)
        out.worst_p50 = max(out.worst_p50, 0 if math.isnan(r) else r)
        out.worst_cpu = max(out.worst_cpu, 0 if math.isnan(rc) else rc)
        e = sum(len(n.errors) for n in na + nb)
        out.errors += e
        rows.append([label, f"{pct(ha, 50):.1f}", f"{pct(hb, 50):.1f}", f"{r:.2f}", f"{ca:.1f}", f"{cb:.1f}",
                     f"{rc:.2f}", f"{pct(ha, 95):.1f}", f"{pct(hb, 95):.1f}", f"{sa:.1f}", f"{sb:.1f}", str(e)])
    return out


async def rss_per_tab(bench, srv, routes, tokens: list[str], first: str, visit: list[str],
                      use_leave: bool = True) -> tuple[float, int]:
    """KB of server RSS per tab of `tokens` (each opened on `first`, then visiting `visit`):
    the growth over the second half of the tabs; and the errors of their navigations."""
    from bench.pages import Tab

    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async def one(tab: Tab) -> None:
            nonlocal errors
            errors += bool((await tab.open(first)).errors)
            for p in visit:
                errors += bool((await tab.navigate(p)).errors)

        half = len(tokens) // 2
        tabs = [Tab(http, srv.url, routes, t, use_leave) for t in tokens]
        sem = asyncio.Semaphore(4)

        async def limited(tab: Tab) -> None:
            async with sem:
                await one(tab)

        await asyncio.gather(*(limited(t) for t in tabs[:half]))
        await bench.settle(srv)
        rss0 = srv.rss()
        await asyncio.gather(*(limited(t) for t in tabs[half:]))
        await bench.settle(srv)
        rss1 = srv.rss()
        for t in tabs:
            await t.close()
    return (rss1 - rss0) / 1024 / max(1, len(tokens) - half), errors


# --------------------------------------------------------------------------- data
def staff_sessions(db_url: str, token: str, email: str, count: int) -> list[str]:
    """`count` sessions of the staff member `email`, copied from the session of `token`."""
    from bench.pages import clone_sessions

    return clone_sessions(db_url, token, count, email, staff=True)


def firm_largest_dossier(db_url: str, staff_email: str) -> tuple[int, int]:
    """The dossier of `staff_email`'s firm with the most items (shared or not): (id, items)."""
    from sqlalchemy import create_engine, text

    from bench import heavy_data

    engine = create_engine(db_url)
    union = " UNION ALL ".join(f"SELECT dossier_id FROM {t}" for t, _ in heavy_data.KINDS.values())
    sql = (f"SELECT i.dossier_id, COUNT(*) AS n FROM ({union}) i JOIN dossier d ON d.id = i.dossier_id "
           "WHERE d.firm_id = (SELECT firm_id FROM \"user\" WHERE email = :e AND role <> 'client' LIMIT 1) "
           "GROUP BY i.dossier_id ORDER BY n DESC, i.dossier_id LIMIT 1")
    with engine.connect() as c:
        row = c.execute(text(sql), {"e": staff_email}).one()
    engine.dispose()
    return int(row[0]), int(row[1])


def admin_side(name: str, db_url: str, token: str, email: str) -> tuple[Side, int]:
    """The /admin pages of `email`'s firm for one tab of theirs, and the largest dossier's items."""
    dossier, items = firm_largest_dossier(db_url, email)
    pages = [(label, t.format(dossier=f"/admin/dossiers/{dossier}")) for label, t in ADMIN_PAGES]
    return Side(name, token, pages, "/admin/clients"), items


async def admin_phase(bench, srv, routes, db_url: str, token: str, lawyer: str, tabs: int, rounds: int,
                      bare=None) -> dict:
    """The heavy firm's lawyer (`lawyer`) and the demo firm's in turn over the /admin pages,
    then `tabs` tabs of `lawyer` for the RSS per lawyer tab (`srv` running; `token`: any
    real login's session, copied)."""
    lawyer_tokens = staff_sessions(db_url, token, lawyer, tabs + 1)
    a, heavy_items = admin_side("heavy firm", db_url, lawyer_tokens[-1], lawyer)
    b, demo_items = admin_side("demo firm", db_url, staff_sessions(db_url, token, DEMO_LAWYER, 1)[0], DEMO_LAWYER)
    unit = await in_turn(srv, routes, a, b, rounds, bare=bare)
    rss, rss_errors = await rss_per_tab(bench, srv, routes, lawyer_tokens[:tabs], a.first, [p for _, p in a.pages])
    return {"compared": compare(a, b), "sides": (a, b), "rss": rss, "rss_errors": rss_errors, "bare_cpu_ms": unit,
            "items": (heavy_items, demo_items), "tabs": tabs, "rounds": rounds}


def page_cpu(sides: list[Side], unit_ms: float) -> dict[str, float]:
    """Each page's median server CPU per navigation in units of `unit_ms` (the bare app's
    CPU per navigation), keyed `cpu×bare <side>/<page>`: the figure that doubles when that
    page's cost doubles, whatever the other pages do."""
    out = {}
    for side in sides:
        for label, _ in side.pages:
            cpu = pct([n.cpu_ms for n in side.navs.get(label, [])], 50)
            out[f"cpu×bare {side.name}/{label}"] = cpu / unit_ms if unit_ms > 0 else math.nan
    return out


def admin_figures(admin: dict) -> dict[str, float]:
    a, b = admin["sides"]
    return {"admin_ratio": admin["compared"].worst_p50, "admin_cpu_ratio": admin["compared"].worst_cpu,
            "admin_max_delta_kb": max(a.sizes() + b.sizes(), default=0) / 1024, "admin_rss_kb": admin["rss"]}


def admin_text(admin: dict) -> str:
    heavy_items, demo_items = admin["items"]
    return (f"/admin: the heavy firm's lawyer vs the demo firm's, in turn ({admin['rounds']} rounds; firm dossier = "
            f"the firm's largest, {heavy_items:,} items vs {demo_items}); RSS per lawyer tab over {admin['tabs']} "
            f"tabs (each on every page): {admin['rss']:.0f} KB\n" + _table(admin["compared"].rows))


def _table(rows: list[list[str]]) -> str:
    from bench.pages import table

    return table(rows)
