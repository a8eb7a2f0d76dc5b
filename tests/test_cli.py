"""The command line, run as a person would: `python -m espace ...` in a subprocess."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import infra

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(tmp_path):
    """`cli(*args)` runs the command line on an empty DATA_DIR: a SQLite database in it,
    or with ESPACE_TEST_SCALE=1 an empty PostgreSQL database (REFLEX_DB_URL, dropped
    afterwards). `cli.query(sql, **params)` reads that database."""
    env = {k: v for k, v in os.environ.items() if k not in {"REFLEX_DB_URL", "SECRET_KEY", "DEMO"}}
    env.update(DATA_DIR=str(tmp_path / "var"), PYTHONWARNINGS="ignore")
    pg_name = None
    if os.environ.get("ESPACE_TEST_SCALE") == "1":
        pg_name, env["REFLEX_DB_URL"] = infra.create_database("espace_test_cli")
    url = env.get("REFLEX_DB_URL") or f"sqlite:///{tmp_path / 'var' / 'espace.db'}"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "espace", *args], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=120,
        )

    def query(statement: str, **params) -> list[tuple]:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(sa.text(statement), params)]
        finally:
            engine.dispose()

    run.query = query
    run.env = env
    yield run
    if pg_name:
        infra.drop_database(pg_name)


def users(cli) -> list[tuple]:
    return cli.query('SELECT email, role, firm_id, nom, prenom FROM "user" ORDER BY id')


def test_migrate_then_create_firm_lawyer_client(cli):
    r = cli("migrate")
    assert r.returncode == 0, r.stderr
    assert cli.query("SELECT version_num FROM alembic_version")

    r = cli("create-firm", "--name", "Cabinet TEST", "--sender-email", "contact@test.example")
    assert r.returncode == 0, r.stderr
    firm_id = r.stdout.strip()
    assert firm_id.isdigit()

    r = cli("create-lawyer", "--firm-id", firm_id, "--email", "  Avocat@Test.Example ", "--nom", "DURAND",
            "--prenom", "Anne")
    assert r.returncode == 0, r.stderr
    password = re.search(r"Mot de passe : (\S+)", r.stdout).group(1)
    from espace.services import crypto as security
    from espace.services.accounts import hashing

    assert security.password_problems(password, identifier="avocat@test.example") == []

    r = cli("create-client", "--firm-id", firm_id, "--email", "client@test.example", "--nom", "PETIT",
            "--prenom", "Jean", "--adresse", "1 rue Haute", "--code-postal", "34000", "--ville", "MONTPELLIER",
            "--tel", "04 00 00 00 00", "--mobile", "06 00 00 00 00", "--password", "Petit-Jean-2024")
    assert r.returncode == 0, r.stderr
    assert "Petit-Jean-2024" not in r.stdout  # a chosen password is not echoed

    assert users(cli) == [
        ("avocat@test.example", "lawyer", int(firm_id), "DURAND", "Anne"),
        ("client@test.example", "client", int(firm_id), "PETIT", "Jean"),
    ]
    hashes = dict(cli.query("SELECT email, password_hash FROM account"))
    client = cli.query("SELECT email, adresse, code_postal, ville, tel, mobile FROM client")
    assert hashing.verify_password(password, hashes["avocat@test.example"])
    assert hashing.verify_password("Petit-Jean-2024", hashes["client@test.example"])
    assert client == [("client@test.example", "1 rue Haute", "34000", "MONTPELLIER", "04 00 00 00 00",
                       "06 00 00 00 00")]

    # Refusals: exit code 2, a French message, nothing written.
    r = cli("create-client", "--firm-id", firm_id, "--email", "CLIENT@test.example", "--nom", "X", "--prenom", "Y")
    assert r.returncode == 2
    assert "existe déjà" in r.stderr
    r = cli("create-lawyer", "--firm-id", "999", "--email", "autre@test.example", "--nom", "X", "--prenom", "Y")
    assert r.returncode == 2
    assert "Cabinet introuvable" in r.stderr
    r = cli("create-client", "--firm-id", firm_id, "--email", "faible@test.example", "--nom", "X",
            "--prenom", "Y", "--password", "motdepasse")
    assert r.returncode == 2
    assert "Mot de passe refusé" in r.stderr
    assert len(users(cli)) == 2


def test_demo_loads_nothing_outside_demo_mode(cli):
    assert cli("migrate").returncode == 0
    r = cli("demo")
    assert r.returncode == 0 and "désactivé" in r.stdout and "a12RJ3d11P" not in r.stdout
    assert cli.query('SELECT count(*) FROM "user"') == [(0,)]


def test_demo_loads_once_and_prints_hints(cli):
    assert cli("migrate").returncode == 0
    cli.env["DEMO"] = "1"
    first = cli("demo")
    assert first.returncode == 0, first.stderr
    assert "academy@secib.fr" in first.stdout and "a12RJ3d11P" in first.stdout
    assert "fabien.delmas@example.com" in first.stdout
    second = cli("demo")
    assert second.returncode == 0, second.stderr
    assert "academy@secib.fr" in second.stdout
    assert cli.query("SELECT count(*) FROM firm") == [(2,)]
    assert cli.query("SELECT count(*) FROM document") == [(52,)]


def test_the_counts_migration_backfills_what_recount_counts(cli):
    """Migration f3c9a6d2b8e1 on a database that has data (the demo: items seen and not,
    deposits, answers read and not): its SQL backfill is what the services count from
    scratch (`recount` finds nothing to repair), on SQLite and on PostgreSQL."""
    assert cli("migrate").returncode == 0
    cli.env["DEMO"] = "1"
    assert cli("demo").returncode == 0
    down = subprocess.run([sys.executable, "-m", "alembic", "downgrade", "c4f9a2e7d1b3"], cwd=ROOT, env=cli.env,
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert cli.query("SELECT version_num FROM alembic_version") == [("c4f9a2e7d1b3",)]
    assert cli("migrate").returncode == 0
    luce = cli.query("SELECT cc.kind, cc.shared, cc.unseen FROM client_count cc JOIN client c ON c.id = cc.client_id "
                     "JOIN \"user\" u ON u.id = c.user_id WHERE u.email = 'academy@secib.fr' ORDER BY cc.kind")
    assert dict((k, (n, u)) for k, n, u in luce)["dossiers"][0] > 0
    assert any(u for _, _, u in luce) and any(n > u for _, n, u in luce)  # new items, and seen ones
    checked = cli("recount")
    assert checked.returncode == 0 and "Compteurs des clients : à jour." in checked.stdout, checked.stdout + checked.stderr


def test_help_is_french(cli):
    r = cli("--help")
    assert r.returncode == 0
    assert "affiche cette aide" in r.stdout and "create-client" in r.stdout
