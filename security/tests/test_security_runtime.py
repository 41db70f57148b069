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
    banned = [consumer._handle(guess("203.0.113.4"), at) for at in arrivals]
    # The third guess bans; the 197 behind it arrived during that ban, whenever they are handled.
    assert banned.count(True) == 1 and banned.index(True) == 2
    with Session(get_engine()) as s:
        bans = list(s.exec(select(SipBan)))
    assert len(bans) == 1 and bans[0].expires_at.replace(tzinfo=UTC) == arrivals[2] + timedelta(seconds=20)
