"""Round trips to PostgreSQL, counted on the wire (tests/web/test_round_trips_pg.py).

`WireCounter` is a TCP relay between the app and PostgreSQL (the app's REFLEX_DB_URL is
pointed at it). It counts what the app waits for, whatever the layer that sends it
(SQLAlchemy's pre-ping, psycopg's implicit `BEGIN`, the pool's `ROLLBACK`, the queries, a
new connection's start-up): a round trip is a burst of bytes from the app after the server
has answered (or on a new connection), so a pipeline of statements sent at once is one.
Each round trip is labelled with the first statement it carries (the protocol's Query or
Parse message), for the test's message when a count changes."""
from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import Counter

SSL_REQUEST = 80877103


class _Stream:
    """The app's side of one connection, parsed into messages (only to label round trips)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.started = False
        self.prepared: dict[bytes, str] = {}  # statement name -> its text

    def labels(self, data: bytes) -> list[str]:
        self.buffer += data
        out: list[str] = []
        while True:
            if not self.started:
                if len(self.buffer) < 8:
                    return out
                (length,) = struct.unpack("!i", self.buffer[:4])
                if len(self.buffer) < length:
                    return out
                code = struct.unpack("!i", self.buffer[4:8])[0]
                self.buffer = self.buffer[length:]
                if code != SSL_REQUEST:
                    self.started = True
                    out.append("(connect)")
                continue
            if len(self.buffer) < 5:
                return out
            kind = self.buffer[:1]
            (length,) = struct.unpack("!i", self.buffer[1:5])
            if len(self.buffer) < 1 + length:
                return out
            body, self.buffer = self.buffer[5:1 + length], self.buffer[1 + length:]
            if kind == b"Q":
                out.append(body.rstrip(b"\0").decode("utf-8", "replace"))
            elif kind == b"P":  # Parse: statement name \0 query \0 ...
                name, query = body.split(b"\0", 2)[:2]
                text = query.decode("utf-8", "replace")
                if name:
                    self.prepared[name] = text
                out.append(("PREPARE " if name else "") + text)
            elif kind == b"B":  # Bind: portal \0 statement \0 ...; a statement prepared earlier has a name
                name = body.split(b"\0", 2)[1]
                if name:
                    out.append(self.prepared.get(name, "(prepared)"))


class WireCounter:
    """Listens on 127.0.0.1:`port`, relays to `upstream`; `trips` since the last `reset()`."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.trips = 0
        self.kinds: Counter[str] = Counter()
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.trips, self.kinds = 0, Counter()

    def figures(self) -> tuple[int, dict[str, int]]:
        with self.lock:
            return self.trips, dict(self.kinds)

    def _accept(self) -> None:
        while True:
            try:
                app, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [app, server]
            turn = {"app": False}  # whether the app spoke last (else the server did)
            stream = _Stream()
            threading.Thread(target=self._relay, args=(app, server, turn, stream), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, app, turn, None), daemon=True).start()

    def _relay(self, source: socket.socket, target: socket.socket, turn: dict, stream: _Stream | None) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 16):
                with self.lock:
                    if stream is not None:
                        labels = stream.labels(data)
                        if not turn["app"]:
                            self.trips += 1
                            self.kinds[_kind(labels[0]) if labels else "(more)"] += 1
                        turn["app"] = True
                    else:
                        turn["app"] = False
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


def _kind(statement: str) -> str:
    """A short label: BEGIN, ROLLBACK, SELECT 1, or the statement's first words."""
    words = " ".join(statement.split())
    prefix = "PREPARE " if words.startswith("PREPARE ") else ""
    words = words.removeprefix(prefix)
    if words.upper().startswith("SELECT") and " FROM " in words.upper():
        return prefix + "SELECT … FROM " + words.upper().split(" FROM ", 1)[1].split()[0].lower()
    return prefix + words[:40]
