"""A real `localstripe` server (Stripe-compatible API, fake Stripe.js, signed webhooks)
for the payment tests: started on a free port, stopped at the end."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalStripe:
    def __init__(self, port: int, proc: subprocess.Popen):
        self.port = port
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    @property
    def env(self) -> dict:
        return {"STRIPE_API_BASE": self.url, "STRIPE_JS_URL": self.js_url}

    def request(self, method: str, path: str, data: dict | list | None = None, key: str | None = None):
        """(status, JSON body) of one call; `key` a secret key (Bearer) when needed."""
        body = urllib.parse.urlencode(data or {}).encode() if method != "GET" else None
        req = urllib.request.Request(self.url + path, data=body, method=method)
        if key:
            req.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw.strip().startswith(b"{") else {}

    def register_webhook(self, name: str, url: str, secret: str, events=EVENTS) -> None:
        data = [("url", url), ("secret", secret)] + [("events[]", e) for e in events]
        status, _ = self.request("POST", f"/_config/webhooks/{name}", data)
        assert status == 200, status

    def card_token(self, number: str, publishable_key: str = "pk_test_browser") -> str:
        """What Stripe.js does in the browser: the card goes to Stripe, a token comes back."""
        status, body = self.request("POST", "/v1/tokens", {
            "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2030", "card[cvc]": "123",
            "key": publishable_key})
        assert status == 200, body
        return body["id"]

    def authenticate(self, client_secret: str, success: bool, publishable_key: str = "pk_test_browser") -> dict:
        """What Stripe.js does for 3-D Secure once the client answers the bank's prompt."""
        intent = client_secret.split("_secret_")[0]
        status, body = self.request("POST", f"/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}",
                                    {"key": publishable_key, "client_secret": client_secret})
        assert status == 200, body
        return body

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def start_localstripe(log_path: Path | None = None) -> LocalStripe:
    port = _free_port()
    exe = Path(sys.executable).parent / "localstripe"
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115  (open while the server runs)
    # --from-scratch: never load another run's store (localstripe keeps one in /tmp).
    proc = subprocess.Popen([str(exe), "--port", str(port), "--from-scratch"], stdout=log, stderr=subprocess.STDOUT,
                            cwd=tempfile.gettempdir(), start_new_session=True)
    server = LocalStripe(port, proc)
    deadline = time.time() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError("localstripe did not start" + (f": see {log_path}" if log_path else ""))
        try:
            with urllib.request.urlopen(server.js_url, timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            pass
        if time.time() > deadline:
            server.stop()
            raise RuntimeError("localstripe did not answer in time")
        time.sleep(0.2)
