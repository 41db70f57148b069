"""Deleting a queue (API, CLI's service): refused with every reason while anything still sends callers to
it (a published flow or one under an A/B test, another queue's overflow, a campaign, a pending callback,
the default-queue setting), nothing changed by a refusal; once free it goes with its skills, audited,
and its history stays. On SQLite and PostgreSQL (the stack_env fixture)."""

from datetime import UTC, datetime

from sqlmodel import select

from api.audit.models import AuditLog
from centralita.db import session_scope
from dialer import service as dialer
from ivr import service as ivr
from queues import service
from queues.models import Callback, Queue, QueueCall
from queues.tests.test_api import auth, client  # noqa: F401  (fixture)


def flow_to(queue: str) -> dict:
    menu = {"type": "menu", "prompt": "demo-welcome", "options": {"1": {"type": "queue", "queue": queue}}}
    return {"start": "main", "nodes": {"main": menu}}


def setup_uses() -> None:
    """cobros is used four ways; atencion is the default queue (CENTRALITA_DEFAULT_QUEUE's default)."""
    with session_scope() as s:
        for name in ("atencion", "cobros"):
            service.save_queue(s, {"name": name})
        service.save_queue(s, {"name": "pagos", "overflow": {"type": "queue", "queue": "cobros"}})
        agent, _, _ = service.create_agent(s, "luis", "1002")
        service.set_skill(s, agent, "cobros", 1)
        service.set_skill(s, agent, "atencion", 0)
        ivr.save(s, "ventas", flow_to("cobros"))
        ivr.publish(s, "ventas")
        dialer.create_campaign(s, "mora", {"queue_name": "cobros"})
        at = datetime(2026, 1, 5, 10, tzinfo=UTC)
        s.add(Callback(callid="c1", queue="cobros", number="61234567", entered_at=at))
        s.add(QueueCall(callid="h1", queue="cobros", entered_at=at, outcome="answered"))


def test_a_used_queue_is_refused_naming_every_use_then_goes_with_its_skills(client):
    setup_uses()
    boss, ana = auth(client, "boss", "boss-password-1"), auth(client, "ana", "agent-password-1")
    assert client.delete("/api/queues/cobros", headers=ana).status_code == 403
    assert client.delete("/api/queues/nope", headers=boss).status_code == 404
    r = client.delete("/api/queues/cobros", headers=boss)
    assert r.status_code == 409, r.text
    message = r.json()["detail"][0]["msg"]
    for words in ("published flow(s) 'ventas'", "overflow of queue(s) 'pagos'", "campaign(s) 'mora'", "1 callback"):
        assert words in message, message
    r = client.delete("/api/queues/atencion", headers=boss)
    assert r.status_code == 409 and "default queue" in r.json()["detail"][0]["msg"]
    with session_scope() as s:
        assert {q.name for q in service.list_queues(s)} == {"atencion", "cobros", "pagos"}  # nothing changed
        assert service.skills(s, service.get_agent(s, "luis")) == [("atencion", 0), ("cobros", 1)]
        assert not s.exec(select(AuditLog).where(AuditLog.action == "queue.delete")).all()

    # Each use removed the way an admin would: the flow's next version, the overflow, the campaign, the
    # callback placed.
    with session_scope() as s:
        ivr.save(s, "ventas", flow_to("atencion"))
        ivr.publish(s, "ventas")
        service.save_queue(s, {"overflow": {"type": "hangup"}}, service.get_queue(s, "pagos"))
        s.delete(dialer.get_campaign(s, "mora"))
        s.exec(select(Callback)).one().status = "dialled"
    r = client.delete("/api/queues/cobros", headers=boss)
    assert r.status_code == 204, r.text
    with session_scope() as s:
        assert s.exec(select(Queue).where(Queue.name == "cobros")).first() is None
        assert service.skills(s, service.get_agent(s, "luis")) == [("atencion", 0)]
        row = s.exec(select(AuditLog).where(AuditLog.action == "queue.delete")).one()
        assert (row.target, row.username, row.detail) == ("cobros", "boss", {"skills": 1})
        assert s.exec(select(QueueCall).where(QueueCall.queue == "cobros")).one()  # history kept


def test_a_flow_under_an_ab_test_keeps_its_queue(stack_env):
    """Version 2 is only tested on a share of calls, and it is the one naming the queue: still a use."""
    from ivr import split as ab

    with session_scope() as s:
        for name in ("atencion", "cobros"):
            service.save_queue(s, {"name": name})
        ivr.save(s, "ventas", flow_to("atencion"))
        ivr.publish(s, "ventas")
        ivr.save(s, "ventas", flow_to("cobros"))
        ab.start(s, "ventas", 2, 20, "call")
        assert service.queue_users(s, "cobros", "atencion") == [("flows", ["ventas"])]
        assert service.queue_users(s, "atencion", "otra") == [("flows", ["ventas"])]
        assert service.queue_users(s, "atencion", "atencion")[0] == ("default", ["atencion"])
