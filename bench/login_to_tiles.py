"""Time from clicking « Se connecter » to the firm's name in the header (the frame's
first paint) and to the home tiles being visible (usable home), on a cold browser context
in Chromium (median of N), and the SQL statements that loading /accueil runs on the server.

    .venv/bin/python bench/login_to_tiles.py [N]
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from tests.e2e.appserver import start_app, stop_app

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# The header shows the firm's name: as text (the page's state) or before it (assets/cadre.js).
NAME_SHOWN = ("(() => { const h = document.querySelector('header'); if (!h) return false;"
              " if (h.textContent.includes('Cabinet DELMAS')) return true;"
              " const n = h.querySelector('.firm-name');"
              " return !!n && getComputedStyle(n, '::before').content.includes('Cabinet DELMAS'); })()")


def browser_timings(url: str) -> tuple[list[float], list[float]]:
    out: list[float] = []
    names: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS)
        for _ in range(N + 1):  # the first run warms the server up and is dropped
            ctx = browser.new_context(base_url=url)
            page = ctx.new_page()
            page.goto("/connexion")
            page.get_by_label("Identifiant").fill("academy@secib.fr")
            page.get_by_label("Mot de passe").fill("a12RJ3d11P")
            page.get_by_role("button", name="Se connecter", exact=True).wait_for()
            page.wait_for_function("window.document.readyState === 'complete'")
            start = time.perf_counter()
            page.get_by_role("button", name="Se connecter", exact=True).click()
            page.wait_for_url("**/accueil**")
            page.wait_for_function(NAME_SHOWN, polling="raf")
            names.append((time.perf_counter() - start) * 1000)
            page.get_by_role("link", name="Documents (45)").wait_for(state="visible")
            out.append((time.perf_counter() - start) * 1000)
            ctx.close()
        browser.close()
    return out[1:], names[1:]


def home_statements(data_dir: Path) -> list[str]:
    """The statements of one /accueil load: session check, firm name, home counts."""
    os.environ["DATA_DIR"] = str(data_dir)
    from sqlalchemy import event

    from espace.config import settings
    from espace.db import get_engine, session_scope
    from espace.models import Firm
    from espace.services.accounts import auth
    from espace.services.client import home

    settings.data_dir = data_dir
    result = auth.login("academy@secib.fr", "a12RJ3d11P", "127.0.0.9")
    token, _ = auth.open_session(result.ticket, result.browser_key)
    statements: list[str] = []
    event.listen(get_engine(), "before_cursor_execute", lambda *a: statements.append(a[2].split("\n")[0][:90]))
    user = auth.current_user(token)  # SessionState._client()
    with session_scope() as s:  # SessionState._remember() (first page of a tab only)
        s.get(Firm, user.firm_id)
    home.home(user)  # HomeState.load(): tiles and the deposit zone's dossier choice
    return statements


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-login-"))
    try:
        srv, proc = start_app(data_dir)
        try:
            ms, name_ms = browser_timings(srv.url)
        finally:
            stop_app(proc)
        print(f"login → firm's name in the header, {N} runs: median {statistics.median(name_ms):.0f} ms, "
              f"min {min(name_ms):.0f} ms, max {max(name_ms):.0f} ms")
        print(f"login → tiles visible, {N} runs: median {statistics.median(ms):.0f} ms, "
              f"min {min(ms):.0f} ms, max {max(ms):.0f} ms")
        stmts = home_statements(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # this run's app data only
    print(f"SQL statements for one /accueil load: {len(stmts)}")
    for s in stmts:
        print("   ", s)


if __name__ == "__main__":
    main()
