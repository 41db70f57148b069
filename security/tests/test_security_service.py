"""Ban rules on SQLite and PostgreSQL, with an injected clock: the threshold within the window, the
allow-list, expiry, an admin's unban, and the audit rows each leaves."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from api.audit.models import AuditLog
from centralita.errors import FieldError, NotFound
from centralita.settings import Settings
from security import service

T0 = datetime(2026, 3, 1, 4, 0, tzinfo=UTC)  # any instant: nothing here reads the wall clock


@pytest.fixture
def session(stack_env):
    from centralita.db import get_engine

    with Session(get_engine()) as s:
        yield s


def settings(**overrides) -> Settings:
    base = {"security_ban_threshold": 3, "security_ban_window": 60, "security_ban_seconds": 300}
    return Settings(**{**base, **overrides})


def fail(session, s, ip, at, kind="ChallengeResponseFailed"):
    ban = service.note_failure(session, s, kind, ip, at, account="agent1", service="PJSIP")
    session.commit()
    return ban


def test_the_threshold_within_the_window_bans_and_the_ban_expires(session):
    s = settings()
    assert fail(session, s, "203.0.113.9", T0) is None
    assert fail(session, s, "203.0.113.9", T0 + timedelta(seconds=61)) is None  # the first is out of the window
    assert fail(session, s, "203.0.113.9", T0 + timedelta(seconds=62), "InvalidPassword") is None
    ban = fail(session, s, "203.0.113.9", T0 + timedelta(seconds=63), "InvalidAccountID")
    assert ban is not None and ban.failures == 3
    assert service.banned_ips(session, T0 + timedelta(seconds=64)) == ["203.0.113.9"]
    # While banned, further failures neither ban again nor move the end of the ban.
    assert fail(session, s, "203.0.113.9", T0 + timedelta(seconds=65)) is None
    assert len(service.active_bans(session, T0 + timedelta(seconds=65))) == 1
    # Expiry lifts it, audited.
    assert service.expire(session, T0 + timedelta(seconds=362)) == []
    lifted = service.expire(session, T0 + timedelta(seconds=363))
    session.commit()
    assert [b.ip for b in lifted] == ["203.0.113.9"] and lifted[0].lifted_by == "expired"
    assert service.banned_ips(session, T0 + timedelta(seconds=364)) == []
    actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["security.ban", "security.unban"]


def test_a_source_banned_again_is_banned_twice_as_long(session):
    s = settings(security_ban_threshold=2, security_ban_seconds=100)
    lengths = []
    at = T0
    for _ in range(3):
        fail(session, s, "203.0.113.20", at)
        ban = fail(session, s, "203.0.113.20", at)
        lengths.append(round((ban.expires_at - ban.banned_at).total_seconds()))
        at = ban.expires_at
        service.expire(session, at)
        session.commit()
    assert lengths == [100, 200, 400]
    # A day later it starts over.
    later = at + timedelta(days=2)
    fail(session, s, "203.0.113.20", later)
    ban = fail(session, s, "203.0.113.20", later)
    assert round((ban.expires_at - ban.banned_at).total_seconds()) == 100


def test_challenges_and_acl_refusals_are_logged_but_never_count(session):
    s = settings(security_ban_threshold=1)
    for kind in ("ChallengeSent", "FailedACL", "SuccessfulAuth"):
        assert fail(session, s, "198.51.100.4", T0, kind) is None
    assert service.banned_ips(session, T0) == []
    assert len(service.recent_events(session)) == 3


def test_the_allow_list_and_the_trunks_are_never_banned(session):
    from centralita.telephony.models import Trunk

    session.add(Trunk(name="carrier", match="192.0.2.50, sip.example.net"))
    s = settings(security_ban_threshold=1, security_allow="127.0.0.1, 10.0.0.0/8", trunk_match="198.51.100.0/24")
    assert fail(session, s, "127.0.0.1", T0) is None
    assert fail(session, s, "10.20.30.40", T0) is None
    assert fail(session, s, "198.51.100.77", T0) is None  # CENTRALITA_TRUNK_MATCH
    assert fail(session, s, "192.0.2.50", T0) is None  # a trunk in the database
    assert fail(session, s, "127.0.0.2", T0) is not None
    assert service.banned_ips(session, T0) == ["127.0.0.2"]


def test_an_admin_unbans_early_and_bad_input_names_the_field(session):
    s = settings(security_ban_threshold=1)
    fail(session, s, "192.0.2.7", T0)
    with pytest.raises(FieldError) as bad:
        service.unban(session, "not-an-ip", T0)
    assert bad.value.field == "ip" and bad.value.status == 422
    with pytest.raises(NotFound):
        service.unban(session, "192.0.2.8", T0)
    row = service.unban(session, "192.0.2.7", T0 + timedelta(seconds=5), client="test")
    session.commit()
    assert row.lifted_by == "admin" and service.banned_ips(session, T0 + timedelta(seconds=6)) == []
    with pytest.raises(NotFound):
        service.unban(session, "192.0.2.7", T0 + timedelta(seconds=7))


def test_toll_refusals_are_logged_with_their_source_and_audited(session):
    event = {"Number": "01144201234567", "Endpoint": "agent1", "Source": "127.0.0.1:5062", "From": "from-agents-sip"}
    row = service.note_toll_refused(session, event, T0)
    session.commit()
    assert (row.kind, row.ip, row.detail["number"]) == ("TollRefused", "127.0.0.1", "01144201234567")
    audit = session.exec(select(AuditLog)).one()
    assert audit.action == "security.toll_refused" and audit.detail["ip"] == "127.0.0.1"


def test_remote_addresses_in_every_form_asterisk_writes_them():
    assert service.remote_ip("IPV4/UDP/127.0.0.2/5060") == "127.0.0.2"
    assert service.remote_ip("IPV6/TLS/::1/5061") == "::1"
    assert service.remote_ip("127.0.0.3:5060") == "127.0.0.3"
    assert service.remote_ip("[::1]:5060") == "::1"
    assert service.remote_ip("") == service.remote_ip("garbage") == ""
