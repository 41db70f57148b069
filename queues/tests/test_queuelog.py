"""queue_log ingestion into the durable history, on SQLite and PostgreSQL: exact outcomes,
idempotent re-reads, partial lines, sessions, pauses and callback requests."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from queues.models import AgentPause, AgentSession, Callback, QueueCall, QueueLogEntry
from queues.queuelog import ingest_file, parse_line, refine_waits

T = 1795354000
LINES = [
    f"{T}|MANAGER|atencion|agent1|ADDMEMBER|",
    f"{T}|1.0|atencion|NONE|ENTERQUEUE||5550001|1",
    f"{T + 1}|1.1|atencion|NONE|ENTERQUEUE||5550002|2",
    f"{T + 2}|1.0|atencion|agent1|CONNECT|2|1.5|1",
    f"{T + 3}|NONE|atencion|agent2|PAUSE|lunch",
    f"{T + 4}|1.1|atencion|NONE|ABANDON|1|2|3",
    f"{T + 5}|1.2|atencion|NONE|ENTERQUEUE||5550003|1",
    f"{T + 7}|1.2|atencion|NONE|EXITWITHKEY|5|1|1|2",
    f"{T + 7}|1.2|atencion|NONE|CALLBACK|5550003",
    f"{T + 9}|1.0|atencion|agent1|COMPLETECALLER|2|7|1",
    f"{T + 9}|NONE|atencion|agent2|UNPAUSE|",
    "garbage line",
]


def _engine():
    from centralita.db import get_engine

    return get_engine()


def test_parse_line():
    line = parse_line(f"{T}|1.0|atencion|NONE|ABANDON|1|2|3")
    assert line.event == "ABANDON" and line.agent == "" and line.data == ["1", "2", "3"]
    assert line.at == datetime.fromtimestamp(T, tz=UTC)
    assert parse_line("x|y") is None and parse_line("abc|1|q|a|EV") is None


def test_ingest_is_exact_idempotent_and_waits_for_whole_lines(stack_env, tmp_path):
    path = tmp_path / "queue_log"
    path.write_text("\n".join(LINES) + "\n" + f"{T + 10}|1.3|atencion|NONE|ENTERQ")  # last line half-written
    with Session(_engine()) as session:
        first = ingest_file(session, path)
        assert (first.new_entries, first.bad_lines) == (11, 1)
        assert ingest_file(session, path).new_entries == 0  # nothing new: nothing counted twice
        calls = {c.caller: c for c in session.exec(select(QueueCall))}
        assert calls["5550001"].outcome == "answered" and calls["5550001"].agent == "agent1"
        assert calls["5550001"].wait_seconds == 2 and calls["5550001"].talk_seconds == 7
        assert calls["5550002"].outcome == "abandoned" and calls["5550002"].wait_seconds == 3
        assert calls["5550003"].outcome == "callback"
        [cb] = session.exec(select(Callback)).all()
        assert (cb.number, cb.status, cb.callid) == ("5550003", "requested", "1.2")
        [login] = session.exec(select(AgentSession)).all()
        assert login.agent == "agent1" and login.logout_at is None
        [pause] = session.exec(select(AgentPause)).all()
        assert pause.reason == "lunch" and (pause.end - pause.start).total_seconds() == 6
        # The half-written line completes: only it is read.
        with path.open("a") as fh:
            fh.write("UEUE||5550004|1\n")
        assert ingest_file(session, path).new_entries == 1
        assert session.exec(select(QueueCall).where(QueueCall.caller == "5550004")).one().outcome == "waiting"
        # A rotated file (new inode) starts over; unique keys keep known lines out.
        path.unlink()
        path.write_text("\n".join(LINES[:3]) + "\n")
        assert ingest_file(session, path).new_entries == 0
        assert len(session.exec(select(QueueLogEntry)).all()) == 12


def test_live_timings_refine_whole_seconds(stack_env, tmp_path):
    path = tmp_path / "queue_log"
    path.write_text("\n".join(LINES[:4]) + "\n")
    with Session(_engine()) as session:
        ingest_file(session, path)
        timings = {
            "1.0": {"queue": "atencion", "join": 100.0, "end": 102.345},
            "1.1": {"queue": "atencion", "join": 101.0},
        }  # still waiting: left for later
        assert refine_waits(session, timings) == ["1.0"]
        assert session.exec(select(QueueCall).where(QueueCall.callid == "1.0")).one().wait_seconds == 2.345


TRANSFERS = [
    f"{T}|2.0|atencion|NONE|ENTERQUEUE||5550010|1",
    f"{T + 2}|2.0|atencion|agent1|CONNECT|2|2.0-a|1",
    f"{T + 32}|2.0|atencion|agent1|BLINDTRANSFER|700|centralita-q|2|30|1",
    f"{T + 33}|2.0|ventas|NONE|ENTERQUEUE||5550010|1",  # transferred into another queue: agent2's own part
    f"{T + 35}|2.0|ventas|agent2|CONNECT|2|2.0-b|1",
    f"{T + 95}|2.0|ventas|agent2|COMPLETECALLER|2|60|1",
    f"{T}|2.1|atencion|NONE|ENTERQUEUE||5550011|2",
    f"{T + 4}|2.1|atencion|agent3|CONNECT|4|2.1-a|2",
    f"{T + 44}|2.1|atencion|agent3|ATTENDEDTRANSFER|BRIDGE|b-1|4|40|2",
    f"{T + 90}|2.1|atencion|agent3|COMPLETEAGENT|4|86|2",  # a late COMPLETE does not undo the transfer
    f"{T}|2.2|atencion|NONE|ENTERQUEUE||5550012|3",
    f"{T + 5}|2.2|atencion|agent4|CONNECT|5|2.2-a|3",
    f"{T + 25}|2.2|atencion|Local/agent4@agents-0001;1|ATTENDEDTRANSFER|LINK|Local/7@c-1;1|Local/7@c-1;2|5|20|3",
    f"{T}|2.3|atencion|NONE|ENTERQUEUE||5550013|4",
    f"{T + 3}|2.3|atencion|agent5|CONNECT|3|2.3-a|4",
    f"{T + 13}|2.3|atencion|agent5|TRANSFER|701|centralita-agents|3|10",
    f"{T + 20}|2.4|atencion|NONE|ENTERQUEUE||5550014|1",
    f"{T + 21}|2.5|atencion|NONE|ENTERQUEUE||5550015|2",
    f"{T + 22}|2.5|atencion|agent6|CONNECT|1|2.5-a|1",
    f"{T + 60}|NONE|NONE|NONE|QUEUESTART|",
]


def test_transfers_close_each_agents_part_and_a_restart_closes_what_was_open(stack_env, tmp_path):
    path = tmp_path / "queue_log"
    path.write_text("\n".join(TRANSFERS) + "\n")
    with Session(_engine()) as session:
        assert ingest_file(session, path).new_entries == len(TRANSFERS)
        calls = {(c.callid, c.queue): c for c in session.exec(select(QueueCall))}
        blind, after = calls[("2.0", "atencion")], calls[("2.0", "ventas")]
        assert (blind.agent, blind.talk_seconds, blind.outcome) == ("agent1", 30, "answered")
        assert blind.ended_at == datetime.fromtimestamp(T + 32, tz=UTC)
        assert (after.agent, after.talk_seconds) == ("agent2", 60)
        attended = calls[("2.1", "atencion")]
        assert (attended.talk_seconds, attended.ended_at) == (40, datetime.fromtimestamp(T + 44, tz=UTC))
        local = calls[("2.2", "atencion")]
        assert (local.agent, local.talk_seconds) == ("agent4", 20)  # the member, not the Local channel
        assert calls[("2.3", "atencion")].talk_seconds == 10
        # Asterisk restarted: the waiting caller is lost, the answered call ends there.
        assert calls[("2.4", "atencion")].outcome == "restart"
        assert calls[("2.5", "atencion")].ended_at == datetime.fromtimestamp(T + 60, tz=UTC)
        assert all(c.ended_at is not None for c in calls.values())
