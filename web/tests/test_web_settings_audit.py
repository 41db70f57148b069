"""/settings/audit: admins read the log with the same filters and paging as GET /api/audit (one service);
the period is days of the center's zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from api.audit.models import AuditLog
from api.audit.service import record
from api.users import service as users
from centralita.db import session_scope
from web.tests.settings_helpers import client, login, password_of  # noqa: F401  (client: fixture)

# Fixed instants, in UTC; the center's zone below is America/Panama (UTC-5, no summer time).
AT = [
    datetime(2026, 3, 1, 4, 30, tzinfo=UTC),  # still 28 Feb in Panama
    datetime(2026, 3, 1, 5, 30, tzinfo=UTC),  # 1 Mar 00:30 in Panama
    datetime(2026, 3, 2, 4, 59, tzinfo=UTC),  # 1 Mar 23:59 in Panama
    datetime(2026, 3, 2, 5, 0, tzinfo=UTC),  # 2 Mar 00:00 in Panama
]


@pytest.fixture
def seeded(client, monkeypatch):
    from centralita.settings import get_settings

    monkeypatch.setattr(get_settings(), "report_timezone", "America/Panama")
    with session_scope() as s:
        boss = users.get_by_username(s, "boss")
        for i, at in enumerate(AT):
            row = record(s, "demo.changed", user=boss if i % 2 else None, target=f"thing:{i % 2}", detail={"i": i})
            row.at = at
        for _ in range(60):
            record(s, "demo.bulk", target="bulk").at = datetime(2026, 2, 1, tzinfo=UTC)
    return client


def ids_on_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', html)]


def api(client, **params) -> dict:
    token = client.post("/api/auth/token", json={"username": "boss", "password": password_of("boss")}).json()
    return client.get("/api/audit", params=params, headers={"Authorization": f"Bearer {token['access_token']}"}).json()


def test_filters_return_what_the_api_returns(seeded):
    client = seeded
    login(client, "boss")
    cases = [
        ({"action": "demo.changed"}, {"action": "demo.changed"}),
        ({"user": "boss", "action": "demo.changed"}, {"user": "boss", "action": "demo.changed"}),
        ({"target": "thing:0"}, {"target": "thing:0"}),
        # 1 Mar in Panama = [05:00 UTC 1 Mar, 05:00 UTC 2 Mar)
        (
            {"since": "2026-03-01", "until": "2026-03-01", "action": "demo.changed"},
            {"since": "2026-03-01T05:00:00+00:00", "until": "2026-03-02T05:00:00+00:00", "action": "demo.changed"},
        ),
    ]
    for page_filter, api_filter in cases:
        html = client.get("/settings/audit", params=page_filter).text
        expected = api(client, **api_filter)
        assert ids_on_page(html) == [i["id"] for i in expected["items"]], page_filter
        assert expected["total"] > 0
    one_day = client.get("/settings/audit", params={"since": "2026-03-01", "until": "2026-03-01"}).text
    assert len(ids_on_page(one_day)) == 2 and "2026-03-01 23:59:00" in one_day  # local time, Panama
    assert "America/Panama" in one_day


def test_paging_walks_everything_once_with_the_filters_kept(seeded):
    client = seeded
    login(client, "boss")
    first = client.get("/settings/audit", params={"action": "demo.bulk"}).text
    assert "Entradas 1–50 de 60" in first and 'rel="prev"' not in first
    link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    assert link == "/settings/audit?action=demo.bulk&offset=50"
    second = client.get(link).text
    assert "Entradas 51–60 de 60" in second and 'rel="next"' not in second
    seen = ids_on_page(first) + ids_on_page(second)
    with session_scope() as s:
        stored = s.exec(select(AuditLog.id).where(AuditLog.action == "demo.bulk")).all()
    assert sorted(seen) == sorted(stored) and len(set(seen)) == 60


def test_a_bad_day_is_shown_on_its_field(seeded):
    client = seeded
    login(client, "boss")
    r = client.get("/settings/audit", params={"since": "2026-13-01"})
    assert r.status_code == 422 and 'id="filter-since-error"' in r.text and not ids_on_page(r.text)
    r = client.get("/settings/audit", params={"since": "2026-03-02", "until": "2026-03-01"})
    assert r.status_code == 422 and "anterior al primero" in r.text
    assert client.get("/settings/audit", params={"offset": 2**40}).status_code == 422  # bounded as in the API
