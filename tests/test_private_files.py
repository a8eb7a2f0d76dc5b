"""Private files (issue 22, item 5): DATA_DIR and what the portal writes in it — the
database, the documents, the outbox — and the backups are readable by the user that
runs it only (0700 / 0600), even when it was started with a loose umask (022);
`check-storage` reports looser modes and `--fix-modes` repairs them."""
from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from espace.private_files import loose_modes
from tests.test_cli import ROOT

LOOSE_UMASK = 0o022


def modes(root: Path) -> dict[str, int]:
    """Every file and directory under `root` (itself included) -> its permission bits."""
    out = {".": stat.S_IMODE(root.stat().st_mode)}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(top) / name
            out[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return out


def open_to_others(root: Path) -> dict[str, str]:
    return {name: f"{mode:04o}" for name, mode in modes(root).items() if mode & 0o077}


@pytest.fixture
def loose_umask():
    old = os.umask(LOOSE_UMASK)
    yield
    os.umask(old)


def espace(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`python -m espace …` started with a loose umask, as a careless service file would."""
    return subprocess.run([sys.executable, "-m", "espace", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180, preexec_fn=lambda: os.umask(LOOSE_UMASK))


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"REFLEX_DB_URL", "SECRET_KEY", "DEMO", "SMTP_HOST"}}
    env.update(DATA_DIR=str(tmp_path / "var"), PYTHONWARNINGS="ignore", DEMO="1")
    return env


# --------------------------------------------------------------------------- the commands, as run in production
def test_the_commands_write_private_files_and_check_storage_repairs_loose_ones(tmp_path, env):
    data = tmp_path / "var"
    for args in (("migrate",), ("demo",),
                 ("create-client", "--firm-id", "1", "--email", "paul.martin@example.com", "--nom", "MARTIN",
                  "--prenom", "Paul"),  # an account of the other firm: told by email
                 ("worker", "--once"), ("backup", str(tmp_path / "sauvegarde"))):
        done = espace(env, *args)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    files = modes(data)
    assert files["."] == 0o700 and files["documents"] == 0o700 and files["outbox"] == 0o700
    assert files["espace.db"] == 0o600 and files["secret.key"] == 0o600
    assert len([f for f in files if f.startswith("documents/")]) == 52
    assert [f for f in files if f.startswith("outbox/") and f.endswith(".eml")], "the invitation's email"
    assert open_to_others(data) == {}
    backup = modes(tmp_path / "sauvegarde")
    assert backup["."] == 0o700 and backup["manifest.json"] == 0o600 and backup["tables/012_user.jsonl"] == 0o600
    assert len([f for f in backup if f.startswith("documents/")]) == 52
    assert open_to_others(tmp_path / "sauvegarde") == {}
    report = espace(env, "check-storage")
    assert report.returncode == 0, report.stdout
    assert f"Droits trop ouverts dans {data} (lisibles par d'autres utilisateurs) : 0" in report.stdout
    _check_storage_reports_then_fix_modes_repairs(data, env)


def _check_storage_reports_then_fix_modes_repairs(data: Path, env: dict[str, str]) -> None:
    document = sorted((data / "documents").iterdir())[0]
    # As an older version left them: world-readable database, documents and directory.
    for path, mode in ((data, 0o755), (data / "espace.db", 0o644), (document, 0o644), (data / "documents", 0o755)):
        path.chmod(mode)
    report = espace(env, "check-storage")
    assert report.returncode == 1
    # (SQLite's -wal and -shm files, made by this very check, take the database's 0644.)
    reported = [line.split()[1] for line in report.stdout.splitlines() if line.startswith(("  fichier", "  dossier"))]
    assert {p for p in reported if not p.startswith(str(data / "espace.db-"))} == {
        str(data), str(data / "espace.db"), str(data / "documents"), str(document)}
    assert f"Droits trop ouverts dans {data} (lisibles par d'autres utilisateurs) : {len(reported)}" in report.stdout
    assert f"  fichier {data / 'espace.db'}  0644 → 0600  à corriger (--fix-modes)" in report.stdout
    assert f"  dossier {data / 'documents'}  0755 → 0700  à corriger (--fix-modes)" in report.stdout
    assert "Résultat : anomalies à examiner." in report.stdout
    assert {k: v for k, v in open_to_others(data).items() if not k.startswith("espace.db-")} == {
        ".": "0755", "espace.db": "0644", "documents": "0755", f"documents/{document.name}": "0644"}
    fixed = espace(env, "check-storage", "--fix-modes")
    assert fixed.returncode == 0, fixed.stdout
    assert f"  fichier {document}  0644 → 0600  corrigé" in fixed.stdout
    assert "Résultat : aucune anomalie." in fixed.stdout
    assert open_to_others(data) == {}
    assert espace(env, "check-storage").returncode == 0
    assert "--fix-modes" in espace(env, "check-storage", "-h").stdout


# --------------------------------------------------------------------------- in the process, without the umask
def test_a_new_database_and_secret_are_private(data_dir, loose_umask):
    from espace import db
    from espace.config import settings

    db.get_engine().connect().close()
    assert settings.secret
    found = modes(data_dir)
    assert found["."] == 0o700 and found["espace.db"] == 0o600 and found["secret.key"] == 0o600
    assert open_to_others(data_dir) == {}


def test_a_deposit_an_email_and_a_backup_are_private(demo, tmp_path, loose_umask):
    from espace.config import settings
    from espace.services import backup
    from espace.services.client.deposit import deposit_stream
    from espace.services.mail import mailer
    from tests.admin_helpers import user
    from tests.services.deposits.test_deposits import Feed
    from tests.test_backup import _stamp_head

    client = user(demo["client_user_id"])
    before = set(settings.documents_dir.iterdir())
    result = asyncio.run(deposit_stream(client, demo["dossier_ids"][0], "piece.txt", Feed(b"Bonjour\n")))
    assert result.ok
    (new,) = set(settings.documents_dir.iterdir()) - before
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    path = Path(mailer.send("luce@example.com", "Essai", "password_reset",
                            {"name": "Luce", "link": "http://localhost:3000/x", "minutes": 60}))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _stamp_head()  # the `demo` fixture's schema comes from create_all
    summary = backup.backup(tmp_path / "sauvegarde")
    assert summary.documents > 0
    assert open_to_others(tmp_path / "sauvegarde") == {}


def test_loose_modes_sees_what_of_the_portals_files_others_may_open(tmp_path):
    root = tmp_path / "d"
    (root / "documents" / "sub").mkdir(parents=True, mode=0o700)
    root.chmod(0o700)
    (root / "documents").chmod(0o700)
    (root / "documents" / "sub" / "a").write_bytes(b"x")
    (root / "documents" / "sub" / "a").chmod(0o640)
    (root / "documents" / "b").write_bytes(b"x")
    (root / "documents" / "b").chmod(0o600)
    (root / "documents" / "lien").symlink_to(root / "documents" / "b")  # a link's own mode means nothing
    (root / "secret.key").write_bytes(b"x")
    (root / "secret.key").chmod(0o604)
    (root / "server.log").write_bytes(b"x")  # not the portal's: the operator's
    (root / "server.log").chmod(0o644)
    assert [(x.path.name, x.mode, x.wanted) for x in loose_modes(root)] == [
        ("secret.key", 0o604, 0o600), ("a", 0o640, 0o600)]
