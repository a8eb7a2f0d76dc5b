"""Count what a block costs the database (SQLAlchemy events): ORM sessions opened, ORM
statements, reads of the acting user, and every SQL statement sent (Core included)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, event
from sqlmodel import Session

from espace.models import User


@dataclass
class Counts:
    sessions: int = 0
    statements: int = 0
    acting_reads: int = 0
    sql: int = 0  # every statement sent, Core included


@contextmanager
def counting(acting_id: int):
    counts = Counts()

    def began(session, transaction, connection):
        if not session.info.get("counted"):
            session.info["counted"] = True
            counts.sessions += 1

    def executed(state):
        counts.statements += 1
        if state.is_select and state.bind_mapper is not None and state.bind_mapper.class_ is User:
            params = dict(state.statement.compile().params)
            params.update(state.parameters or {})
            if acting_id in params.values():
                counts.acting_reads += 1

    def sent(*_args):
        counts.sql += 1

    event.listen(Engine, "before_cursor_execute", sent)
    event.listen(Session, "after_begin", began)
    event.listen(Session, "do_orm_execute", executed)
    try:
        yield counts
    finally:
        event.remove(Engine, "before_cursor_execute", sent)
        event.remove(Session, "after_begin", began)
        event.remove(Session, "do_orm_execute", executed)
