"""The post-commit apply path without a running Asterisk: the config is re-rendered from the committed
database, nothing is reloaded, the answer says so (a warning, not an error), and the change's events
still reach the bus (a real redis-server). Which module reloads is checked on the real Asterisk in
tests/integration/test_queues_live.py::test_the_apply_path_reloads_only_the_module_that_changed."""

from __future__ import annotations

import json
import time

import pytest
import redis
from sqlmodel import Session

from recorder.tests.redis_server import redis_server


def test_apply_without_asterisk_renders_warns_and_publishes(stack_env, tmp_path, monkeypatch):
    from centralita import bus, db
    from centralita.settings import get_settings, reset_settings_cache
    from centralita.telephony.apply import after_commit
    from centralita.telephony.pbx import instance_paths
    from queues import service

    with redis_server(tmp_path / "redis") as url:
        monkeypatch.setenv("REDIS_URL", url)
        reset_settings_cache()
        settings = get_settings()
        listener = redis.Redis.from_url(url, decode_responses=True).pubsub()
        listener.subscribe(bus.CHANNEL)
        with Session(db.get_engine()) as session:
            service.save_queue(session, {"name": "tramites"}, client="test")
            session.commit()

        applied = after_commit(settings, {"queues", "dialplan"}, events=[("queue.changed", {"queue": "tramites"})])

        assert applied.reloaded is False and applied.modules == []
        assert "Asterisk is not running" in applied.warning
        queues_conf = (instance_paths(settings).host(instance_paths(settings).etc) / "queues.conf").read_text()
        assert "[tramites]" in queues_conf  # rendered from what was committed
        events = []
        deadline = time.monotonic() + 10
        while len(events) < 2 and time.monotonic() < deadline:
            message = listener.get_message(timeout=0.5)
            if message and message["type"] == "message":
                events.append(json.loads(message["data"]))
        assert [(e["type"], e["data"]) for e in events] == [
            ("queue.changed", {"queue": "tramites"}),
            ("asterisk.applied", {"modules": [], "reloaded": False}),
        ]
        listener.close()


def test_apply_refuses_a_module_it_does_not_know(stack_env):
    from centralita.settings import get_settings
    from centralita.telephony.apply import after_commit

    with pytest.raises(ValueError, match="unknown Asterisk module"):
        after_commit(get_settings(), {"voicemail"})
