"""`python -m espace backup` / `restore`: a round trip compares every row of every table and every
file's sha256, on SQLite → SQLite, PostgreSQL → PostgreSQL and SQLite → PostgreSQL; a restore
refuses a non-empty database, a tampered or incomplete backup, and changes nothing when it fails."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from espace import db
from espace.__main__ import main as cli
from espace.config import settings
from espace.services import storage
from espace.services.backup import archive, create, schema
from tests.infra import postgres_database


def _use(data_dir: Path, url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the app at this DATA_DIR and database (None: SQLite in DATA_DIR)."""
    monkeypatch.setattr(settings, "data_dir", data_dir)
    monkeypatch.setattr(settings, "db_url", url)
    settings.__dict__.pop("secret", None)
    db.reset_engine()
    data_dir.mkdir(parents=True, exist_ok=True)


def _stamp_head() -> None:
    """The `demo` fixture builds its schema with create_all: record it as Alembic's head."""
    from alembic import command
    from alembic.config import Config

    command.stamp(Config(str(schema.ROOT / "alembic.ini")), "head")


def _extras() -> None:
    """A few rows beyond the demo: odd text, binary files (a document and a logo), an email."""
    from espace.models import Document, Firm, Message, OutboxEmail
    from espace.models.dossiers import Direction
    from espace.models.messages import MessageDirection

    with db.session_scope() as s:
        firm = s.exec(sa.select(Firm).order_by(Firm.id)).scalars().first()
        doc = s.exec(sa.select(Document).order_by(Document.id)).scalars().first()
        assert firm is not None and doc is not None
        logo = bytes(range(256)) * 40
        key, size, sha = storage.save_bytes(logo)
        firm.logo_key, firm.logo_content_type = key, "image/png"
        data = b"\x00\xff binaire \r\n" * 5000
        key, size, sha = storage.save_bytes(data)
        s.add(Document(dossier_id=doc.dossier_id, direction=Direction.depose, name="Pièce « n° 2 » — été.bin",
                       doc_date=date(2024, 2, 29), storage_key=key, size=size, sha256=sha,
                       content_type="application/octet-stream", uploaded_by_id=doc.uploaded_by_id,
                       shared_at=datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)))
        s.add(Message(firm_id=firm.id, dossier_id=doc.dossier_id, sender_id=1, direction=MessageDirection.client,
                      subject="Objet ‘é’ \"quoted\"", body="ligne 1\nligne 2 — 🙂\ttab"))
        s.add(OutboxEmail(firm_id=firm.id, to="x@example.org", subject="Sujet", template="message",
                          context_json=json.dumps({"a": "é"}), status="failed", attempts=10, last_error="550"))
        s.add(firm)
        s.commit()


def _everything() -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Every row of every table (as the backup encodes it) and every referenced file's sha256."""
    rows: dict[str, list[dict]] = {}
    with db.get_engine().connect() as conn:
        for table in archive.tables():
            rows[table.name] = list(archive.table_rows(conn, table))
    keys = {r["storage_key"] for r in rows["document"]} | {r["logo_key"] for r in rows["firm"] if r["logo_key"]}
    files = {key: hashlib.sha256(b"".join(storage.open_chunks(key))).hexdigest() for key in keys}
    return rows, files


def _load_demo_into_postgres() -> None:
    from espace import demo

    schema.migrate()
    assert demo.load_demo()


