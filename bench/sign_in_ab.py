"""What `sign_in` saves a browser test (tests/e2e/conftest.py): the time from a new browser
tab to Luce's home, through the login page (`login`, as a person does it) and through
`sign_in` (the session made by the services, its cookies set, the home opened), alternated
in one run against one app, so that a loaded machine weighs on both alike. Prints each
round and the medians with their ratio.

    .venv/bin/python bench/sign_in_ab.py [--rounds 6] [--path production|embedded]
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--path", choices=("production", "embedded"), default="production")
    args = parser.parse_args()
    os.environ["ESPACE_E2E_PATH"] = args.path

    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.appserver import start_app, stop_app
    from tests.e2e.conftest import CHROMIUM, LUCE, VIEWPORTS, login, sign_in

    srv, proc = start_app(Path(tempfile.mkdtemp(prefix="sign-in-ab-")))
    times: dict[str, list[float]] = {"login": [], "sign_in": []}
    try:
        srv.open_session(*LUCE)  # the helper process started before the first timed round
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for n in range(args.rounds):
                for how in ("login", "sign_in"):
                    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=srv.url)
                    page = context.new_page()
                    start = time.monotonic()
                    if how == "login":
                        login(page, *LUCE)
                    else:
                        sign_in(page, srv, *LUCE)
                    expect(page).to_have_url(re.compile(r"/accueil/?$"), timeout=30000)
                    expect(page.get_by_role("heading", name="LUCE ALEXANDER")).to_be_visible(timeout=30000)
                    times[how].append(time.monotonic() - start)
                    context.close()
                print(f"round {n + 1}: login {times['login'][-1]:.2f} s, sign_in {times['sign_in'][-1]:.2f} s")
            browser.close()
    finally:
        srv.close_sessions()
        stop_app(proc)
    login_median, sign_in_median = (statistics.median(times[k]) for k in ("login", "sign_in"))
    load = os.getloadavg()[0]
    print(f"{args.path} path, {args.rounds} rounds, load average {load:.1f}: login → home median "
          f"{login_median:.2f} s, sign_in → home median {sign_in_median:.2f} s, ratio {sign_in_median / login_median:.2f}")


if __name__ == "__main__":
    main()
