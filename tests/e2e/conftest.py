"""Browser tests: the real app (`reflex run --env prod`, demo data, own DATA_DIR)
driven by Playwright in Debian's Chromium, on desktop and at 375 px."""
from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

expect.set_options(timeout=15000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
VIEWPORTS = {"bureau": {"width": 1280, "height": 800}, "mobile": {"width": 375, "height": 740}}
LUCE = ("academy@secib.fr", "a12RJ3d11P")
MARC = ("marc.bertrand@example.com", "Bertrand-Demo-2024")
LAWYER = ("fabien.delmas@example.com", "Delmas-Demo-2024")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, port: int) -> dict:
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "BASE_URL": f"http://localhost:{port}",
        "DEMO": "1",
        "REFLEX_USE_NPM": "1",
        "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "LOGIN_IP_MAX_FAILURES": "1000",
    }


class Server:
    def __init__(self, url: str, data_dir: Path, env: dict):
        self.url = url
        self.data_dir = data_dir
        self.env = env

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "espace", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout

    def emails_to(self, address: str) -> list[email.message.EmailMessage]:
        msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(self.outbox.glob("*.eml"))]
        return [m for m in msgs if address in str(m["To"])]

    def link_in_last_email(self, address: str, path: str) -> str:
        msgs = self.emails_to(address)
        assert msgs, f"no email to {address}"
        body = msgs[-1].get_body(preferencelist=("plain",)).get_content()
        match = re.search(rf"https?://\S+{re.escape(path)}\?jeton=[\w-]+", body)
        assert match, body
        return match.group(0)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    data_dir = tmp_path_factory.mktemp("data")
    port = _free_port()
    env = _env(data_dir, port)
    srv = Server(f"http://localhost:{port}", data_dir, env)
    srv.cli("migrate")
    srv.cli("demo")
    log = open(data_dir / "server.log", "w")
    proc = subprocess.Popen(
        ["reflex", "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.time() + 600
    while True:
        if proc.poll() is not None:
            raise RuntimeError("the app did not start:\n" + (data_dir / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{srv.url}/connexion", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError("the app did not answer in time")
        time.sleep(1)
    yield srv
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    }


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(browser, server, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def desktop(browser, server):
    """A desktop page, for tests where the viewport does not matter."""
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=server.url)
    context.set_default_timeout(20000)
    pg = context.new_page()
    yield pg
    context.close()


def login(page, identifier: str, password: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def assert_no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the viewport"
