"""Two app instances (two ports, two DATA_DIRs: two machines) sharing one PostgreSQL
database, one Redis and one object store (a real S3 server: moto_server) serve the
same client: a deposit through the browser on one is listed and downloaded, same
bytes, on the other; the firm logo set on one is served by the other."""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.appserver import start_app, stop_app
from tests.e2e.conftest import LAWYER, VIEWPORTS, login
from tests.infra import postgres_database, redis_server

# Starts its own PostgreSQL / Redis / S3 apps: run once, by `make test` (not again by test-scale).
pytestmark = pytest.mark.production_path

MB = 1024 * 1024


@pytest.fixture(scope="module")
def instances(s3_server, tmp_path_factory):
    """(first, second): `migrate` and `demo` run once, by the first."""
    bucket = s3_server.new_bucket()
    with postgres_database() as db_url, redis_server(tmp_path_factory.mktemp("redis")) as redis:
        shared = {"REFLEX_DB_URL": db_url, "REFLEX_REDIS_URL": redis.url, "SECRET_KEY": secrets.token_hex(32),
                  **s3_server.env(bucket, prefix="cabinet/")}
        first, first_proc = start_app(tmp_path_factory.mktemp("machine-a"), extra_env=shared)
        try:
            second, second_proc = start_app(tmp_path_factory.mktemp("machine-b"), extra_env=shared, prepare=False)
            try:
                yield first, second, s3_server, bucket
            finally:
                stop_app(second_proc)
        finally:
            stop_app(first_proc)


def _new_client(srv) -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:6]
    identifier, password = f"partage-{tag}@example.com", "Depot-Mot2passe"
    srv.cli("create-client", "--firm-id", "1", "--email", identifier, "--nom", f"PARTAGE{tag.upper()}",
            "--prenom", "Alex", "--password", password)
    out = srv.cli("create-dossier", "--firm-id", "1", "--reference", f"2026PART/{tag}", "--label", "PARTAGE / ESSAI",
                  "--client-email", identifier, "--interlocutor-email", "fabien.delmas@example.com")
    return identifier, password, re.search(r"n° (\d+)", out).group(1)


def test_deposit_on_one_instance_is_downloaded_from_the_other(browser, instances, tmp_path):
    first, second, s3, bucket = instances
    identifier, password, dossier_id = _new_client(first)
    body = (b"%PDF-1.4\n" + hashlib.sha256(b"partage").digest() * (MB // 32) * 13)[: 12 * MB + 345]
    (tmp_path / "Relevé de compte.pdf").write_bytes(body)

    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=first.url)
    context.set_default_timeout(20000)
    page = context.new_page()
    login(page, identifier, password)
    expect(page).to_have_url(re.compile(r"/accueil/?$"))
    page.goto(f"/dossiers/{dossier_id}")
    expect(page.get_by_role("heading", name="PARTAGE / ESSAI")).to_be_visible()
    page.get_by_label("Glissez-déposez vos documents ici ou cliquez pour les sélectionner").set_input_files(
        str(tmp_path / "Relevé de compte.pdf"))
    expect(page.get_by_role("list", name="Envois en cours")).to_contain_text("Déposé", timeout=60000)

    # The same browser (same session cookie: the session lives in the shared database)
    # on the other instance.
    page.goto(f"{second.url}/dossiers/{dossier_id}")
    expect(page.get_by_role("heading", name="PARTAGE / ESSAI")).to_be_visible()
    page.get_by_role("tab", name=re.compile(r"^Documents déposés \(1\)")).click()
    expect(page.get_by_role("tabpanel")).to_contain_text("Relevé de compte.pdf")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger Relevé de compte.pdf").click()
    assert download.value.url.startswith(second.url)
    assert hashlib.sha256(download.value.path().read_bytes()).hexdigest() == hashlib.sha256(body).hexdigest()
    context.close()

    # The file is in the object store only (private: no anonymous read), under the prefix.
    client = s3.client()
    objects = client.list_objects_v2(Bucket=bucket, Prefix="cabinet/")["Contents"]
    assert [o["Size"] for o in objects].count(len(body)) == 1
    for srv in (first, second):
        local = srv.data_dir / "documents"
        assert not local.exists() or not any(local.iterdir())
    for srv in (first, second):
        out = srv.cli("check-storage")
        assert f"s3://{bucket}/cabinet/" in out and "Résultat : aucune anomalie." in out


def test_logo_set_on_one_instance_is_served_by_the_other(browser, instances):
    from tests.services.deposits.test_deposits import png_bytes

    first, second, _, _ = instances
    png = png_bytes()
    context = browser.new_context(viewport=VIEWPORTS["bureau"], locale="fr-FR", base_url=first.url)
    page = context.new_page()
    login(page, *LAWYER)  # the firm's administrator
    expect(page).not_to_have_url(re.compile(r"/connexion"))
    resp = page.request.post(f"{first.url}/api/admin/logo", data=png, headers={"X-Requested-With": "espace"})
    assert resp.status == 200, resp.text()
    served = page.request.get(f"{second.url}/api/logo")
    assert served.status == 200 and served.body() == png
    assert served.headers["content-type"] == "image/png"
    context.close()