def _round_trip(tmp_path: Path, monkeypatch, target_url: str | None, capsys) -> None:
    """Back up what the app points at now, restore it into `target_url` with a new DATA_DIR,
    and compare everything."""
    _extras()
    before_rows, before_files = _everything()
    secret = settings.secret
    assert cli(["backup", str(tmp_path / "sauvegarde")]) == 0
    out = capsys.readouterr().out
    print(out)
    assert "Sauvegarde écrite" in out
    _use(tmp_path / "cible", target_url, monkeypatch)
    assert cli(["restore", str(tmp_path / "sauvegarde")]) == 0
    out = capsys.readouterr().out
    print(out)
    assert "Restauration terminée" in out
    after_rows, after_files = _everything()
    assert sum(len(r) for r in before_rows.values()) > 100
    for table, rows in before_rows.items():
        assert after_rows[table] == rows, table
    assert after_files == before_files and len(before_files) >= 50
    assert settings.secret == secret  # the restored DATA_DIR has the app's key: stored secrets stay readable
    # New rows get new ids (PostgreSQL's sequences were moved past the restored ids).
    from espace.models import Message

    with db.session_scope() as s:
        msg = Message(firm_id=1, dossier_id=before_rows["dossier"][0]["id"], sender_id=1,
                      direction="client", subject="après", body="après")
        s.add(msg)
        s.commit()
        assert msg.id == max(r["id"] for r in before_rows["message"]) + 1


def test_sqlite_to_sqlite(demo, tmp_path, monkeypatch, capsys):
    _stamp_head()
    _round_trip(tmp_path, monkeypatch, None, capsys)


def test_sqlite_to_postgres(demo, tmp_path, monkeypatch, capsys):
    _stamp_head()
    with postgres_database() as target:
        _round_trip(tmp_path, monkeypatch, target, capsys)
        db.reset_engine()


def test_postgres_to_postgres(data_dir, tmp_path, monkeypatch, capsys):
    with postgres_database() as source, postgres_database() as target:
        _use(tmp_path / "source", source, monkeypatch)
        _load_demo_into_postgres()
        _round_trip(tmp_path, monkeypatch, target, capsys)
        db.reset_engine()


def test_postgres_to_sqlite(data_dir, tmp_path, monkeypatch, capsys):
    with postgres_database() as source:
        _use(tmp_path / "source", source, monkeypatch)
        _load_demo_into_postgres()
        _round_trip(tmp_path, monkeypatch, None, capsys)
        db.reset_engine()


# ------------------------------------------------------------------------------------ refusals

@pytest.fixture
def saved(demo, tmp_path, monkeypatch, capsys) -> Path:
    """A backup of the demo, and the app pointed at a new, empty DATA_DIR."""
    _stamp_head()
    assert cli(["backup", str(tmp_path / "sauvegarde")]) == 0
    _use(tmp_path / "cible", None, monkeypatch)
    capsys.readouterr()
    return tmp_path / "sauvegarde"


def _target_is_untouched() -> None:
    """No row and no document in the target."""
    with db.get_engine().connect() as conn:
        if sa.inspect(conn).has_table("firm"):
            assert schema.count_rows(conn) == 0
    assert list(storage.iter_keys()) == []


def _refused(args: list[str], capsys) -> str:
    assert cli(args) == 2
    err = capsys.readouterr().err
    print(err)
    return err


def test_restore_refuses_a_database_with_data(saved, capsys):
    assert cli(["restore", str(saved)]) == 0
    rows_before, files_before = _everything()
    err = _refused(["restore", str(saved)], capsys)
    assert "La base cible n'est pas vide" in err and "--force" in err
    assert _everything() == (rows_before, files_before)
    # --force replaces it (same content here, restored again).
    assert cli(["restore", "--force", str(saved)]) == 0
    assert _everything() == (rows_before, files_before)


def test_restore_refuses_a_tampered_table_file(saved, capsys):
    path = next((saved / "tables").glob("*_user.jsonl"))
    path.write_text(path.read_text().replace('"role":"client"', '"role":"admin"', 1))
    err = _refused(["restore", str(saved)], capsys)
    assert f"Sauvegarde altérée : tables/{path.name}" in err and "Rien n'a été restauré" in err
    _target_is_untouched()


def test_restore_refuses_a_tampered_document(saved, capsys):
    path = sorted((saved / "documents").iterdir())[3]
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    err = _refused(["restore", str(saved)], capsys)
    assert f"Sauvegarde altérée : documents/{path.name}" in err
    _target_is_untouched()


