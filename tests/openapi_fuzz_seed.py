"""Seed data for tests/test_openapi_fuzz.py, run in a child process with the fuzz run's settings.

Prints {role: token} as JSON. Besides the three users it creates one of each thing named "0" or
numbered 1 (what Schemathesis' coverage phase tries first for names and ids), so fuzzed requests
reach the routes' logic instead of stopping at a 404.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from centralita import db

# Far above what is generated for /api/users/{user_id}: a fuzzed PATCH cannot deactivate or demote the
# users the fuzzer acts as (every later answer would be a 401).
FUZZ_USER_IDS = {"admin": 900_001, "supervisor": 900_002, "agent": 900_003}
T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def users(s) -> dict[str, str]:
    from api.users import service

    tokens = {}
    for role, uid in FUZZ_USER_IDS.items():
        user = service.create_user(s, "fuzz-" + role, "fuzz-password-" + role, role=role)
        s.exec(text("UPDATE users SET id = :new WHERE id = :old").bindparams(new=uid, old=user.id))
        s.commit()
        tokens[role] = service.issue_token(s, service.get_user(s, uid))[0]
    return tokens


def things(s) -> None:
    from api.calls.models import CallRecord
    from dialer import service as dialer
    from dialer.imports import import_file
    from ivr import service as ivr
    from queues import service as queues
    from recorder import quality
    from recorder.models import ExportJob, Recording
    from recorder.retention import service as retention

    queues.save_queue(s, {"name": "0", "label": "fuzz"})
    agent, _, _ = queues.create_agent(s, "0", "1000")
    queues.set_skill(s, agent, "0", 1)
    s.commit()
    flow = {"start": "menu", "nodes": {"menu": {"type": "queue", "queue": "0"}}}
    ivr.save(s, "a", flow)  # flow names start with a letter
    ivr.publish(s, "a", None)
    ivr.set_did(s, "00", "a")
    s.commit()
    campaign = dialer.create_campaign(s, "c0", {"queue_name": "0"})
    contacts = dialer.create_list(s, "l0", campaign=campaign.id)
    import_file(s, contacts, b"phone,name\n+50760001234,Ana\n", "c.csv")
    dialer.add_dnc(s, "+50760009999", "fuzz")
    s.add(
        CallRecord(
            linkedid="0",
            start=T0,
            end=T0 + timedelta(seconds=30),
            duration=30,
            billsec=20,
            caller="+50760001234",
            did="00",
            disposition="ANSWERED",
            channels=["PJSIP/0-00000001"],
        )
    )
    s.add(Recording(linkedid="0", uniqueid="0", agent="0", started_at=T0))
    s.add(ExportJob(requested_by="fuzz-admin", filters={"period": "2026-11"}))
    quality.create_scorecard(s, "0", [{"key": "cortesia", "label": "Cortesía"}])
    retention.save_policy(s, "0", 30)
    s.commit()


def main() -> None:
    db.upgrade()
    with db.session_scope() as s:
        tokens = users(s)
        things(s)
    sys.stdout.write(json.dumps(tokens) + "\n")


if __name__ == "__main__":
    main()
