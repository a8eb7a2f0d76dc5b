"""A minimal Reflex browser, speaking the real event protocol over a websocket
(Engine.IO v4 / Socket.IO, namespace `/_event`), for the attack suite (tests/attack).

It sends what a browser (or an attacker) can send: any handler name, any payload,
any router data; it keeps every frame received so that tests can look for data
that must not reach this connection."""
from __future__ import annotations

import contextlib
import json
import re
import socket
import time
import urllib.parse
import urllib.request
import uuid

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, RejectConnection, Request, TextMessage

ROOT = "reflex___state____state"
PREFIX = "42/_event,"


class WebSocket:
    """A blocking websocket client on wsproto (no threads: frames are read when asked for)."""

    def __init__(self, url: str, headers: dict[str, str]):
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.conn = WSConnection(ConnectionType.CLIENT)
        self.pending: list[str] = []
        self.partial: list[str] = []
        self.connected = False
        target = parts.path + ("?" + parts.query if parts.query else "")
        self.sock.sendall(self.conn.send(Request(host=f"{parts.hostname}:{parts.port}", target=target,
                                                 extra_headers=list(headers.items()))))
        while not self.connected:
            self._read(10)

    def _read(self, timeout: float) -> None:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 20)
        except TimeoutError:
            return
        if not data:
            self.connected = False
            raise ConnectionError("the server closed the connection")
        self.conn.receive_data(data)
        for event in self.conn.events():
            if isinstance(event, AcceptConnection):
                self.connected = True
            elif isinstance(event, RejectConnection):
                raise ConnectionError(f"websocket refused: {getattr(event, 'status_code', '?')}")
            elif isinstance(event, TextMessage):
                self.partial.append(event.data)
                if event.message_finished:
                    self.pending.append("".join(self.partial))
                    self.partial = []
            elif isinstance(event, Ping):
                self.sock.sendall(self.conn.send(event.response()))
            elif isinstance(event, CloseConnection):
                self.connected = False
                raise ConnectionError(f"the server closed the websocket ({event.code})")

    def receive(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._read(left)
        return self.pending.pop(0)

    def send(self, text: str) -> None:
        self.sock.sendall(self.conn.send(Message(data=text)))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sock.sendall(self.conn.send(CloseConnection(code=1000)))
        self.sock.close()


class ReflexSocket:
    def __init__(self, base_url: str, cookie: str = "", page: str = "/connexion", origin: str | None = None):
        """`origin`: the Origin header (default: `base_url`; the app's public address
        when it listens elsewhere)."""
        self.base_url = base_url
        self.token = str(uuid.uuid4())
        self.cookie = cookie
        self.frames: list[str] = []  # every text frame received, raw
        self.updates: list[dict] = []  # the decoded state updates
        self._nonce = 0
        ws_url = base_url.replace("http", "ws", 1) + f"/_event/?token={self.token}&EIO=4&transport=websocket"
        headers = {"Origin": origin or base_url}
        if cookie:
            headers["Cookie"] = cookie
        self.ws = WebSocket(ws_url, headers)
        opening = self.ws.receive(timeout=10)
        assert opening and opening.startswith("0"), opening
        self.ws.send("40/_event,")
        self._until(lambda f: f.startswith("40/_event"), 10)
        self.hydrate(page)

    # ---------------------------------------------------------------- protocol
    def _receive(self, timeout: float) -> str | None:
        frame = self.ws.receive(timeout=timeout)
        if frame is None:
            return None
        if isinstance(frame, bytes):
            frame = frame.decode("utf-8", "replace")
        if frame == "2":  # Engine.IO ping
            self.ws.send("3")
            return frame
        self.frames.append(frame)
        if frame.startswith(PREFIX):
            try:
                kind, data = json.loads(frame[len(PREFIX):])[:2]
            except (ValueError, TypeError):
                return frame
            if kind == "event" and isinstance(data, dict):
                self.updates.append(data)
        return frame

    def _until(self, done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the server in time")
            frame = self._receive(min(left, 1.0))
            if frame is not None and done(frame):
                return

    def send(self, name: str, payload=None, page: str = "/") -> None:
        """Send one event; `page` is the router data's path (with its query string)."""
        path, _, query = page.partition("?")
        router = {"pathname": path, "asPath": page}
        if query:
            router["query"] = dict(urllib.parse.parse_qsl(query))
        event = {"name": name, "payload": {} if payload is None else payload, "router_data": router}
        self.ws.send(PREFIX + json.dumps(["event", event]))

    def hydrate(self, page: str) -> None:
        """What a browser does on (re)connect: hydrate, run the page's on_load, then wait."""
        self.send(f"{ROOT}.hydrate_and_load", {}, page)
        self.settle()

    def settle(self, timeout: float = 30, rounds: int = 2) -> None:
        """Wait until every event sent so far (and what they chained) is processed.

        Events of one tab are processed in order, so a marker event sent last is
        answered last: the marker sets the root's `is_hydrated` through a handler
        whose only effect is that (hydrate resets it, so the answer always carries
        a change). Two rounds, for the events queued by the events processed."""
        for _ in range(rounds):
            self._nonce += 1
            start = len(self.updates)
            self.send(f"{ROOT}.reflex___state____on_load_internal_state.set_is_hydrated", {"value": False})
            self.send(f"{ROOT}.reflex___state____on_load_internal_state.set_is_hydrated", {"value": True})

            def seen_true(_frame, start=start):
                flips = [u.get("delta", {}).get(ROOT, {}).get("is_hydrated_rx_state_") for u in self.updates[start:]]
                flips = [f for f in flips if f is not None]
                return False in flips and flips[-1] is True and flips.index(False) < len(flips) - 1

            self._until(seen_true, timeout)

    def text_since(self, start: int) -> str:
        return "\n".join(self.frames[start:])

    def events_since(self, start: int) -> list[dict]:
        """The client-side events (redirects, scripts, toasts) the server asked for."""
        out = []
        for frame in self.frames[start:]:
            if not frame.startswith(PREFIX):
                continue
            try:
                kind, data = json.loads(frame[len(PREFIX):])[:2]
            except (ValueError, TypeError):
                continue
            if kind == "event" and isinstance(data, dict):
                out += [e for e in data.get("events") or [] if isinstance(e, dict)]
        return out

    def close(self) -> None:
        self.ws.close()


def login_cookie(base_url: str, identifier: str, password: str, origin: str | None = None) -> str:
    """Log in through the real flow: the login form's event, then the ticket exchange
    (the login page's browser key cookie + /api/session/ouvrir). Returns the
    `espace_session=...` cookie pair."""
    sock = ReflexSocket(base_url, page="/connexion", origin=origin)
    try:
        start = len(sock.frames)
        sock.send(f"{ROOT}.espace___web___session____session_state.espace___web___public___login___state____login_state.submit",
                  {"form": {"identifier": identifier, "password": password}}, "/connexion")
        sock.settle()
        script = sock.text_since(start)
    finally:
        sock.close()
    key = re.search(r"espace_connexion=([\w-]+)", script)
    ticket = re.search(r"ticket=([\w-]+)", script)
    assert key and ticket, f"login of {identifier} failed: {script[-500:]}"
    request = urllib.request.Request(f"{base_url}/api/session/ouvrir?ticket={ticket.group(1)}",
                                     headers={"Cookie": f"espace_connexion={key.group(1)}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:
        headers = answer.headers
    else:
        raise AssertionError("the ticket exchange did not redirect")
    for value in headers.get_all("set-cookie") or []:
        match = re.match(r"(espace_session=[^;]+)", value)
        if match:
            return match.group(1)
    raise AssertionError(f"no session cookie for {identifier}")
