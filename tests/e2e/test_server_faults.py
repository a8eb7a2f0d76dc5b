"""Redis down under the production server (`python -m espace serve --workers 2`, PostgreSQL,
a private redis-server this file stops, freezes and starts again), as a client and a load
balancer see it:

- the open tab says « Service momentanément indisponible » within 5 s of a click instead of
  hanging (Redis stopped: connection refused; Redis frozen with SIGSTOP: connections accepted,
  nothing answered), in French, axe-clean, at 1280 and 375 px: an action « … n'a pas été prise
  en compte », a page opened « … la page s'affichera d'elle-même dès son retour. »;
- `/api/health` answers 503 naming Redis (and nothing of its address) while it is down;
- when Redis is back the page opened during the outage appears by itself (a link followed in
  the open tab, and a tab opened by its address), nobody clicks or reloads; the same tab goes
  on, on the same session."""
from __future__ import annotations

import json
import os
import re
import signal
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from espace.domain import faults
from tests.e2e.appserver import start_app, stop_app
from tests.e2e.conftest import LUCE, VIEWPORTS, assert_no_horizontal_scroll, sign_in
from tests.e2e.test_accessibility import Audit
from tests.infra import postgres_database, redis_server

pytestmark = [pytest.mark.e2e, pytest.mark.production_path]

UNAVAILABLE = "Service momentanément indisponible"
# The bound the issue sets for « a French answer instead of a hanging page ».
ANSWER_WITHIN_MS = 5000


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("redis-faults")
    with postgres_database() as db_url, redis_server(data_dir / "redis") as redis:
        srv, proc = start_app(data_dir, extra_env={"REFLEX_DB_URL": db_url, "REFLEX_REDIS_URL": redis.url},
                              workers=2)
        try:
            yield srv, redis
        finally:
            if redis.proc is not None:
                os.kill(redis.proc.pid, signal.SIGCONT)
            stop_app(proc)


def health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/api/health", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_health(page, url: str, status: int) -> dict:
    """The probe's answer once it is `status` (its answers are cached up to 1 s)."""
    seen: list = []

    def answered() -> bool:
        seen.append(health(url))
        return seen[-1][0] == status

    for _ in range(40):
        if answered():
            return seen[-1][1]
        page.wait_for_timeout(250)
    raise AssertionError(f"/api/health never answered {status}: {seen[-3:]}")


def _stop(redis) -> None:
    redis.stop()


def _freeze(redis) -> None:
    os.kill(redis.proc.pid, signal.SIGSTOP)


def _back(redis, fault: str) -> None:
    if fault == "arrêté":
        redis.start()
    else:
        os.kill(redis.proc.pid, signal.SIGCONT)


@pytest.mark.parametrize(("viewport", "fault"), [("bureau", "arrêté"), ("mobile", "gelé")])
def test_redis_down_gives_a_french_answer_and_the_tab_goes_on(browser, redis_app, viewport, fault):
    srv, redis = redis_app
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=srv.url)
    context.set_default_timeout(30000)
    page = context.new_page()
    try:
        sign_in(page, srv, *LUCE)
        expect(page.get_by_text("Accéder à").first).to_be_visible()
        assert health(srv.url) == (200, {"status": "ok"})

        (_stop if fault == "arrêté" else _freeze)(redis)
        other = context.new_page()
        try:
            toast = page.locator("[data-sonner-toast]").filter(has_text=UNAVAILABLE)
            # An action: refused, said so.
            page.get_by_role("button", name="Déconnexion").click()
            expect(toast).to_contain_text("Réessayez dans quelques instants", timeout=ANSWER_WITHIN_MS)

            # A page opened: it says it will appear by itself.
            page.get_by_role("link", name=re.compile(r"Dossiers")).first.click()
            expect(toast).to_contain_text(faults.SERVICE_DOWN_LOADING, timeout=ANSWER_WITHIN_MS)
            expect(page.get_by_role("heading", name="Dossiers (4)")).to_have_count(0)
            expect(page.get_by_text(re.compile(r"An error occurred|Une erreur est survenue"))).to_have_count(0)
            assert_no_horizontal_scroll(page)
            audit = Audit(viewport)
            audit.run(page, f"Redis {fault}")
            assert audit.blocking == []

            # A page opened by its address during the outage says so too.
            other.goto("/accueil")
            expect(other.locator("[data-sonner-toast]").filter(has_text=faults.SERVICE_DOWN_LOADING)).to_be_visible(
                timeout=ANSWER_WITHIN_MS)

            body = wait_health(page, srv.url, 503)
            assert body == {"status": "error", "down": ["redis"]}
            assert str(redis.port) not in json.dumps(body)
        finally:
            _back(redis, fault)

        # Back: both pages appear by themselves (nobody clicks, nobody reloads), and the
        # message goes; the same tab goes on, on the same session.
        expect(page.get_by_role("heading", name="Dossiers (4)")).to_be_visible()
        expect(other.get_by_text("Accéder à").first).to_be_visible()
        expect(toast).to_have_count(0)
        other.close()
        page.get_by_role("link", name="ALEXANDER / PRUD'HOMMES").click()
        expect(page.get_by_text("2023IIDOS/1102").first).to_be_visible()
        page.get_by_role("link", name="Accueil").first.click()
        expect(page.get_by_text("Accéder à").first).to_be_visible()
        assert "/connexion" not in page.url
    finally:
        context.close()
