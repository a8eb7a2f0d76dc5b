"""Deposit upload cost: one 200 MB file, then 50 files of 1 MB one after the other,
then the same 50 files 6 at a time (as the browser sends a drop: all its files at
once, over at most 6 connections in Chromium), streamed with httpx to the real app (`POST /api/depots/{id}`, `python -m espace serve`, one process) and to a bare
Starlette endpoint served by granian that streams to disk (bench/bare_upload_app.py).
For each: wall time, throughput, and the peak RSS growth of the backend worker
process(es), sampled every 20 ms from /proc and cross-checked with the kernel's
own peak (VmHWM, reset through /proc/<pid>/clear_refs before each scenario).

    .venv/bin/python bench/upload.py [ROUNDS]      # default 7, about 2 minutes

Both servers run at once; each round runs every scenario on both, back to back
(bare first in odd rounds, app first in even ones), each after a `sync` (the
disk's write-back makes single runs noisy). The table gives the median wall time
and the largest RSS growth over the rounds; the throughput ratio is taken per
round (app and bare back to back), and its median is what the target is read on.
Targets (issue 3): app peak RSS growth under 64 MB for the 200 MB file, app
throughput at least half the bare endpoint's. A last pass uploads to the app
alone while another client asks /api/health every 20 ms: its answer times show
whether uploads hold up the event loop that also serves every open page. Both
servers' files are removed at the end (KEEP=1 keeps the app's DATA_DIR, with
its 101 deposited documents per pass, and prints where it is).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.e2e.appserver import start_app, stop_app  # noqa: E402

MB = 1024 * 1024
SEND_CHUNK = 256 * 1024
BLOCK = bytes(range(256)) * (SEND_CHUNK // 256)
PDF_HEAD = b"%PDF-1.4\n"
# (label, files, size, uploads at a time). The browser sends a drop's files at once, and
# Chromium opens at most 6 connections to a host: the last scenario uploads like it.
SCENARIOS = [("1×200 MB", 1, 200 * MB, 1), ("50×1 MB", 50, 1 * MB, 1), ("50×1 MB ×6", 50, 1 * MB, 6)]
RSS_TARGET_MB = 64
ROUNDS = 7  # default; the first argument overrides it
SAMPLE_S = 0.02
LOGIN, PASSWORD = "academy@secib.fr", "a12RJ3d11P"


# --------------------------------------------------------------------------- processes
def _status(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def descendants(root: int) -> list[int]:
    """All processes below `root` (the server's workers), from /proc/*/stat."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == pid]
        found += kids
        frontier += kids
    return sorted(found)


class RssSampler:
    """Sum of the RSS of the given processes, every 20 ms, in a thread; the kernel's
    per-process peak (VmHWM) is reset at start and read at stop."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        return sum(_status(p)["VmRSS"] for p in self.pids)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._rss())
            time.sleep(SAMPLE_S)

    def __enter__(self) -> RssSampler:
        for p in self.pids:
            Path(f"/proc/{p}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        self.baseline = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(self._rss())
        self.hwm_growth = max(0, sum(_status(p)["VmHWM"] for p in self.pids) - self.baseline)

    @property
    def peak(self) -> int:
        return max(self.samples)


# --------------------------------------------------------------------------- uploads
def body(size: int):
    """A PDF-looking body of `size` bytes, generated on the fly (the client never
    holds the file)."""
    yield PDF_HEAD
    left = size - len(PDF_HEAD)
    while left > 0:
        n = min(SEND_CHUNK, left)
        yield BLOCK if n == SEND_CHUNK else BLOCK[:n]
        left -= n


class Prober:
    """GET `url` every 20 ms in a thread while an upload runs: how long the server
    takes to answer anything else meanwhile (its event loop also serves every open
    page's websocket)."""

    def __init__(self, url: str | None):
        self.url, self.times = url, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as probe:
            while not self._stop.is_set():
                t = time.perf_counter()
                probe.get(self.url).raise_for_status()
                self.times.append((time.perf_counter() - t) * 1000)
                time.sleep(SAMPLE_S)

    def __enter__(self) -> Prober:
        if self.url:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.url:
            self._thread.join()


def run_scenario(client: httpx.Client, url: str, headers: dict, count: int, size: int, pids: list[int],
                 check, parallel: int = 1, probe_url: str | None = None) -> dict:
    def send(i: int) -> None:
        name = f"Pièce bench {i + 1:02d} ({size // MB} Mo).pdf"
        r = client.post(url, content=body(size), headers={
            **headers, "Content-Length": str(size), "X-Filename": quote(name),
            "Content-Type": "application/octet-stream"})
        check(r, size)

    os.sync()  # start with no dirty pages of the previous scenario
    with RssSampler(pids) as rss, ThreadPoolExecutor(parallel) as pool, Prober(probe_url) as prober:
        start = time.perf_counter()
        for done in [pool.submit(send, i) for i in range(count)]:
            done.result()
        wall = time.perf_counter() - start
    return {
        "wall": wall,
        "mbps": count * size / MB / wall,
        "base": rss.baseline / MB,
        "peak": rss.peak / MB,
        "growth": (rss.peak - rss.baseline) / MB,
        "hwm_growth": rss.hwm_growth / MB,
        "samples": len(rss.samples),
        "probe": prober.times,
    }


class Target:
    """One server under test: where to post, how to check an answer, whose RSS to watch."""

    def __init__(self, name: str, url: str, headers: dict, root_pid: int, check, warm_up, probe_url=None):
        self.name, self.url, self.headers, self.check, self.warm_up = name, url, headers, check, warm_up
        self.probe_url = probe_url
        self.pids = descendants(root_pid)
        print(f"  {name}: worker processes under {root_pid}: "
              + ", ".join(f"{p} ({_status(p)['VmRSS'] / MB:.0f} MB)" for p in self.pids), flush=True)


# --------------------------------------------------------------------------- the app
def app_session(data_dir: Path) -> tuple[str, int]:
    """A session token for Luce (as the login page gets it) and her first dossier."""
    from espace import db
    from espace.config import settings
    from espace.services.accounts import auth
    from espace.services.client import home

    settings.data_dir = data_dir
    db.reset_engine()
    result = auth.login(LOGIN, PASSWORD, "127.0.0.1")
    assert result.ok, result
    token, user = auth.open_session(result.ticket, result.browser_key)
    return token, int(home.home(user).dossiers[0]["id"])


def deposits_count(dossier_id: int) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from espace.db import session_scope
    from espace.models import Direction, Document

    with session_scope() as s:
        return s.exec(select(func.count()).select_from(Document).where(
            Document.dossier_id == dossier_id, Document.direction == Direction.depose)).one()


@contextmanager
def app_server():
    data_dir = Path(tempfile.mkdtemp(prefix="bench-upload-app-"))
    print(f"app: starting python -m espace serve (DATA_DIR={data_dir}) …", flush=True)
    srv, proc = start_app(data_dir, extra_env={"MAX_UPLOAD_MB": "300"})
    try:
        token, dossier_id = app_session(data_dir)
        url = f"{srv.url}/api/depots/{dossier_id}"
        headers = {"X-Requested-With": "espace", "Cookie": f"espace_session={token}"}

        def check(r: httpx.Response, size: int) -> None:
            assert r.status_code == 200 and r.json().get("ok"), (r.status_code, r.text)

        def warm_up(client: httpx.Client) -> None:
            # The whole path (session, dossier, storage, sniffing), refused as a program: no document.
            r = client.post(url, content=b"MZ" + bytes(1022), headers={**headers, "X-Filename": "echauffement.exe"})
            assert r.status_code == 415, (r.status_code, r.text)

        target = Target("app", url, headers, proc.pid, check, warm_up, probe_url=f"{srv.url}/api/health")
        target.dossier_id, target.data_dir = dossier_id, data_dir
        target.before = deposits_count(dossier_id)
        yield target
    finally:
        stop_app(proc)
        if not os.environ.get("KEEP"):
            shutil.rmtree(data_dir, ignore_errors=True)


# --------------------------------------------------------------------------- bare endpoint
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def bare_server():
    port = _free_port()
    upload_dir = Path(tempfile.mkdtemp(prefix="bench-upload-bare-"))
    print(f"bare: starting granian on port {port} …", flush=True)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "bench.bare_upload_app:app"],
        cwd=ROOT, env={**os.environ, "BARE_UPLOAD_DIR": str(upload_dir)}, start_new_session=True)
    url = f"http://127.0.0.1:{port}/upload"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError:
                break  # 405 on GET: it answers
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the bare endpoint did not start") from None
                time.sleep(0.2)

        def check(r: httpx.Response, size: int) -> None:
            assert r.status_code == 200 and r.json().get("size") == size, (r.status_code, r.text)

        def warm_up(client: httpx.Client) -> None:
            r = client.post(url, content=b"%PDF-1.4\n" + bytes(1015))
            assert r.status_code == 200, r.text

        yield Target("bare", url, {}, proc.pid, check, warm_up)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        shutil.rmtree(upload_dir, ignore_errors=True)


