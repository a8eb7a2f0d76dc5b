"""Login → usable home, BEFORE/AFTER: two app trees served side by side (each its own
build and demo data, tests/e2e/appserver.py start_app), the demo client logging in on a
cold browser context, alternating between them. Measured inside the /accueil document
(ms from that navigation's start, i.e. from the session-opening redirect): first
contentful paint, the firm's name in the header, the home tiles visible. Medians of N.

    .venv/bin/python bench/frame_ab.py /path/to/before-tree /path/to/after-tree [N]

(a tree: a checkout with its .venv, e.g. `git archive <commit> | tar -x` + a .venv link)"""
import statistics
import subprocess
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TREES = {"before": sys.argv[1], "after": sys.argv[2]}
N = int(sys.argv[3]) if len(sys.argv) > 3 else 11
SNIP = ("import sys, tempfile; from pathlib import Path; from tests.e2e.appserver import start_app, stop_app; "
        "srv, proc = start_app(Path(tempfile.mkdtemp(prefix='ab-'))); print(srv.url, flush=True); "
        "sys.stdin.read(); stop_app(proc)")
INIT = """(() => { if (!location.pathname.startsWith('/accueil')) return; const t = {}; window.__t = t;
  const shown = () => { const h = document.querySelector('header'); if (!h) return false;
    if (h.textContent.includes('Cabinet DELMAS')) return true; const n = h.querySelector('.firm-name');
    return !!n && getComputedStyle(n, '::before').content.includes('Cabinet DELMAS'); };
  const tick = () => { const now = performance.now();
    if (t.name === undefined && shown()) t.name = now;
    if (t.tiles === undefined && [...document.querySelectorAll('a')].some(a => a.textContent.startsWith('Documents (45)'))) t.tiles = now;
    if (t.name === undefined || t.tiles === undefined) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); })();"""
procs, urls = {}, {}
for name, tree in TREES.items():
    procs[name] = subprocess.Popen([f"{tree}/.venv/bin/python", "-c", SNIP], cwd=tree, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
for name, p in procs.items():
    urls[name] = p.stdout.readline().strip()
res = {n: {"fcp": [], "name": [], "tiles": []} for n in TREES}
try:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for i in range(N + 1):
            for name in (list(TREES) if i % 2 else list(reversed(list(TREES)))):
                ctx = browser.new_context(base_url=urls[name])
                ctx.add_init_script(INIT)
                page = ctx.new_page()
                page.goto("/connexion")
                page.locator("form[data-hydrated='true']").wait_for()
                page.get_by_label("Identifiant").fill("academy@secib.fr")
                page.get_by_label("Mot de passe").fill("a12RJ3d11P")
                page.get_by_role("button", name="Se connecter", exact=True).click()
                page.wait_for_url("**/accueil**")
                page.get_by_role("link", name="Documents (45)").wait_for(state="visible")
                page.wait_for_function("window.__t && window.__t.name !== undefined && window.__t.tiles !== undefined")
                t = page.evaluate("({...window.__t, fcp: (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime})")
                ctx.close()
                if i:
                    for k in ("fcp", "name", "tiles"):
                        res[name][k].append(t[k])
        browser.close()
finally:
    for p in procs.values():
        p.stdin.close()
    for p in procs.values():
        p.wait(timeout=120)
for name, r in res.items():
    print(name + ": " + ", ".join(f"{k} median {statistics.median(v):.0f} ms (min {min(v):.0f}, max {max(v):.0f})"
                                  for k, v in r.items()) + f", n={len(r['fcp'])}", flush=True)
