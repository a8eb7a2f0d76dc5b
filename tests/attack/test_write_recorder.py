"""The attack suite's write listener (tests/attack/conftest.py `WriteRecorder`): what it
counts as a change of business data, on a real SQLite engine."""
from __future__ import annotations

import sqlalchemy as sa

from tests.attack.conftest import WriteRecorder, business_write


def test_business_write_names_the_table_of_a_write():
    assert business_write('INSERT INTO document (name) VALUES (?)') == "document"
    assert business_write('UPDATE "user" SET email=? WHERE "user".id = ?') == "user"
    assert business_write('UPDATE "user" SET last_login_at=?, email=? WHERE id = ?') == "user"
    assert business_write("DELETE FROM rdv WHERE rdv.id = %(id)s") == "rdv"
    assert business_write("UPDATE firm SET name=firm.name WHERE firm.id = ?") == "firm"


def test_business_write_leaves_out_reads_and_bookkeeping():
    assert business_write('SELECT * FROM document WHERE name = "UPDATE x SET"') is None
    assert business_write("INSERT INTO audit_event (action) VALUES (?)") is None
    assert business_write("UPDATE outbox_email SET status=? WHERE id = ?") is None
    assert business_write('UPDATE "user" SET last_login_at=?, previous_login_at=? WHERE "user".id = ?') is None
    assert business_write("UPDATE share_notice SET notified_at=%(notified_at)s WHERE share_notice.id = %(id)s") is None


def test_only_committed_writes_that_changed_rows_count():
    engine = sa.create_engine("sqlite://")
    recorder = WriteRecorder()
    with engine.begin() as con:
        con.execute(sa.text("CREATE TABLE document (id INTEGER PRIMARY KEY, name TEXT)"))
    recorder.listen()
    try:
        with engine.connect() as con:
            con.execute(sa.text("INSERT INTO document (name) VALUES ('a')"))
            con.rollback()
        with engine.connect() as con:
            con.execute(sa.text("INSERT INTO document (name) VALUES ('b')"))  # closed without commit
        with engine.begin() as con:
            con.execute(sa.text("UPDATE document SET name = 'c' WHERE id = 999"))  # no row
        assert recorder.since(0) == []
        with engine.begin() as con:
            con.execute(sa.text("INSERT INTO document (name) VALUES ('d')"))
            con.execute(sa.text("DELETE FROM document WHERE name = 'd'"))
        assert [table for table, _ in recorder.since(0)] == ["document", "document"]
    finally:
        recorder.remove()