# --------------------------------------------------------------------------- report
def summary(runs: list[dict]) -> dict:
    wall = statistics.median(r["wall"] for r in runs)
    return {"wall": wall, "mbps": statistics.median(r["mbps"] for r in runs),
            "growth": max(r["growth"] for r in runs), "hwm_growth": max(r["hwm_growth"] for r in runs)}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    t0 = time.perf_counter()
    runs: dict[tuple[str, str], list[dict]] = {}
    with app_server() as app, bare_server() as bare, httpx.Client(timeout=httpx.Timeout(300.0)) as client:
        for target in (bare, app):
            target.warm_up(client)
        for rnd in range(1, rounds + 1):
            for label, count, size, parallel in SCENARIOS:
                # Alternate who goes first, so that neither always gets the disk after the other's writes.
                for target in ((bare, app) if rnd % 2 else (app, bare)):
                    res = run_scenario(client, target.url, target.headers, count, size, target.pids, target.check,
                                       parallel)
                    runs.setdefault((label, target.name), []).append(res)
                    print(f"  round {rnd} {label} {target.name}: {res['wall']:.2f} s, {res['mbps']:.0f} MB/s, "
                          f"RSS {res['base']:.0f} → {res['peak']:.0f} MB (+{res['growth']:.1f} MB sampled, "
                          f"+{res['hwm_growth']:.1f} MB VmHWM, {res['samples']} samples)", flush=True)
        # One more pass on the app alone, not counted above: how long /api/health takes meanwhile.
        probes = {}
        for label, count, size, parallel in SCENARIOS:
            times = run_scenario(client, app.url, app.headers, count, size, app.pids, app.check, parallel,
                                 app.probe_url)["probe"]
            probes[label] = (statistics.median(times), max(times), len(times))
        after = deposits_count(app.dossier_id)
    expected = (rounds + 1) * sum(count for _, count, _, _ in SCENARIOS)
    verdict = "OK" if after - app.before == expected else "MISMATCH"
    note = (f"deposited documents in dossier {app.dossier_id}: {app.before} before, {after} after "
            f"(+{after - app.before}, expected +{expected}: {verdict}); app DATA_DIR: {app.data_dir} ({'kept' if os.environ.get('KEEP') else 'removed; KEEP=1 keeps it'})")

    res = {key: summary(v) for key, v in runs.items()}
    rows = [("scenario", "server", "wall s", "MB/s", "peak RSS growth MB (sampled / VmHWM)")]
    for label, *_ in SCENARIOS:
        for who in ("app", "bare"):
            r = res[(label, who)]
            rows.append((label, who, f"{r['wall']:.2f}", f"{r['mbps']:.0f}",
                         f"{r['growth']:.1f} / {r['hwm_growth']:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(f"\nmedian of {rounds} round(s); RSS growth: the largest over the rounds, all backend workers")
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    # The machine's speed drifts between rounds (the bare endpoint's own time varies up to ×2):
    # each round's app and bare runs are back to back, so their ratio is the steadier figure.
    ratios = {label: sorted(b["wall"] / a["wall"] for a, b in zip(runs[(label, "app")], runs[(label, "bare")], strict=False))
              for label, *_ in SCENARIOS}
    for label, *_ in SCENARIOS:
        a, b = res[(label, "app")], res[(label, "bare")]
        r = ratios[label]
        print(f"{label}: app/bare throughput per round: median {statistics.median(r):.2f} "
              f"(from {r[0]:.2f} to {r[-1]:.2f}); ratio of the medians {a['mbps'] / b['mbps']:.2f}")
    print()
    for label, (median, worst, n) in probes.items():
        print(f"during {label} (extra pass): the app's /api/health answered in {median:.1f} ms median, "
              f"{worst:.0f} ms at worst ({n} requests, one every 20 ms)")
    print()
    big = SCENARIOS[0][0]
    growth = max(res[(big, "app")]["growth"], res[(big, "app")]["hwm_growth"])
    print(f"target peak RSS growth < {RSS_TARGET_MB} MB for {big}: "
          f"{'MET' if growth < RSS_TARGET_MB else 'MISSED'} ({growth:.1f} MB)")
    for label, *_ in SCENARIOS:
        ratio = statistics.median(ratios[label])
        print(f"target throughput ≥ 0.5 × bare, {label}: {'MET' if ratio >= 0.5 else 'MISSED'} "
              f"(median per-round ratio {ratio:.2f})")
    print(note)
    print(f"(bench ran in {time.perf_counter() - t0:.0f} s)")
    if verdict != "OK":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
