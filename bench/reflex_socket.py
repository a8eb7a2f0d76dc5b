"""A Reflex tab as a script sees it: Engine.IO v4 / Socket.IO over a websocket
(see /work/shared/notes/reflex-facts.md), for the benchmarks."""
from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp

ROOT_STATE = "reflex___state____state"
SESSION = f"{ROOT_STATE}.espace___web___session____session_state"
HOME = f"{SESSION}.espace___web___client___home___state____home_state"
LOGIN = f"{SESSION}.espace___web___public___login___state____login_state"


class Socket:
    """One Reflex tab speaking Engine.IO v4 / Socket.IO over a websocket."""

    def __init__(self, http: aiohttp.ClientSession, url: str, cookie: str | None = None,
                 headers: dict | None = None):
        self.http, self.url, self.cookie, self.extra_headers = http, url, cookie, headers or {}
        self.token = str(uuid.uuid4())
        self.updates: asyncio.Queue = asyncio.Queue()
        self.scripts: asyncio.Queue = asyncio.Queue()  # events sent back (rx.call_script…), as JSON

    async def open(self, path: str) -> None:
        headers = {"Origin": self.url, **self.extra_headers}
        if self.cookie:
            headers["Cookie"] = self.cookie
        ws_url = self.url.replace("http", "ws", 1) + f"/_event/?token={self.token}&EIO=4&transport=websocket"
        self.ws = await self.http.ws_connect(ws_url, headers=headers, max_msg_size=0)
        opening = await self.ws.receive_str()
        assert opening.startswith("0"), opening
        await self.ws.send_str("40/_event,{}")
        self.reader = asyncio.create_task(self._read())
        self.path = path
        await self.emit(f"{ROOT_STATE}.hydrate", {})

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            if msg.data == "2":
                await self.ws.send_str("3")
            elif msg.data.startswith("42/_event,"):
                name, body = json.loads(msg.data[len("42/_event,"):])[:2]
                if name == "event":
                    self.updates.put_nowait(body.get("delta", {}))
                    for event in body.get("events", []):
                        self.scripts.put_nowait(json.dumps(event))

    async def emit(self, name: str, payload: dict) -> None:
        router = {"pathname": self.path, "asPath": self.path, "query": {}}
        await self.ws.send_str("42/_event," + json.dumps(["event", {"name": name, "payload": payload,
                                                                     "router_data": router}]))

    async def wait(self, state: str, var: str, value, timeout: float = 120) -> None:
        deadline = time.perf_counter() + timeout
        while True:
            delta = await asyncio.wait_for(self.updates.get(), deadline - time.perf_counter())
            if delta.get(state, {}).get(f"{var}_rx_state_", object()) == value:
                return

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