def test_restore_refuses_an_incomplete_backup(saved, capsys):
    (saved / "manifest.json").unlink()
    assert "n'est pas une sauvegarde complète" in _refused(["restore", str(saved)], capsys)
    _target_is_untouched()


def test_a_failure_during_the_insert_restores_nothing(saved, capsys):
    """A backup whose hashes match but whose rows the database refuses (a duplicated id in one of
    the last tables): one transaction, so no row at all, and the copied files are removed."""
    manifest = json.loads((saved / "manifest.json").read_text())
    entry = next(e for e in manifest["tables"] if e["name"] == "tache")
    path = saved / "tables" / entry["file"]
    lines = path.read_bytes().splitlines(keepends=True)
    data = b"".join([*lines, lines[0]])
    path.write_bytes(data)
    entry["sha256"], entry["rows"] = hashlib.sha256(data).hexdigest(), entry["rows"] + 1
    (saved / "manifest.json").write_text(json.dumps(manifest))
    err = _refused(["restore", str(saved)], capsys)
    assert "rien n'a été restauré (la base est inchangée)" in err
    _target_is_untouched()


def test_backup_refuses_an_existing_destination(demo, tmp_path, capsys):
    _stamp_head()
    (tmp_path / "plein").mkdir()
    (tmp_path / "plein" / "x").write_text("x")
    assert "existe déjà" in _refused(["backup", str(tmp_path / "plein")], capsys)


def test_restore_refuses_another_secret_key(saved, monkeypatch, capsys):
    monkeypatch.setattr(settings, "secret_key", "une-autre-cle")
    settings.__dict__.pop("secret", None)
    assert "SECRET_KEY n'est pas la clé de l'application sauvegardée" in _refused(["restore", str(saved)], capsys)
    _target_is_untouched()


# --------------------------------------------------------------------------------- consistency

def _rows_seen_by_a_snapshot_while_another_connection_writes() -> tuple[int, int, int]:
    """(messages seen by the backup's transaction before, after another connection committed a
    message, and by a fresh connection)."""
    from espace.models import Message

    engine = db.get_engine()
    count = sa.select(sa.func.count()).select_from(Message.__table__)
    with engine.connect() as snap:
        create.snapshot(snap)
        before = snap.execute(count).scalar_one()
        _extras()  # commits a message (and two files) from another connection
        during = snap.execute(count).scalar_one()
        snap.rollback()
    with engine.connect() as fresh:
        after = fresh.execute(count).scalar_one()
    return before, during, after


def test_the_backup_reads_one_snapshot_on_sqlite(demo):
    _stamp_head()
    before, during, after = _rows_seen_by_a_snapshot_while_another_connection_writes()
    assert (during, after) == (before, before + 1)


def test_the_backup_reads_one_snapshot_on_postgres(data_dir, tmp_path, monkeypatch):
    with postgres_database() as source:
        _use(tmp_path / "source", source, monkeypatch)
        _load_demo_into_postgres()
        before, during, after = _rows_seen_by_a_snapshot_while_another_connection_writes()
        db.reset_engine()
    assert (during, after) == (before, before + 1)


def test_a_document_missing_from_the_storage_is_reported_not_invented(demo, tmp_path, monkeypatch, capsys):
    _stamp_head()
    rows, files = _everything()
    lost = sorted(files)[0]
    storage.delete(lost)
    assert cli(["backup", str(tmp_path / "sauvegarde")]) == 0
    out = capsys.readouterr().out
    assert f"Attention : 1 documents référencés par la base sont absents du stockage : {lost}" in out
    assert json.loads((tmp_path / "sauvegarde" / "manifest.json").read_text())["missing_documents"] == [lost]
    _use(tmp_path / "cible", None, monkeypatch)
    assert cli(["restore", str(tmp_path / "sauvegarde")]) == 0
    assert sorted(storage.iter_keys()) == sorted(set(files) - {lost})
    with db.get_engine().connect() as conn:
        assert list(archive.table_rows(conn, archive.tables()[0])) == rows[archive.tables()[0].name]
