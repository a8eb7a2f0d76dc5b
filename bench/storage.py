"""Document storage throughput: the object store (a real S3 server, moto_server, on
this machine) against local files, through the storage API (espace/services/storage/)
and, with --http, through the real app's upload and download routes.

    .venv/bin/python bench/storage.py                  # 50 MB, 5 rounds, storage API only (~1 min)
    .venv/bin/python bench/storage.py --size-mb 50 --rounds 3 --http   # + the HTTP routes (~6 min: two app builds)

API: `save_stream` fed 256 KiB chunks (as the upload route gets them), then
`open_chunks` read to the end (as the download route sends it), sha256 checked.
HTTP: `POST /api/depots/{id}` streamed with httpx, then `GET /api/documents/{id}`
streamed, by a logged-in client of the demo, against the app (`python -m espace serve`) with
DATA_DIR/documents, then with the moto bucket. Median MB/s (1 MB = 10^6 bytes) over
the rounds. moto keeps its objects in memory in one Python process: a real object
store (S3, MinIO, Garage...) is another machine away, so the figures say what the
code costs, not what a given network gives."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.s3server import moto_server  # noqa: E402

MB = 1_000_000
CHUNK = 256 * 1024


def payload(size: int) -> bytes:
    block = hashlib.sha256(b"bench").digest() * (1024 * 1024 // 32)
    return (b"%PDF-1.4\n" + block * (size // len(block) + 1))[:size]


async def _feed(data: bytes):
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        yield bytes(view[i:i + CHUNK])
        await asyncio.sleep(0)


def api_round(data: bytes) -> tuple[float, float]:
    from espace.services import storage

    t0 = time.perf_counter()
    stored = asyncio.run(storage.save_stream(_feed(data), lambda s: s))
    up = time.perf_counter() - t0
    t0 = time.perf_counter()
    sha = hashlib.sha256()
    for chunk in storage.open_chunks(stored.key):
        sha.update(chunk)
    down = time.perf_counter() - t0
    assert sha.hexdigest() == stored.sha256 == hashlib.sha256(data).hexdigest()
    storage.delete(stored.key)
    return len(data) / MB / up, len(data) / MB / down


def bench_api(data: bytes, rounds: int, s3) -> dict[str, tuple[float, float]]:
    import os

    from espace.config import settings

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings.data_dir = Path(tmp)
        for name in ("local", "s3"):
            if name == "s3":
                bucket = s3.new_bucket()
                env = s3.env(bucket)
                os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
                settings.s3_bucket, settings.s3_endpoint_url = bucket, env["S3_ENDPOINT_URL"]
                settings.s3_region, settings.s3_prefix = env["S3_REGION"], env["S3_PREFIX"]
            else:
                settings.s3_bucket = None
            api_round(data)  # warm-up (connections, the first bucket write)
            runs = [api_round(data) for _ in range(rounds)]
            results[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        settings.s3_bucket = None
    return results


def http_round(base: str, cookie: str, dossier_id: str, data: bytes) -> tuple[float, float]:
    import httpx

    def body():
        view = memoryview(data)
        for i in range(0, len(data), CHUNK):
            yield bytes(view[i:i + CHUNK])

    headers = {"Cookie": f"espace_session={cookie}", "X-Requested-With": "espace",
               "X-Filename": quote("Bench.pdf"), "Content-Type": "application/octet-stream",
               "Content-Length": str(len(data))}
    with httpx.Client(base_url=base, timeout=300) as client:
        t0 = time.perf_counter()
        r = client.post(f"/api/depots/{dossier_id}", content=body(), headers=headers)
        up = time.perf_counter() - t0
        assert r.status_code == 200, r.text
        doc_id = r.json()["id"]
        t0 = time.perf_counter()
        sha = hashlib.sha256()
        with client.stream("GET", f"/api/documents/{doc_id}?telecharger=1",
                           headers={"Cookie": f"espace_session={cookie}"}) as resp:
            assert resp.status_code == 200
            for chunk in resp.iter_bytes():
                sha.update(chunk)
        down = time.perf_counter() - t0
    assert sha.hexdigest() == hashlib.sha256(data).hexdigest()
    return len(data) / MB / up, len(data) / MB / down


def _login(base: str) -> str:
    """The demo client's session cookie, through the real login (a browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(base_url=base)
        page.goto("/connexion")
        page.get_by_label("Identifiant").fill("academy@secib.fr")
        page.get_by_label("Mot de passe").fill("a12RJ3d11P")
        page.get_by_role("button", name="Se connecter", exact=True).click()
        page.wait_for_url(re.compile(r"/accueil/?$"))
        cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "espace_session")
        browser.close()
    return cookie


def bench_http(data: bytes, rounds: int, s3, workdir: Path) -> dict[str, tuple[float, float]]:
    from tests.e2e.appserver import start_app, stop_app

    results = {}
    for name in ("local", "s3"):
        extra = {"MAX_UPLOAD_MB": str(len(data) // MB + 10)}
        if name == "s3":
            extra.update(s3.env(s3.new_bucket()))
        srv, proc = start_app(workdir / name, extra_env=extra)
        try:
            cookie = _login(srv.url)
            http_round(srv.url, cookie, "1", data)  # warm-up
            runs = [http_round(srv.url, cookie, "1", data) for _ in range(rounds)]
            results[name] = (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        finally:
            stop_app(proc)
    return results


def table(title: str, results: dict[str, tuple[float, float]]) -> None:
    print(f"\n{title}")
    print(f"{'store':<12}{'upload MB/s':>14}{'download MB/s':>16}")
    for name, (up, down) in results.items():
        print(f"{name:<12}{up:>14.0f}{down:>16.0f}")
    if "local" in results and "s3" in results:
        print(f"{'s3/local':<12}{results['s3'][0] / results['local'][0]:>14.2f}"
              f"{results['s3'][1] / results['local'][1]:>16.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--http", action="store_true", help="also through the app's HTTP routes (two app builds)")
    args = parser.parse_args()
    data = payload(args.size_mb * MB)
    with tempfile.TemporaryDirectory() as tmp, moto_server(Path(tmp) / "moto") as s3:
        print(f"{args.size_mb} MB file, median of {args.rounds} rounds; object store: moto_server {s3.url}")
        table("Storage API (save_stream / open_chunks)", bench_api(data, args.rounds, s3))
        if args.http:
            table("HTTP routes (POST /api/depots, GET /api/documents)", bench_http(data, args.rounds, s3, Path(tmp)))


if __name__ == "__main__":
    main()
