"""The engine's database side on SQLite and PostgreSQL: atomic claims (also by two concurrent
claimers), call windows and do-not-call at claim time, settling, stale recovery, dispositions,
live figures and the report (JSON and CSV)."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from api.users import service as users
from centralita import db
from centralita.db import session_scope
from dialer import service
from dialer.engine import claims
from dialer.errors import Conflict, DialerError
from dialer.models import Attempt, Campaign, Contact, ContactList, DncEntry
from dialer.report import campaign_report, report_csv
from dialer.stats import campaign_stats

# A Tuesday, 15:00 UTC = 09:00 in Tegucigalpa: inside a 08:00-20:00 window there.
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def seed(n: int = 10, **campaign_values) -> int:
    with session_scope() as s:
        campaign = service.create_campaign(
            s,
            "cobros",
            {
                "queue_name": "cobranza",
                "caller_id": "+50422000000",
                "window_start": "08:00",
                "window_end": "20:00",
                **campaign_values,
            },
        )
        cl = service.create_list(s, "morosos", campaign="cobros")
        for i in range(n):
            s.add(Contact(list_id=cl.id, phone=f"+5049{i:07d}", name=f"Cliente {i}", fields={"monto": 100 + i}))
        return campaign.id


def campaign(s: Session, cid: int) -> Campaign:
    return s.get(Campaign, cid)


def test_claims_respect_window_dnc_and_are_never_repeated(stack_env):
    cid = seed(6)
    with session_scope() as s:
        contacts = s.exec(select(Contact).order_by(Contact.id)).all()
        contacts[0].timezone = "Asia/Tokyo"  # 00:00 there: outside the window, never claimed now
        s.add(DncEntry(phone=contacts[1].phone))  # blocked after the import
        contacts[2].next_attempt_at = NOW + timedelta(hours=1)  # not due yet
        contacts[2].status = "scheduled"
        ids = [c.id for c in contacts]
    with Session(db.get_engine()) as s:
        got = claims.claim_due(s, campaign(s, cid), NOW, 10)
    assert sorted(c.contact_id for c in got) == ids[3:]
    assert all(claims.attempt_of(c.channel_id) == c.attempt_id for c in got)
    with Session(db.get_engine()) as s:
        assert claims.claim_due(s, campaign(s, cid), NOW, 10) == []  # all taken or not callable
        statuses = {c.id: c.status for c in s.exec(select(Contact))}
        assert statuses[ids[0]] == "new" and statuses[ids[1]] == "dnc" and statuses[ids[2]] == "scheduled"
        assert {statuses[i] for i in ids[3:]} == {"dialing"}
        attempts = s.exec(select(Attempt)).all()
        assert len(attempts) == 3 and all(a.linkedid.startswith("dialer-") for a in attempts)


def test_two_concurrent_claimers_never_get_the_same_contact(stack_env):
    cid = seed(120)
    barrier = threading.Barrier(2)
    got: dict[str, list[int]] = {"a": [], "b": []}

    def claimer(name: str) -> None:
        barrier.wait()
        for _ in range(60):
            with Session(db.get_engine()) as s:
                batch = claims.claim_due(s, campaign(s, cid), NOW, 7)
            got[name].extend(c.contact_id for c in batch)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    both = got["a"] + got["b"]
    assert len(both) == len(set(both)), "a contact was claimed twice"
    assert len(set(both)) == 120
    if db.get_engine().dialect.name == "postgresql":  # rows locked by one are skipped by the other:
        assert got["a"] and got["b"]  # both claim (SQLite serialises writers; one may take all)
    with Session(db.get_engine()) as s:
        assert len(s.exec(select(Attempt)).all()) == 120


def test_finish_release_recover_and_close_undisposed(stack_env):
    cid = seed(4, max_attempts=2, retry_delays={"busy": 60})
    with Session(db.get_engine()) as s:
        a, b, c, d = claims.claim_due(s, campaign(s, cid), NOW, 4)
    with Session(db.get_engine()) as s:
        claims.finish(s, a.attempt_id, "busy", NOW)
        claims.finish(s, a.attempt_id, "no_answer", NOW)  # idempotent: the first end wins
        claims.release(s, b.attempt_id)
        claims.mark(s, c.attempt_id, answered_at=NOW, amd_status="HUMAN", connected_at=NOW)
        claims.finish(s, c.attempt_id, "connected", NOW + timedelta(seconds=60))
    with Session(db.get_engine()) as s:
        ca = s.get(Contact, a.contact_id)
        assert (ca.status, ca.attempts, ca.last_outcome) == ("scheduled", 1, "busy")
        assert ca.next_attempt_at == NOW + timedelta(seconds=60)
        assert s.get(Contact, b.contact_id).status == "new" and s.get(Attempt, b.attempt_id) is None
        assert s.get(Contact, c.contact_id).status == "dialing"  # awaits the agent's disposition
        # d's call vanished (engine died, Asterisk lost it): recovered once its claim is stale.
        later = NOW + timedelta(seconds=300)
        stale = claims.stale_attempts(s, later, 120)
        assert [x.id for x in stale] == [d.attempt_id]
        assert claims.recover(s, stale, {d.channel_id}, later) == []  # still up in Asterisk: left alone
        assert claims.recover(s, stale, set(), later) == [d.attempt_id]
        cd = s.get(Contact, d.contact_id)
        assert (cd.status, cd.last_outcome) == ("scheduled", "failed")
        assert claims.close_undisposed(s, later, 600) == 0
        assert claims.close_undisposed(s, NOW + timedelta(seconds=700), 600) == 1
        cc = s.get(Contact, c.contact_id)
        assert (cc.status, cc.last_disposition) == ("done", claims.NO_DISPOSITION)


def _connected(cid: int, agent_id: int | None) -> claims.Claim:
    with Session(db.get_engine()) as s:
        claim = claims.claim_due(s, campaign(s, cid), NOW, 1)[0]
        claims.mark(s, claim.attempt_id, answered_at=NOW, amd_status="HUMAN", connected_at=NOW)
        attempt = s.get(Attempt, claim.attempt_id)
        attempt.agent_user_id = agent_id
        s.add(attempt)
        s.commit()
    return claim


def test_dispositions_close_reschedule_retry_and_only_by_the_agent(stack_env):
    cid = seed(4)
    with session_scope() as s:
        ana = users.create_user(s, "ana", "agent-password-1", role="agent")
        beto = users.create_user(s, "beto", "agent-password-1", role="agent")
        sup = users.create_user(s, "sara", "agent-password-1", role="supervisor")
        ana_id, beto_id, sup_id = ana.id, beto.id, sup.id
    close, later, retry = (_connected(cid, ana_id) for _ in range(3))
    with session_scope() as s:
        ana, beto, sup = (s.get(type(u), i) for u, i in ((ana, ana_id), (beto, beto_id), (sup, sup_id)))
        with pytest.raises(DialerError) as err:
            service.dispose(s, close.attempt_id, beto, "promesa_pago", now=NOW)
        assert err.value.status == 403
        for bad, field in ((" ", "disposition"), ("Promesa Pago!", "disposition")):
            with pytest.raises(DialerError) as err:
                service.dispose(s, close.attempt_id, ana, bad, now=NOW)
            assert err.value.field == field
        with pytest.raises(DialerError) as err:
            service.dispose(s, later.attempt_id, ana, "callback", callback_at=NOW - timedelta(hours=1), now=NOW)
        assert err.value.field == "callback_at"
        service.dispose(s, close.attempt_id, ana, "promesa_pago", now=NOW)
        service.dispose(s, later.attempt_id, ana, "callback", callback_at=NOW + timedelta(days=1), now=NOW)
        service.dispose(s, retry.attempt_id, sup, "retry", now=NOW)  # a supervisor may correct
    with session_scope() as s:
        with pytest.raises(Conflict):
            service.dispose(s, close.attempt_id, s.get(type(ana), ana_id), "otra", now=NOW)
        got = {c: s.get(Contact, x.contact_id) for c, x in (("close", close), ("later", later), ("retry", retry))}
        assert got["close"].status == "done" and got["close"].last_disposition == "promesa_pago"
        assert got["later"].status == "scheduled" and got["later"].next_attempt_at == NOW + timedelta(days=1)
        assert got["retry"].status == "scheduled" and got["retry"].next_attempt_at > NOW
        assert s.get(Attempt, close.attempt_id).right_party is True


def test_stats_and_report_csv(stack_env):
    cid = seed(8)
    outcomes = [
        ("connected", "HUMAN", "promesa_pago"),
        ("connected", "HUMAN", "wrong_party"),
        ("abandoned", "HUMAN", ""),
        ("machine", "MACHINE", ""),
        ("busy", "", ""),
        ("no_answer", "", ""),
        ("connected", "NOTSURE", "promesa_pago"),
    ]
    day2 = NOW + timedelta(days=1)
    with Session(db.get_engine()) as s:
        got = claims.claim_due(s, campaign(s, cid), NOW, 8)
        for claim, (outcome, amd, disposition) in zip(got, outcomes):
            answered = NOW if amd else None
            claims.mark(
                s,
                claim.attempt_id,
                answered_at=answered,
                amd_status=amd,
                connected_at=NOW if outcome == "connected" else None,
            )
            claims.finish(s, claim.attempt_id, outcome, NOW + timedelta(seconds=30))
            a = s.get(Attempt, claim.attempt_id)
            if disposition:
                a.disposition, a.right_party = disposition, disposition != "wrong_party"
            s.add(a)
        last = s.get(Attempt, got[7].attempt_id)  # the 8th: the next day, abandoned
        last.started_at = day2
        s.add(last)
        s.commit()
        claims.finish(s, last.id, "abandoned", day2 + timedelta(seconds=5))
        claims.mark(s, last.id, amd_status="HUMAN", answered_at=day2)
    with session_scope() as s:
        stats = campaign_stats(s, cid)
        assert stats["human_answers"] == 5 and stats["abandoned"] == 2
        assert stats["abandon_rate_cumulative"] == 0.4 and stats["contacts_left"] == 8  # none closed yet
        report = campaign_report(s, s.get(Campaign, cid))
    first, second = report["days"]
    assert first["date"] == "2026-11-24" and second["date"] == "2026-11-25"
    assert (first["attempts"], first["connects"], first["right_party_contacts"], first["abandoned"]) == (7, 3, 2, 1)
    assert (first["human_answers"], first["machines"], first["busy"], first["no_answer"]) == (4, 1, 1, 1)
    assert first["abandon_rate"] == 0.25 and second["abandon_rate"] == 1.0
    assert first["dispositions"] == {"promesa_pago": 2, "wrong_party": 1}
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [r["date"] for r in rows] == ["2026-11-24", "2026-11-25", "total"]
    assert rows[2]["attempts"] == "8" and rows[2]["abandoned"] == "2" and rows[2]["abandon_rate"] == "0.4000"
    assert rows[0]["disposition:promesa_pago"] == "2" and rows[1]["disposition:wrong_party"] == "0"
    with session_scope() as s:
        with pytest.raises(DialerError):
            campaign_report(s, s.get(Campaign, cid), since=day2.date(), until=NOW.date())
        assert s.exec(select(ContactList)).first() is not None


def test_far_away_contacts_never_starve_the_ones_whose_window_is_open(stack_env):
    cid = seed(0)
    with session_scope() as s:
        cl = s.exec(select(ContactList)).first()
        for i in range(300):  # first in the list, but it is night there
            s.add(Contact(list_id=cl.id, phone=f"+5048{i:07d}", timezone="Asia/Tokyo"))
        s.add(Contact(list_id=cl.id, phone="+50499999999", name="Cerca"))
    with Session(db.get_engine()) as s:
        got = claims.claim_due(s, campaign(s, cid), NOW, 3)
    assert [c.name for c in got] == ["Cerca"]
