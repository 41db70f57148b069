"""The API process's security consumer: an event counts as of when it arrived, so a backlog handled late
(hundreds of guesses a second under load) does not ban its source again after the ban it caused ends.
On SQLite and PostgreSQL; the clock is injected through the events' arrival stamps."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlmodel import Session, select

from centralita.settings import Settings
from security.models import SipBan
from security.runtime import SecurityRuntime

T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)


def guess(ip: str) -> dict:
    return {
        "Event": "ChallengeResponseFailed",
        "RemoteAddress": f"IPV4/UDP/{ip}/5060",
        "AccountID": "agent1",
        "Service": "PJSIP",
    }


def test_a_late_handled_backlog_counts_when_it_arrived(stack_env):
    from centralita.db import get_engine

    settings = Settings(security_ban_threshold=3, security_ban_window=60, security_ban_seconds=20)
    consumer = SecurityRuntime(SimpleNamespace(settings=settings))
    arrivals = [T0 + timedelta(milliseconds=10 * i) for i in range(200)]  # 2 s of svcrack
    banned = [consumer._handle_all([(at, guess("203.0.113.4"))]) for at in arrivals]  # one by one, late
    # The third guess bans; the 197 behind it arrived during that ban, whenever they are handled.
    assert banned.count(True) == 1 and banned.index(True) == 2
    with Session(get_engine()) as s:
        bans = list(s.exec(select(SipBan)))
    assert len(bans) == 1 and bans[0].expires_at.replace(tzinfo=UTC) == arrivals[2] + timedelta(seconds=20)


def test_a_backlog_is_stored_in_one_go_and_bans_once(stack_env):
    from centralita.db import get_engine
    from security.models import SecurityEvent

    settings = Settings(security_ban_threshold=3, security_ban_window=60, security_ban_seconds=20)
    consumer = SecurityRuntime(SimpleNamespace(settings=settings))
    batch = [(T0 + timedelta(milliseconds=10 * i), guess("203.0.113.5")) for i in range(50)]
    batch.append((T0 + timedelta(seconds=1), guess("not an address")))  # ignored, not fatal to the rest
    assert consumer._handle_all(batch) is True
    with Session(get_engine()) as s:
        assert len(list(s.exec(select(SipBan)))) == 1
        assert len(list(s.exec(select(SecurityEvent)))) == 50
    assert consumer._handle_all([(T0 + timedelta(seconds=2), guess("203.0.113.5"))]) is False  # still banned
