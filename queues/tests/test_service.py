"""Queues, agents and skills in the database (SQLite and PostgreSQL): validation names the field,
and a refused change leaves everything as it was."""

import pytest
from sqlmodel import Session, select

from api.users.models import User
from queues import service
from queues.destinations import validate_overflow
from queues.models import AgentEndpoint, Queue, QueueMember


@pytest.fixture
def session(stack_env):
    from centralita.db import get_engine

    with Session(get_engine()) as s:
        yield s


def field_of(call) -> str:
    with pytest.raises(service.QueueError) as info:
        call()
    return info.value.field


def test_queue_validation_names_the_field_and_stores_nothing(session):
    service.save_queue(session, {"name": "atencion"})
    assert field_of(lambda: service.save_queue(session, {"name": "general"})) == "name"
    assert field_of(lambda: service.save_queue(session, {"name": "atencion"})) == "name"
    assert field_of(lambda: service.save_queue(session, {"name": "q2", "strategy": "fastest"})) == "strategy"
    assert field_of(lambda: service.save_queue(session, {"name": "q2", "wrapup_seconds": -1})) == "wrapup_seconds"
    assert field_of(lambda: service.save_queue(session, {"name": "q2", "callback_key": "55"})) == "callback_key"
    assert (
        field_of(lambda: service.save_queue(session, {"name": "q2", "overflow": {"type": "queue", "queue": "nope"}}))
        == "overflow.queue"
    )
    assert [q.name for q in session.exec(select(Queue))] == ["atencion"]
    q2 = service.save_queue(
        session, {"name": "q2", "overflow": {"type": "queue", "queue": "atencion"}, "callback_key": "5"}
    )
    assert q2.overflow == {"type": "queue", "queue": "atencion"}
    existing = service.get_queue(session, "atencion")
    assert (
        field_of(lambda: service.save_queue(session, {"overflow": {"type": "queue", "queue": "atencion"}}, existing))
        == "overflow.queue"
    )


def test_overflow_shapes():
    assert validate_overflow({"type": "external", "number": "+5491155"}, set(), "q") == {
        "type": "external",
        "number": "+5491155",
    }
    with pytest.raises(ValueError, match="overflow.number"):
        validate_overflow({"type": "external", "number": "abc"}, set(), "q")
    with pytest.raises(ValueError, match="overflow.type"):
        validate_overflow({"type": "menu"}, set(), "q")


def test_agent_is_a_user_plus_a_softphone_and_skills_are_checked(session):
    service.save_queue(session, {"name": "atencion"})
    agent, web_pw, sip_pw = service.create_agent(session, "marta", "1005", contact="sip:marta@192.0.2.7:5062")
    assert web_pw and sip_pw and web_pw != sip_pw
    user = session.exec(select(User).where(User.username == "marta")).one()
    assert agent.user_id == user.id and user.role == "agent" and agent.contact.endswith(":5062")
    assert field_of(lambda: service.create_agent(session, "otro", "1005")) == "extension"
    assert field_of(lambda: service.create_agent(session, "otro", "600")) == "extension"
    assert field_of(lambda: service.create_agent(session, "otro", "1006", contact="http://x")) == "contact"
    assert field_of(lambda: service.create_agent(session, "Bad Name!", "1007")) == "username"
    assert [a.username for a in session.exec(select(AgentEndpoint))] == ["marta"]
    service.set_skill(session, agent, "atencion", 3)
    assert service.skills(session, agent) == [("atencion", 3)]
    assert field_of(lambda: service.set_skill(session, agent, "nope", 1)) == "queue"
    assert field_of(lambda: service.set_skill(session, agent, "atencion", 500)) == "penalty"
    assert service.skills(session, agent) == [("atencion", 3)]
    service.set_skill(session, agent, "atencion", None)
    assert session.exec(select(QueueMember)).all() == []
    assert field_of(lambda: service.check_pause_reason("siesta")) == "reason"


def test_render_has_dynamic_members_contacts_overflow_and_callback(stack_env):
    from centralita.db import get_engine
    from centralita.settings import get_settings
    from centralita.telephony.pbx import instance_paths
    from centralita.telephony.render import render_files

    with Session(get_engine()) as session:
        service.save_queue(session, {"name": "atencion"})
        service.save_queue(
            session,
            {
                "name": "tramites",
                "callback_key": "5",
                "wrapup_seconds": 9,
                "overflow": {"type": "queue", "queue": "atencion"},
            },
        )
        agent, _, _ = service.create_agent(session, "marta", "1005", contact="sip:marta@192.0.2.7:5062")
        service.set_skill(session, agent, "tramites", 0)
        files = render_files(get_settings(), instance_paths(get_settings()), session)
    queues_conf = files["queues.conf"].decode()
    assert "persistentmembers = yes" in queues_conf and "member =>" not in queues_conf  # login is live, via AMI
    assert "wrapuptime = 9" in queues_conf and "context = centralita-qexit-tramites" in queues_conf
    pjsip = files["pjsip.conf"].decode()
    assert "contact = sip:marta@192.0.2.7:5062" in pjsip
    dialplan = files["extensions.conf"].decode()
    assert "[centralita-q-tramites]" in dialplan and "exten => 5,1,QueueLog(tramites" in dialplan
    section = dialplan.split("[centralita-q-tramites]")[1].split("\n[")[0]
    assert "Set(CENTRALITA_QUEUE=atencion)" in section
    assert "queue_log = yes" in files["logger.conf"].decode()


def test_a_deactivated_users_phone_is_left_out_of_the_config(stack_env):
    """Deactivating the account takes the phone away: no endpoint/auth (cannot register), no browser phone,
    no extension; reactivating brings them back. An endpoint without an account stays."""
    from api.users import service as users
    from centralita.db import get_engine
    from centralita.settings import get_settings
    from centralita.telephony.pbx import instance_paths
    from centralita.telephony.render import render_files

    def rendered(session) -> tuple[str, str]:
        files = render_files(get_settings(), instance_paths(get_settings()), session)
        return files["pjsip.conf"].decode(), files["extensions.conf"].decode()

    with Session(get_engine()) as session:
        service.create_agent(session, "luis", "1002")
        service.create_agent(session, "sofia", "1003")
        session.commit()
        pjsip, dialplan = rendered(session)
        assert "[luis]" in pjsip and "[luis-web]" in pjsip and "exten => 1002," in dialplan
        luis = service.get_agent(session, "luis").user_id
        users.set_active(session, luis, False)
        pjsip, dialplan = rendered(session)
        assert "[luis]" not in pjsip and "[luis-web]" not in pjsip and "exten => 1002," not in dialplan
        assert "[sofia]" in pjsip and "exten => 1003," in dialplan
        users.set_active(session, luis, True)
        assert "[luis]" in rendered(session)[0]
