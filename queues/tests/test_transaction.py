"""The transaction rule on both backends: a queue change and its audit row land in one commit, so a
failing audit write takes the change back with it. The failure is the database's own: a trigger that
refuses every audit insert (no mocks)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from api.audit.models import AuditLog
from queues import service
from queues.models import AgentEndpoint, Queue, QueueMember


@pytest.fixture
def session(stack_env):
    from centralita.db import get_engine

    with Session(get_engine()) as s:
        yield s


def _refuse_audit_rows(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.exec(
            text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END")
        )
    else:
        session.exec(
            text(
                "CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        session.exec(
            text("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION no_audit()")
        )
    session.commit()


def test_a_queue_change_is_audited_in_the_same_commit(session):
    service.save_queue(session, {"name": "atencion"}, client="test")
    session.commit()
    queue = service.get_queue(session, "atencion")
    service.save_queue(session, {"wrapup_seconds": 7}, queue, client="test")
    session.commit()
    rows = [(a.action, a.target, a.detail) for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert rows == [("queue.create", "atencion", {}), ("queue.update", "atencion", {"wrapup_seconds": 7})]


def test_an_audit_failure_rolls_the_queue_change_back(session):
    service.save_queue(session, {"name": "atencion", "wrapup_seconds": 5})
    session.commit()
    _refuse_audit_rows(session)

    with pytest.raises(DBAPIError, match="audit refused"):
        service.save_queue(session, {"name": "tramites"})
        session.commit()
    session.rollback()
    with pytest.raises(DBAPIError, match="audit refused"):
        service.save_queue(session, {"wrapup_seconds": 60}, service.get_queue(session, "atencion"))
        session.commit()
    session.rollback()
    session.expire_all()

    assert [(q.name, q.wrapup_seconds) for q in session.exec(select(Queue))] == [("atencion", 5)]


def test_an_audit_failure_rolls_the_skill_change_back(session):
    service.save_queue(session, {"name": "atencion"})
    agent, _, _ = service.create_agent(session, "marta", "1005")
    session.commit()
    _refuse_audit_rows(session)

    with pytest.raises(DBAPIError, match="audit refused"):
        service.set_skill(session, service.get_agent(session, "marta"), "atencion", 3)
        session.commit()
    session.rollback()

    assert session.exec(select(QueueMember)).all() == []
    assert [a.username for a in session.exec(select(AgentEndpoint))] == ["marta"]
